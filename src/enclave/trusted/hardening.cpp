#include "enclave/trusted/hardening.hpp"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>

#include "enclave/trusted/internal/fs.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NSL_ENCLAVE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define NSL_ENCLAVE_SANITIZED 1
#endif
#endif

namespace nsl::enclave::trusted {

HardeningReport harden_process() {
  HardeningReport r;
  auto note = [&r](const std::string& line) {
    if (!r.detail.empty()) r.detail += "; ";
    r.detail += line;
  };

  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 && ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0) {
    r.not_dumpable = true;
    note("not dumpable: yes");
  } else {
    note("not dumpable: prctl(PR_SET_DUMPABLE) failed: " + internal::errno_text(errno));
  }

  const struct rlimit no_core { 0, 0 };
  if (::setrlimit(RLIMIT_CORE, &no_core) == 0) {
    note("core size limit: 0");
  } else {
    note("core size limit: setrlimit failed: " + internal::errno_text(errno));
  }

#ifdef NSL_ENCLAVE_SANITIZED
  note(
      "memory lock: skipped, built with a sanitizer (its shadow memory would be locked); "
      "SecretBytes still locks its own pages");
#else
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_MEMLOCK, &lim) != 0) {
    note("memory lock: skipped, getrlimit(RLIMIT_MEMLOCK) failed: " + internal::errno_text(errno));
  } else if (lim.rlim_cur != RLIM_INFINITY) {
    note("memory lock: skipped, RLIMIT_MEMLOCK is " + std::to_string(lim.rlim_cur) +
         " bytes, not unlimited (set LimitMEMLOCK=infinity to lock all memory); "
         "SecretBytes still locks its own pages");
  } else if (::mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    note("memory lock: mlockall failed: " + internal::errno_text(errno));
  } else {
    r.memory_locked = true;
    note("memory lock: all current and future pages locked");
  }
#endif
  return r;
}

}  // namespace nsl::enclave::trusted
