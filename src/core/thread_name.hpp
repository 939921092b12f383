// nsl/core/thread_name.hpp — names the calling thread for the operator's tools (top -H, ps -L, perf,
// gdb): "nsl-io", "nsl-pool", "nsl-audit", … (docs/operations.md lists them).
#pragma once

#include <string_view>

namespace nsl {

// Linux keeps 15 bytes of a thread's name; a longer name is cut there. Best effort: a failure only
// leaves the inherited name.
void set_thread_name(std::string_view name) noexcept;

}  // namespace nsl
