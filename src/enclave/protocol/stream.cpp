#include "enclave/protocol/stream.hpp"

#include <string.h>  // explicit_bzero
#include <sys/socket.h>

#include <cerrno>

namespace nsl::enclave::protocol {
namespace {

bool send_all(int fd, const std::string& bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

CombiningWriter::~CombiningWriter() { ::explicit_bzero(queued_.data(), queued_.size()); }

bool CombiningWriter::write(std::string_view frame) {
  std::unique_lock lock(mu_);
  if (broken_) return false;
  queued_.append(frame);
  if (writing_) return true;  // the active writer picks it up before it returns
  writing_ = true;
  std::string batch;
  while (!queued_.empty() && !broken_) {
    batch.swap(queued_);
    lock.unlock();
    const bool ok = send_all(fd_, batch);
    ::explicit_bzero(batch.data(), batch.size());
    batch.clear();
    lock.lock();
    if (!ok) broken_ = true;
  }
  if (broken_) {
    ::explicit_bzero(queued_.data(), queued_.size());
    queued_.clear();
  }
  writing_ = false;
  return !broken_;
}

}  // namespace nsl::enclave::protocol
