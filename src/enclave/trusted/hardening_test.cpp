#include "enclave/trusted/hardening.hpp"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nsl::enclave::trusted {
namespace {

// harden_process changes the whole process, so it runs in a forked child that reports through its
// exit status: bit 0 = still dumpable, bit 1 = report disagrees with prctl, bit 2 = core limit not
// 0, bit 3 = empty detail.
TEST(Hardening, ChildBecomesNotDumpable) {
  ASSERT_EQ(::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1)
      << "the test process itself must stay dumpable";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const HardeningReport r = harden_process();
    int status = 0;
    if (::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) status |= 1;
    if (!r.not_dumpable) status |= 2;
    struct rlimit core {};
    if (::getrlimit(RLIMIT_CORE, &core) != 0 || core.rlim_cur != 0) status |= 4;
    if (r.detail.empty()) status |= 8;
    ::_exit(status);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0);
  EXPECT_EQ(::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);  // the parent is untouched
}

TEST(Hardening, MemoryLockOnlyWhenUnlimited) {
  struct rlimit lim {};
  ASSERT_EQ(::getrlimit(RLIMIT_MEMLOCK, &lim), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const HardeningReport r = harden_process();
    // With a finite limit the lock must be skipped (and said so); unlimited may lock (not under a
    // sanitizer).
    const bool skipped_ok = lim.rlim_cur == RLIM_INFINITY ||
                            (!r.memory_locked && r.detail.find("skipped") != std::string::npos);
    ::_exit(skipped_ok ? 0 : 1);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0);
}

}  // namespace
}  // namespace nsl::enclave::trusted
