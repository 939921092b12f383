// Replays fuzz inputs without libFuzzer: every regular file under each argument (a corpus directory, searched
// recursively, or a single file) is fed once to LLVMFuzzerTestOneInput, in name order. Built for every fuzz
// target by nsl_fuzz() as fuzz_<name>_replay and run by ctest on fuzz/corpus/<name>/ (label `fuzz`).
//
//   fuzz_http_request_replay fuzz/corpus/http_request            # the regression test
//   fuzz_http_request_replay fuzz/crashers/http_request-oob-1     # reproduce one crasher under a debugger
//
// Exit status: 0 when every input ran; 1 when an argument is missing or no input was found (an empty corpus
// must not pass silently); a target bug aborts (or is reported by a sanitizer) with the input's path printed.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <csignal>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NSL_REPLAY_HAS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer) || \
    __has_feature(thread_sanitizer)
#define NSL_REPLAY_HAS_SANITIZER 1
#endif
#endif
#ifdef NSL_REPLAY_HAS_SANITIZER
#include <sanitizer/common_interface_defs.h>
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

// The input being run, for the crash message (read by signal and sanitizer death handlers).
char g_current[4096] = "";

void say_current() {
  if (g_current[0] == '\0') return;
  static const char kMsg[] = "\nfuzz replay: crashed on input ";
  ssize_t ignored = ::write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
  ignored = ::write(STDERR_FILENO, g_current, std::strlen(g_current));
  ignored = ::write(STDERR_FILENO, "\n", 1);
  (void)ignored;
}

extern "C" void on_fatal_signal(int sig) {
  say_current();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

bool collect(const fs::path& arg, std::vector<fs::path>& out) {
  std::error_code ec;
  if (fs::is_regular_file(arg, ec)) {
    out.push_back(arg);
    return true;
  }
  if (!fs::is_directory(arg, ec)) return false;
  for (auto it = fs::recursive_directory_iterator(arg, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) out.push_back(it->path());
  }
  return !ec;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <corpus-dir-or-file>...\n", argv[0]);
    return 1;
  }
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
#ifdef NSL_REPLAY_HAS_SANITIZER
  __sanitizer_set_death_callback(say_current);
#endif
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, on_fatal_signal);

  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    if (!collect(argv[i], inputs)) {
      std::fprintf(stderr, "fuzz replay: %s is not a readable file or directory\n", argv[i]);
      return 1;
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "fuzz replay: no inputs found (an empty corpus is an error)\n");
    return 1;
  }
  std::sort(inputs.begin(), inputs.end());

  std::size_t bytes = 0;
  for (const auto& p : inputs) {
    std::ifstream f(p, std::ios::binary);
    if (!f) {
      std::fprintf(stderr, "fuzz replay: cannot read %s\n", p.c_str());
      return 1;
    }
    std::vector<char> buf((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::snprintf(g_current, sizeof g_current, "%s", p.c_str());
    // A fresh heap copy of exactly the input's size, so ASan catches reads past the end as libFuzzer would.
    auto data = std::make_unique<std::uint8_t[]>(buf.size());
    std::copy(buf.begin(), buf.end(), data.get());
    LLVMFuzzerTestOneInput(data.get(), buf.size());
    bytes += buf.size();
  }
  g_current[0] = '\0';
  std::printf("fuzz replay: %zu inputs (%zu bytes) ran without failure\n", inputs.size(), bytes);
  return 0;
}
