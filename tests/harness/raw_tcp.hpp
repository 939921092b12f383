// tests/harness/raw_tcp.hpp — a blocking TCP client for byte-exact protocol tests (malformed requests,
// slowloris, connection limits) where an HTTP library would refuse or "fix" the input.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace nsl::testing {

class RawConn {
 public:
  // Connects to 127.0.0.1:port; connected() tells whether it worked.
  explicit RawConn(int port);
  ~RawConn();
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Sends all bytes; false if the peer is gone.
  bool send(std::string_view data);
  // Reads until the peer closes or `timeout` passes; returns what arrived.
  std::string read_until_close(std::chrono::milliseconds timeout);
  // Reads until `needle` has arrived (or close/timeout).
  std::string read_until(std::string_view needle, std::chrono::milliseconds timeout);
  // True if the peer closed the connection (EOF or reset) within `timeout`.
  bool closed_within(std::chrono::milliseconds timeout);
  void close();

 private:
  int fd_ = -1;
  bool eof_ = false;
};

}  // namespace nsl::testing
