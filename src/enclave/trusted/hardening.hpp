// nsl/enclave/trusted/hardening.hpp — process-wide protections of the nsl-enclave process.
//
// harden_process():
//   - prctl(PR_SET_DUMPABLE, 0): no core dump, and no ptrace attach or /proc/<pid>/mem read by
//     other processes of the same user;
//   - setrlimit(RLIMIT_CORE, 0), belt and braces for the core dump;
//   - mlockall(MCL_CURRENT | MCL_FUTURE), so no page (heap, stacks, OpenSSL's buffers) is ever
//     swapped out, but ONLY when RLIMIT_MEMLOCK is unlimited (otherwise the first large allocation
//     would fail) and the build has no sanitizer (ASan/TSan shadow memory is terabytes of address
//     space). When skipped, `detail` says why; SecretBytes still locks its own arena, so key
//     material stays unswappable either way.
// It never fails: the caller logs the report (it holds no secret) and carries on.
//
// Call it once, early in the nsl-enclave main, before any key is loaded. Unit tests call it only in
// a forked child: it changes the whole process.
#pragma once

#include <string>

namespace nsl::enclave::trusted {

struct HardeningReport {
  bool not_dumpable = false;
  bool memory_locked = false;
  std::string detail;  // one clause per measure, "; "-separated, human readable (one log line)
};

HardeningReport harden_process();

}  // namespace nsl::enclave::trusted
