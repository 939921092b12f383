// tests/harness/harness.hpp — helpers for nsl tests: temp dirs, free ports, child processes, service DSNs.
#pragma once
#include <string>

namespace nsl::testing {
// Directory of the build tree (NSL_BUILD_DIR), where bin/nsl lives.
std::string build_dir();
}  // namespace nsl::testing
