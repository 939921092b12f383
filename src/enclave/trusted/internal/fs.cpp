#include "enclave/trusted/internal/fs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nsl::enclave::trusted::internal {
namespace {

Error open_error(const std::string& path, int e) {
  if (e == ENOENT) return err::failed_precondition(path + " does not exist");
  return err::failed_precondition("cannot open " + path + ": " + errno_text(e));
}

}  // namespace

std::string under_root(std::string_view root, std::string_view abs_path) {
  while (!root.empty() && root.back() == '/') root.remove_suffix(1);
  std::string out(root);
  if (abs_path.empty() || abs_path.front() != '/') out.push_back('/');
  out.append(abs_path);
  return out;
}

std::string errno_text(int err) {
  char buf[128];
  // GNU strerror_r returns the message (possibly not in buf).
  return ::strerror_r(err, buf, sizeof buf);
}

Result<Bytes> read_file(const std::string& path, std::size_t max) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return open_error(path, errno);
  Bytes out;
  std::uint8_t buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return err::unavailable("cannot read " + path + ": " + errno_text(errno));
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max) {
      return err::invalid_argument(path + " is larger than " + std::to_string(max) + " bytes");
    }
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}

Result<std::string> read_text(const std::string& path, std::size_t max) {
  NSL_TRY_ASSIGN(Bytes raw, read_file(path, max));
  std::string s(raw.begin(), raw.end());
  while (!s.empty() && (s.back() == '\0' || s.back() == '\n' || s.back() == ' ' ||
                        s.back() == '\t' || s.back() == '\r')) {
    s.pop_back();
  }
  return s;
}

Result<SecretBytes> read_secret_file(const std::string& path, std::size_t size) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return open_error(path, errno);
  SecretBytes out(size);
  auto buf = out.reveal_mut(SecretAccess::grant());
  std::size_t got = 0;
  for (;;) {
    std::uint8_t probe = 0;
    // Read into the secret buffer until full, then one more byte to detect an oversized file.
    const bool full = got == size;
    const ssize_t n =
        full ? ::read(fd.get(), &probe, 1) : ::read(fd.get(), buf.data() + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return err::unavailable("cannot read " + path + ": " + errno_text(errno));
    if (n == 0) break;
    if (full) {
      probe = 0;
      return err::failed_precondition(path + " is longer than the expected " +
                                      std::to_string(size) + " bytes");
    }
    got += static_cast<std::size_t>(n);
  }
  if (got != size) {
    return err::failed_precondition(path + " has " + std::to_string(got) + " bytes, expected " +
                                    std::to_string(size));
  }
  return out;
}

Status write_existing(const std::string& path, ByteView data) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return open_error(path, errno);
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return err::unavailable("cannot write " + path + ": " + errno_text(errno));
    done += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace nsl::enclave::trusted::internal
