#include "app/file_watch.hpp"

#include <sys/stat.h>

#include <algorithm>

namespace nsl::app {

FileWatch::FileWatch(std::vector<std::string> paths) { reset(std::move(paths)); }

FileWatch::Print FileWatch::print_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return Print{.exists = true,
               .dev = static_cast<std::uint64_t>(st.st_dev),
               .ino = static_cast<std::uint64_t>(st.st_ino),
               .size = static_cast<std::uint64_t>(st.st_size),
               .mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

void FileWatch::reset(std::vector<std::string> paths) {
  paths_ = std::move(paths);
  prints_.clear();
  for (const auto& p : paths_) prints_.push_back(print_of(p));
}

bool FileWatch::changed() {
  bool any = false;
  for (std::size_t i = 0; i < paths_.size(); ++i) {
    Print now = print_of(paths_[i]);
    if (!(now == prints_[i])) {
      any = true;
      prints_[i] = now;
    }
  }
  return any;
}

std::vector<std::string> watched_files(config::Config& cfg) {
  std::vector<std::string> out;
  for (const auto& k : config::keys()) {
    if (!k.file_field) continue;
    const std::string* path = k.file_field(cfg);
    if (path != nullptr && !path->empty()) out.push_back(*path);
  }
  for (const std::string* p : {&cfg.tls.cert_file, &cfg.tls.key_file, &cfg.tls.client_ca_file,
                               &cfg.auth.oidc_issuers_file}) {
    if (!p->empty()) out.push_back(*p);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace nsl::app
