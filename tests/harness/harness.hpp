// tests/harness/harness.hpp — helpers for nsl tests: temp dirs, free ports, child processes,
// service DSNs, and an HTTP client for end-to-end tests.
//
// Services: `scripts/test-services.sh start DIR` (run once per ctest run by the `nsl_services`
// fixture) writes DIR/env; tests find it through NSL_TEST_SERVICES_ENV. A test that needs a server
// starts with
//
//   TEST(FooPg, Bar) {
//     NSL_REQUIRE_PG();  // skips without a server; fails instead when CI is set
//     auto dsn = *nsl::testing::pg_dsn();
//     ...
//   }
//
// The helpers throw std::runtime_error / std::system_error when the machine misbehaves (mkdtemp,
// spawn); gtest reports that as a failure of the test that called them.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nsl::testing {

// ---- locations ----------------------------------------------------------------------------------

// Source tree root (NSL_SOURCE_DIR, else the tree this library was configured from).
std::string source_dir();
// Build tree root (NSL_BUILD_DIR, else the tree this library was built in), where bin/nsl lives.
std::string build_dir();
// The server binary under test: build_dir() + "/bin/nsl".
std::string nsl_binary();

// ---- services -----------------------------------------------------------------------------------

// A value written by scripts/test-services.sh: the environment variable KEY when set and non-empty,
// else the KEY=VALUE line of the file named by NSL_TEST_SERVICES_ENV (default
// build_dir()/test-services/env).
std::optional<std::string> service_env(const std::string& key);
// postgresql://nsl_admin:PASS@127.0.0.1:PORT/nsl_test (NSL_TEST_PG_DSN).
std::optional<std::string> pg_dsn();
// redis://:PASS@127.0.0.1:PORT/0 (NSL_TEST_REDIS_URL).
std::optional<std::string> redis_url();
// True when the environment variable CI is set to a non-empty value.
bool in_ci();

// Parts of a redis://[user][:password]@host:port[/db] URL, for clients that take them separately.
struct RedisEndpoint {
  std::string host;
  int port = 6379;
  std::string user;
  std::string password;
  int db = 0;
};
std::optional<RedisEndpoint> parse_redis_url(std::string_view url);

// Statement macros for the start of a test body or SetUp(): skip (locally) or fail (in CI, where a
// silent skip would hide a broken harness) when the service is not configured.
#define NSL_REQUIRE_SERVICE_(available, what)                                               \
  do {                                                                                      \
    if (!(available)) {                                                                     \
      if (::nsl::testing::in_ci()) {                                                        \
        FAIL() << what << " is not configured (NSL_TEST_SERVICES_ENV) but CI is set";       \
      } else {                                                                              \
        GTEST_SKIP() << what << " not configured: run through ctest (fixture nsl_services)" \
                     << " or scripts/test-services.sh start DIR";                           \
      }                                                                                     \
    }                                                                                       \
  } while (0)
// The same for a back end a contract suite's traits describe: `reason` empty = available.
#define NSL_REQUIRE_AVAILABLE(reason)                              \
  do {                                                             \
    const std::string nsl_why_ = (reason);                         \
    if (!nsl_why_.empty()) {                                       \
      if (::nsl::testing::in_ci()) FAIL() << nsl_why_ << " (CI is set)"; \
      GTEST_SKIP() << nsl_why_;                                    \
    }                                                              \
  } while (0)
#define NSL_REQUIRE_PG() NSL_REQUIRE_SERVICE_(::nsl::testing::pg_dsn().has_value(), "PostgreSQL")
#define NSL_REQUIRE_REDIS() NSL_REQUIRE_SERVICE_(::nsl::testing::redis_url().has_value(), "Redis")

// ---- files and ports ----------------------------------------------------------------------------

// A fresh directory under $TMPDIR (or /tmp) with a short name, so Unix socket paths inside it stay
// well below the 108-byte limit; removed recursively by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes NAME (relative to path(); parent folders are created) and returns its full path.
  std::string write_file(const std::string& name, std::string_view content) const;

 private:
  std::string path_;
};

// Reads a whole file; empty when it cannot be read.
std::string read_file(const std::string& path);

// A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it back, close). Another
// process may take it before the caller binds it: retry on EADDRINUSE where that matters.
int free_tcp_port();

// ---- child processes ----------------------------------------------------------------------------

struct ChildOptions {
  std::vector<std::string> argv;                         // argv[0] is looked up in PATH
  std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing in) ours
  // stdout+stderr go here (truncated first); empty: a private temp file removed with the object.
  std::string log_file;
  std::string working_dir;  // empty: inherit
};

// A spawned process in its own process group, stdin from /dev/null, stdout+stderr to a log file.
// The destructor SIGKILLs the whole group and reaps the child if it was not reaped before.
class ChildProcess {
 public:
  explicit ChildProcess(ChildOptions options);
  explicit ChildProcess(std::vector<std::string> argv,
                        std::vector<std::pair<std::string, std::string>> env = {},
                        std::string log_file = {});
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Sends SIG to the child only / to its whole process group. False when it already exited.
  bool signal(int sig);
  bool signal_group(int sig);
  // Waits up to TIMEOUT for the child to exit: its exit code, 128 + signal number when a signal
  // ended it, or nullopt on timeout. Once it returned a value it returns the same value again.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  bool running();
  // Everything the child wrote to stdout and stderr so far.
  std::string output() const;
  // Polls output() until it contains NEEDLE; false on timeout or when the child exits without it.
  bool wait_for_output(std::string_view needle, std::chrono::milliseconds timeout);
  const std::string& log_file() const { return log_file_; }

 private:
  void kill_and_reap() noexcept;
  std::optional<int> poll_exit();

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  bool reaped_ = false;
  std::string log_file_;
  bool owns_log_file_ = false;
};

// ---- HTTP ---------------------------------------------------------------------------------------

enum class HttpVersion { kHttp1_0, kHttp1_1, kHttp2 };

// A body is sent for POST/PUT/PATCH and whenever `body` is not empty; set Content-Type yourself
// (libcurl would otherwise send application/x-www-form-urlencoded).
struct HttpRequestOptions {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};
  bool insecure = false;         // skip TLS peer and host name verification
  std::string ca_file;           // trust anchors for the server certificate (PEM)
  std::string client_cert_file;  // mTLS client certificate (PEM)
  std::string client_key_file;   // mTLS client private key (PEM)
  HttpVersion http_version = HttpVersion::kHttp1_1;
  bool follow_redirects = false;
};

struct HttpResponse {
  long status = 0;                             // 0 when no response arrived (see error)
  std::map<std::string, std::string> headers;  // lower-case names; repeats joined with ", "
  std::string body;
  std::string error;  // empty on success: connect refused, TLS failure, timeout, ...
};

// One request on its own libcurl easy handle: safe to call from several threads at once.
// Environment proxies are ignored; tests talk to local servers only.
HttpResponse http_request(const HttpRequestOptions& options);
// Convenience for GET.
HttpResponse http_get(const std::string& url);

// Polls URL until any HTTP response arrives (whatever the status; TLS is not verified); false on
// timeout.
bool wait_for_http(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace nsl::testing
