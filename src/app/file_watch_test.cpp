#include "app/file_watch.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "harness/harness.hpp"

namespace nsl::app {
namespace {

void write(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

TEST(FileWatch, NoticesRewritesRenamesSymlinkSwapsAndRemovals) {
  nsl::testing::TempDir dir;
  const std::string file = dir.path() + "/token";
  write(file, "first");
  FileWatch w({file, dir.path() + "/absent"});
  EXPECT_FALSE(w.changed());
  EXPECT_FALSE(w.changed());

  write(file, "second, longer");  // in place
  EXPECT_TRUE(w.changed());
  EXPECT_FALSE(w.changed());

  write(file + ".new", "third");  // atomic rename over it (Vault Agent)
  ASSERT_EQ(std::rename((file + ".new").c_str(), file.c_str()), 0);
  EXPECT_TRUE(w.changed());

  // Kubernetes Secret volume: token -> ..data/token, ..data -> a timestamped dir swapped atomically.
  const std::string vol = dir.path() + "/vol";
  ASSERT_EQ(::mkdir(vol.c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((vol + "/v1").c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((vol + "/v2").c_str(), 0700), 0);
  write(vol + "/v1/token", "aaaa");
  write(vol + "/v2/token", "bbbb");
  ASSERT_EQ(::symlink("v1", (vol + "/..data").c_str()), 0);
  ASSERT_EQ(::symlink("..data/token", (vol + "/token").c_str()), 0);
  FileWatch k({vol + "/token"});
  EXPECT_FALSE(k.changed());
  ASSERT_EQ(::symlink("v2", (vol + "/..data_tmp").c_str()), 0);
  ASSERT_EQ(std::rename((vol + "/..data_tmp").c_str(), (vol + "/..data").c_str()), 0);
  EXPECT_TRUE(k.changed());  // same size, other inode
  EXPECT_FALSE(k.changed());

  ASSERT_EQ(std::remove(file.c_str()), 0);
  EXPECT_TRUE(w.changed());
  write(dir.path() + "/absent", "now here");
  EXPECT_TRUE(w.changed());
}

TEST(FileWatch, WatchesTheFilesAConfigReads) {
  config::Config cfg;
  cfg.metrics.bearer_token_file = "/run/secrets/metrics";
  cfg.database.url_file = "/run/secrets/db";
  cfg.tls.cert_file = "/etc/tls/tls.crt";
  cfg.tls.key_file = "/etc/tls/tls.key";
  cfg.auth.oidc_issuers_file = "/etc/nsl/issuers.toml";
  EXPECT_EQ(watched_files(cfg),
            (std::vector<std::string>{"/etc/nsl/issuers.toml", "/etc/tls/tls.crt", "/etc/tls/tls.key",
                                      "/run/secrets/db", "/run/secrets/metrics"}));
  config::Config none;
  EXPECT_TRUE(watched_files(none).empty());
}

}  // namespace
}  // namespace nsl::app
