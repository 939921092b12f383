// nsl/enclave/trusted/internal/fs.hpp — the few file operations the platform backends need: read(2)
// and write(2) loops that work on pseudo-files (Gramine's /dev/attestation, configfs), whose sizes
// stat(2) does not report. Errors name the path and the errno text, never file contents.
// Thread-safety: free functions.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "enclave/enclave.hpp"

namespace nsl::enclave::trusted::internal {

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// `root` + `abs_path` ("/" + "/dev/x" = "/dev/x"; "/tmp/r/" + "/dev/x" = "/tmp/r/dev/x").
std::string under_root(std::string_view root, std::string_view abs_path);

std::string errno_text(int err);

// The whole file, read to EOF; failed_precondition when it cannot be opened (ENOENT says "does not
// exist"), unavailable on a read error, invalid_argument beyond `max` bytes.
Result<Bytes> read_file(const std::string& path, std::size_t max);
// The whole file as text with trailing whitespace and NUL bytes removed.
Result<std::string> read_text(const std::string& path, std::size_t max = 256);
// Exactly `size` bytes into locked memory; failed_precondition for any other length.
Result<SecretBytes> read_secret_file(const std::string& path, std::size_t size);
// Opens an existing file write-only (no O_CREAT, no O_TRUNC: pseudo-files) and writes all of
// `data`.
Status write_existing(const std::string& path, ByteView data);

}  // namespace nsl::enclave::trusted::internal
