// nsl/cache/local_stream.hpp — the in-process Stream back end (see cache/stream.hpp).
//
// One mutex guards all streams; blocked readers wait on a condition variable that add() signals,
// with a real-time timeout (`block`). Idle times of pending entries come from Clock::steady_now()
// (inject a FakeClock in tests to age them without sleeping); entry ids use Clock::system_now() in
// milliseconds, made strictly increasing like Redis does. Nothing is persisted and nothing is
// shared between processes: a job added here is seen by this process only, and lost on exit.
//
//   LocalStream jobs({.prefix = "nsl:"});
//   NSL_TRY(jobs.create_group("jobs", "g"));
//   auto id = jobs.add("jobs", {{"k", "v"}}, std::nullopt);
//
// Thread-safety: all members may be called concurrently; the object must outlive blocked readers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "cache/stream.hpp"
#include "core/clock.hpp"

namespace nsl::cache {

struct LocalStreamOptions {
  std::string prefix = "nsl:";
  const Clock* clock = nullptr;  // nullptr: Clock::real(); must outlive the stream
};

class LocalStream final : public Stream {
 public:
  explicit LocalStream(LocalStreamOptions options = {});
  ~LocalStream() override;
  LocalStream(const LocalStream&) = delete;
  LocalStream& operator=(const LocalStream&) = delete;

  Result<std::string> add(std::string_view stream, const StreamFields& fields,
                          std::optional<std::size_t> max_len) override;
  Status create_group(std::string_view stream, std::string_view group) override;
  Result<std::vector<StreamEntry>> read_group(std::string_view stream, std::string_view group,
                                              std::string_view consumer, std::size_t count,
                                              std::chrono::milliseconds block) override;
  Result<std::int64_t> ack(std::string_view stream, std::string_view group,
                           const std::vector<std::string>& ids) override;
  Result<std::vector<StreamEntry>> claim_idle(std::string_view stream, std::string_view group,
                                              std::string_view consumer,
                                              std::chrono::milliseconds min_idle,
                                              std::size_t count) override;
  Result<PendingInfo> pending(std::string_view stream, std::string_view group) override;
  const std::string& prefix() const override { return prefix_; }

  // How often the entry has been delivered to `group` (read or claimed); 0 when not pending.
  std::int64_t delivery_count(std::string_view stream, std::string_view group,
                              std::string_view id) const;

 private:
  using Id = std::pair<std::uint64_t, std::uint64_t>;  // (ms, seq)
  struct Pending {
    std::string consumer;
    std::chrono::steady_clock::time_point delivered;
    std::int64_t deliveries = 0;
  };
  struct Group {
    Id last_delivered{0, 0};
    std::map<Id, Pending> pel;
  };
  struct Data {
    std::map<Id, StreamFields> entries;
    Id last_id{0, 0};
    std::map<std::string, Group, std::less<>> groups;
  };

  std::string k(std::string_view stream) const { return prefix_ + std::string(stream); }
  // The group, or nullptr when the stream or the group does not exist. Caller holds mu_.
  Group* find_group(std::string_view stream, std::string_view group);
  static std::string id_text(Id id);

  std::string prefix_;
  const Clock* clock_;
  mutable std::mutex mu_;
  std::condition_variable added_;
  std::map<std::string, Data, std::less<>> streams_;
};

}  // namespace nsl::cache
