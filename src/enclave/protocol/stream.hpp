// nsl/enclave/protocol/stream.hpp — the write half of an enclave socket, shared by both sides.
//
// CombiningWriter lets many threads send frames on one stream socket without a writer thread: a sender
// appends its frame to a buffer, and the first sender to find no write in progress writes everything queued
// (its own frame and those that arrive meanwhile) before returning. Pipelined traffic thus leaves in few
// send() calls. Sent bytes are wiped: answers may carry unsealed secrets.
//
// Thread-safety: write() from any number of threads.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

namespace nsl::enclave::protocol {

class CombiningWriter {
 public:
  explicit CombiningWriter(int fd) noexcept : fd_(fd) {}
  CombiningWriter(const CombiningWriter&) = delete;
  CombiningWriter& operator=(const CombiningWriter&) = delete;
  ~CombiningWriter();

  // Queues `frame` and writes the queue if nobody else is. false once any write on the socket failed (peer gone,
  // EPIPE); the caller should then close the connection. Never raises SIGPIPE.
  bool write(std::string_view frame);

 private:
  int fd_;
  std::mutex mu_;
  std::string queued_;
  bool writing_ = false;
  bool broken_ = false;
};

}  // namespace nsl::enclave::protocol
