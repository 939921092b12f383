#include "harness/harness.hpp"

#include <cstdlib>

namespace nsl::testing {
std::string build_dir() {
  const char* d = std::getenv("NSL_BUILD_DIR");
  return d ? d : ".";
}
}  // namespace nsl::testing
