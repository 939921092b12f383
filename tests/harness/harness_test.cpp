// Unit tests of the test harness itself: no servers, only /bin/sh and loopback sockets.
#include "harness/harness.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nsl::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST(TempDirTest, CreatesShortDirectoryAndRemovesItRecursively) {
  std::string path;
  {
    TempDir dir;
    path = dir.path();
    ASSERT_TRUE(fs::is_directory(path));
    // Room for a Unix socket name inside it.
    EXPECT_LT(path.size() + sizeof("/nsl-enclave.sock"), 108u);
    const std::string file = dir.write_file("sub/dir/file.txt", "hello");
    EXPECT_EQ(read_file(file), "hello");
    fs::create_directories(path + "/a/b/c");
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(TempDirTest, MoveTransfersOwnership) {
  TempDir a;
  const std::string path = a.path();
  {
    TempDir b(std::move(a));
    EXPECT_EQ(b.path(), path);
    EXPECT_TRUE(a.path().empty());  // NOLINT(bugprone-use-after-move): checks the moved-from state
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(FreePortTest, PortCanBeBound) {
  const int port = free_tcp_port();
  ASSERT_GT(port, 0);
  ASSERT_LT(port, 65536);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << port;
  ::close(fd);
}

TEST(ChildProcessTest, ReportsExitCode) {
  ChildProcess child({"/bin/sh", "-c", "exit 7"});
  EXPECT_GT(child.pid(), 0);
  EXPECT_EQ(child.wait_exit(10s), 7);
  EXPECT_FALSE(child.running());
  EXPECT_EQ(child.wait_exit(0ms), 7);  // stable once known
}

TEST(ChildProcessTest, TimesOutWhileRunning) {
  ChildProcess child({"/bin/sh", "-c", "sleep 30"});
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(child.wait_exit(100ms), std::nullopt);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
  EXPECT_TRUE(child.running());
}

TEST(ChildProcessTest, SignalEndsChildWith128PlusSignal) {
  ChildProcess child({"/bin/sh", "-c", "sleep 30"});
  ASSERT_TRUE(child.running());
  EXPECT_TRUE(child.signal(SIGTERM));
  EXPECT_EQ(child.wait_exit(10s), 128 + SIGTERM);
  EXPECT_FALSE(child.signal(SIGTERM));  // already exited
}

TEST(ChildProcessTest, CapturesStdoutAndStderrAndEnv) {
  ChildProcess child({"/bin/sh", "-c", "echo out-$NSL_X; echo err >&2"}, {{"NSL_X", "42"}});
  ASSERT_EQ(child.wait_exit(10s), 0);
  const std::string out = child.output();
  EXPECT_NE(out.find("out-42\n"), std::string::npos) << out;
  EXPECT_NE(out.find("err\n"), std::string::npos) << out;
}

TEST(ChildProcessTest, WritesGivenLogFileAndWorkingDir) {
  TempDir dir;
  const std::string log = dir.path() + "/child.log";
  {
    ChildProcess child(ChildOptions{{"/bin/sh", "-c", "pwd"}, {}, log, dir.path()});
    ASSERT_EQ(child.wait_exit(10s), 0);
    EXPECT_EQ(child.log_file(), log);
    EXPECT_TRUE(child.wait_for_output(dir.path(), 1s)) << child.output();
  }
  EXPECT_TRUE(fs::exists(log));  // the caller's file is kept
}

TEST(ChildProcessTest, RunsInOwnProcessGroup) {
  ChildProcess child({"/bin/sh", "-c", "sleep 30"});
  EXPECT_EQ(::getpgid(child.pid()), child.pid());
}

TEST(ChildProcessTest, DestructorKillsWholeGroup) {
  TempDir dir;
  const std::string pid_file = dir.path() + "/grandchild.pid";
  pid_t grandchild = 0;
  {
    ChildProcess child({"/bin/sh", "-c", "sleep 30 & echo $! > " + pid_file + "; wait"});
    for (int i = 0; i < 500 && read_file(pid_file).empty(); ++i) std::this_thread::sleep_for(10ms);
    grandchild = static_cast<pid_t>(std::atoi(read_file(pid_file).c_str()));
    ASSERT_GT(grandchild, 0);
    EXPECT_EQ(::kill(grandchild, 0), 0);
  }
  // The grandchild's parent (sh) is gone, so it is reparented and reaped by init; poll for that.
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    const std::string stat = read_file("/proc/" + std::to_string(grandchild) + "/stat");
    gone = stat.empty() || stat.find(") Z") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(gone);
}

TEST(ChildProcessTest, MissingProgramThrows) {
  EXPECT_THROW(ChildProcess({"/nonexistent/program"}), std::system_error);
}

// Restores (or unsets) an environment variable when the scope ends.
class ScopedEnv {
 public:
  explicit ScopedEnv(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) old_ = v;
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(ServiceEnvTest, ReadsEnvFileAndPrefersEnvironment) {
  const ScopedEnv keep_file("NSL_TEST_SERVICES_ENV");
  const ScopedEnv keep_pg("NSL_TEST_PG_DSN");
  const ScopedEnv keep_redis("NSL_TEST_REDIS_URL");
  TempDir dir;
  const std::string file = dir.write_file(
      "env", "NSL_TEST_PG_DSN=postgresql://u:p@127.0.0.1:5/db\nNSL_TEST_REDIS_URLX=no\n");
  ASSERT_EQ(::setenv("NSL_TEST_SERVICES_ENV", file.c_str(), 1), 0);
  ::unsetenv("NSL_TEST_PG_DSN");
  ::unsetenv("NSL_TEST_REDIS_URL");
  EXPECT_EQ(pg_dsn(), "postgresql://u:p@127.0.0.1:5/db");
  EXPECT_EQ(redis_url(), std::nullopt);  // a longer key with the same prefix does not match
  ASSERT_EQ(::setenv("NSL_TEST_PG_DSN", "postgresql://other", 1), 0);
  EXPECT_EQ(pg_dsn(), "postgresql://other");
  ::unsetenv("NSL_TEST_PG_DSN");
  ASSERT_EQ(::setenv("NSL_TEST_SERVICES_ENV", (dir.path() + "/missing").c_str(), 1), 0);
  EXPECT_EQ(pg_dsn(), std::nullopt);
}

TEST(ServiceEnvTest, ParsesRedisUrl) {
  auto ep = parse_redis_url("redis://:s3cr%2Ft@127.0.0.1:6380/2");
  ASSERT_TRUE(ep.has_value());
  EXPECT_EQ(ep->host, "127.0.0.1");
  EXPECT_EQ(ep->port, 6380);
  EXPECT_EQ(ep->user, "");
  EXPECT_EQ(ep->password, "s3cr/t");
  EXPECT_EQ(ep->db, 2);
  ep = parse_redis_url("redis://[::1]");
  ASSERT_TRUE(ep.has_value());
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->port, 6379);
  EXPECT_FALSE(parse_redis_url("http://x").has_value());
  EXPECT_FALSE(parse_redis_url("redis://h:99999").has_value());
}

TEST(LocationsTest, NslBinaryIsUnderBuildDir) {
  EXPECT_EQ(nsl_binary(), build_dir() + "/bin/nsl");
  EXPECT_TRUE(fs::exists(source_dir() + "/tests/harness/harness.hpp")) << source_dir();
}

// A one-connection-at-a-time HTTP/1.1 server on a loopback port, answering every request alike.
class TinyHttpServer {
 public:
  TinyHttpServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("TinyHttpServer: bind/listen failed");
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TinyHttpServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  TinyHttpServer(const TinyHttpServer&) = delete;
  TinyHttpServer& operator=(const TinyHttpServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  std::string last_request() {
    std::lock_guard lock(mu_);
    return last_request_;
  }

 private:
  void serve() {
    while (!stop_) {
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      // Read headers, then Content-Length bytes of body.
      size_t need = std::string::npos;
      while (need == std::string::npos || req.size() < need) {
        const ssize_t n = ::read(c, buf, sizeof(buf));
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
        const auto end = req.find("\r\n\r\n");
        if (end != std::string::npos && need == std::string::npos) {
          size_t body = 0;
          if (const auto cl = req.find("Content-Length: "); cl != std::string::npos && cl < end) {
            body = std::strtoul(req.c_str() + cl + 16, nullptr, 10);
          }
          need = end + 4 + body;
        }
      }
      {
        std::lock_guard lock(mu_);
        last_request_ = req;
      }
      const std::string resp =
          "HTTP/1.1 418 I'm a teapot\r\nContent-Type: text/plain\r\nX-Multi: a\r\nx-multi: b\r\n"
          "Content-Length: 6\r\nConnection: close\r\n\r\nteapot";
      (void)!::write(c, resp.data(), resp.size());
      ::close(c);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::string last_request_;
  std::thread thread_;
};

TEST(HttpTest, ReturnsStatusLowercaseHeadersAndBody) {
  TinyHttpServer server;
  ASSERT_TRUE(wait_for_http(server.url(), 5s));
  HttpRequestOptions o;
  o.method = "PUT";
  o.url = server.url() + "thing";
  o.headers = {{"Content-Type", "application/json"}, {"X-Req", "1"}};
  o.body = R"({"a":1})";
  const HttpResponse r = http_request(o);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status, 418);
  EXPECT_EQ(r.body, "teapot");
  EXPECT_EQ(r.headers.at("content-type"), "text/plain");
  EXPECT_EQ(r.headers.at("x-multi"), "a, b");
  const std::string req = server.last_request();
  EXPECT_EQ(req.rfind("PUT /thing HTTP/1.1\r\n", 0), 0u) << req;
  EXPECT_NE(req.find("X-Req: 1\r\n"), std::string::npos) << req;
  EXPECT_EQ(req.find("Expect:"), std::string::npos) << req;
  EXPECT_NE(req.find("\r\n\r\n{\"a\":1}"), std::string::npos) << req;
}

TEST(HttpTest, ConnectionRefusedIsAnErrorWithStatusZero) {
  const int port = free_tcp_port();  // nothing listens there
  HttpRequestOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  o.timeout = 2s;
  const HttpResponse r = http_request(o);
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
  EXPECT_FALSE(wait_for_http(o.url, 200ms));
}

TEST(HttpTest, ParallelCallsAreIndependent) {
  TinyHttpServer server;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 5; ++j) ok += http_get(server.url()).status == 418 ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 20);
}

}  // namespace
}  // namespace nsl::testing
