// nsl/app/file_watch.hpp — notices when files nsl reads its secrets and certificates from change,
// so that rotated credentials take effect without a restart or a signal (the file-injection
// pattern: Vault Agent templates, Kubernetes Secret volumes, cert-manager).
//
//   FileWatch w(watched_files(cfg));
//   if (w.changed()) reload();   // polled every few seconds
//
// A file's fingerprint is (device, inode, size, mtime in ns) of what its path resolves to, so an
// in-place rewrite, an atomic rename over it and the symlink swap Kubernetes does (..data) all
// count; so do a file appearing or disappearing. No inotify: it misses symlink swaps of a parent
// directory and needs a watch per directory; a stat() per file every few seconds costs nothing.
//
// Thread-safety: none; one owner (the serve loop).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace nsl::app {

class FileWatch {
 public:
  explicit FileWatch(std::vector<std::string> paths = {});
  // True when any file's fingerprint differs from the previous call (or construction); the new
  // fingerprints become the reference either way.
  bool changed();
  // Watches another set from now on (after a reload changed which files are named).
  void reset(std::vector<std::string> paths);
  const std::vector<std::string>& paths() const noexcept { return paths_; }

 private:
  struct Print {
    bool exists = false;
    std::uint64_t dev = 0, ino = 0, size = 0;
    std::int64_t mtime_ns = 0;
    friend bool operator==(const Print&, const Print&) = default;
  };
  static Print print_of(const std::string& path);
  std::vector<std::string> paths_;
  std::vector<Print> prints_;
};

// The files `cfg` reads: every secret given as `<key>_file`, the TLS certificate, key and client
// CA, and auth.oidc_issuers_file. Sorted, without duplicates.
std::vector<std::string> watched_files(config::Config& cfg);

}  // namespace nsl::app
