// nsl bench/bench_env.hpp — where benchmarks find the throw-away PostgreSQL and Redis.
//
// Like the test harness: NSL_TEST_PG_DSN / NSL_TEST_REDIS_URL, else the KEY=VALUE file named by
// NSL_TEST_SERVICES_ENV, else <build>/test-services/env (ctest's fixture; nsl_bench lives in
// <build>/bin). nullopt when none is configured: the benchmark then skips with an error.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace nsl::bench {

inline std::optional<std::string> service_env(const std::string& key) {
  if (const char* v = std::getenv(key.c_str()); v && *v) return std::string(v);
  std::string file;
  if (const char* v = std::getenv("NSL_TEST_SERVICES_ENV"); v && *v) {
    file = v;
  } else {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return std::nullopt;
    file = (exe.parent_path().parent_path() / "test-services" / "env").string();
  }
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
  }
  return std::nullopt;
}

}  // namespace nsl::bench
