#include "enclave/trusted/server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>  // explicit_bzero
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include "core/secret_string.hpp"
#include "core/thread_name.hpp"
#include "enclave/protocol/codec.hpp"
#include "enclave/protocol/stream.hpp"
#include "enclave/trusted/dispatch.hpp"
#include "obs/log.hpp"

namespace nsl::enclave::trusted {

using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

struct Conn {
  explicit Conn(int socket_fd, std::uint64_t n) : fd(socket_fd), number(n), writer(socket_fd) {}
  ~Conn() { ::close(fd); }
  void kill() noexcept {
    if (alive.exchange(false)) ::shutdown(fd, SHUT_RDWR);
  }
  int fd;
  std::uint64_t number;
  protocol::CombiningWriter writer;
  std::atomic<bool> alive{true};
  std::atomic<std::size_t> in_flight{0};
  std::atomic<bool> done{false};  // reader finished
  bool authenticated = false;     // reader thread only: a Hello with the right token arrived (or none is needed)
  std::thread reader;
};

struct Job {
  std::shared_ptr<Conn> conn;
  v1::Request request;
  Clock::time_point received;
};

Error sys_error(const std::string& what, int e) {
  return err::unavailable(what + ": " + std::strerror(e));
}

// Removes a socket left behind by a dead enclave; refuses to touch anything else.
Status clear_stale_socket(const std::string& path, const sockaddr_un& addr) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return sys_error("enclave socket " + path, errno);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return err::failed_precondition("enclave socket path " + path + " exists and is not a socket; refusing to replace it");
  }
  int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return sys_error("socket", errno);
  const bool live = ::connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(probe);
  if (live) return err::failed_precondition("another nsl-enclave is already listening on " + path);
  if (::unlink(path.c_str()) != 0) return sys_error("cannot remove stale enclave socket " + path, errno);
  return {};
}

}  // namespace

class Server::Impl {
 public:
  Impl(Enclave& enclave, ServerOptions o) : enclave_(enclave), opt_(std::move(o)) {}

  ~Impl() {
    if (listen_fd_ >= 0) ::close(listen_fd_);
    if (wake_[0] >= 0) ::close(wake_[0]);
    if (wake_[1] >= 0) ::close(wake_[1]);
  }

  Status listen() {
    if (opt_.tcp_port != 0) return listen_tcp();
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (opt_.socket_path.empty() || opt_.socket_path.size() >= sizeof(addr.sun_path)) {
      return err::invalid_argument("enclave socket path must be 1.." + std::to_string(sizeof(addr.sun_path) - 1) +
                                   " bytes");
    }
    std::memcpy(addr.sun_path, opt_.socket_path.data(), opt_.socket_path.size());
    NSL_TRY(clear_stale_socket(opt_.socket_path, addr));
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) return sys_error("socket", errno);
    // The socket file is created 0600 (umask during bind), never briefly wider.
    const mode_t old = ::umask(0177);
    const int rc = ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    const int bind_errno = errno;
    ::umask(old);
    if (rc != 0) return sys_error("cannot bind enclave socket " + opt_.socket_path, bind_errno);
    if (::chmod(opt_.socket_path.c_str(), 0600) != 0) return sys_error("chmod enclave socket", errno);
    if (::listen(listen_fd_, 64) != 0) return sys_error("listen", errno);
    if (::pipe2(wake_, O_CLOEXEC) != 0) return sys_error("pipe", errno);
    bound_ = true;
    return {};
  }

  Status listen_tcp() {
    if (opt_.token.empty()) return err::invalid_argument("a TCP enclave listener needs a token");
    const bool v6 = opt_.tcp_host == "::1";
    if (!v6 && opt_.tcp_host != "127.0.0.1") {
      return err::invalid_argument("the enclave listens on loopback only (127.0.0.1 or ::1)");
    }
    listen_fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) return sys_error("socket", errno);
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    int rc = 0;
    if (v6) {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(opt_.tcp_port);
      a.sin6_addr = in6addr_loopback;
      rc = ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&a), sizeof(a));
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(opt_.tcp_port);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      rc = ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&a), sizeof(a));
    }
    if (rc != 0) {
      return sys_error("cannot bind enclave TCP listener " + opt_.tcp_host + ":" + std::to_string(opt_.tcp_port),
                       errno);
    }
    if (::listen(listen_fd_, 64) != 0) return sys_error("listen", errno);
    if (::pipe2(wake_, O_CLOEXEC) != 0) return sys_error("pipe", errno);
    return {};
  }

  std::string where() const {
    return opt_.tcp_port != 0 ? "tcp://" + (opt_.tcp_host == "::1" ? "[::1]" : opt_.tcp_host) + ":" +
                                    std::to_string(opt_.tcp_port)
                              : opt_.socket_path;
  }

  void run() {
    unsigned n = opt_.workers != 0 ? opt_.workers : std::max(1U, std::thread::hardware_concurrency());
    worker_count_ = n;
    for (unsigned i = 0; i < n; ++i) workers_.emplace_back([this] {
      set_thread_name("enclave-work");
      work();
    });
    obs::log_info("enclave listening", {{"socket", where()},
                                        {"token_required", !opt_.token.empty()},
                                        {"workers", static_cast<std::uint64_t>(n)}});
    while (!stopping_.load()) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      const int rc = ::poll(fds, 2, 1000);
      reap();
      if (rc < 0 && errno != EINTR) {
        obs::log_error("enclave accept loop: poll failed", {{"error", std::strerror(errno)}});
        break;
      }
      if (rc <= 0 || (fds[0].revents & POLLIN) == 0) continue;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      accept_one(fd);
    }
    shutdown_all();
  }

  void stop() noexcept {
    stopping_.store(true);
    const char b = 1;
    if (wake_[1] >= 0) (void)!::write(wake_[1], &b, 1);
  }

  ServerStats stats() const { return {connections_.load(), requests_.load(), refused_.load()}; }

 private:
  void accept_one(int fd) {
    std::lock_guard lock(conns_mu_);
    if (conns_.size() >= opt_.max_connections) {
      refused_.fetch_add(1);
      obs::log_warn("enclave: connection refused, at max_connections",
                    {{"max_connections", static_cast<std::uint64_t>(opt_.max_connections)}});
      ::close(fd);
      return;
    }
    auto c = std::make_shared<Conn>(fd, connections_.fetch_add(1) + 1);
    c->authenticated = opt_.token.empty();
    if (opt_.tcp_port != 0) {
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      obs::log_info("enclave: client connected", {{"connection", c->number}, {"transport", "tcp"}});
      c->reader = std::thread([this, c] {
      set_thread_name("enclave-read");
      read_loop(c);
    });
      conns_.push_back(std::move(c));
      return;
    }
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
      obs::log_info("enclave: client connected", {{"connection", c->number},
                                                   {"peer_pid", static_cast<std::int64_t>(cred.pid)},
                                                   {"peer_uid", static_cast<std::int64_t>(cred.uid)}});
    }
    c->reader = std::thread([this, c] {
      set_thread_name("enclave-read");
      read_loop(c);
    });
    conns_.push_back(std::move(c));
  }

  // Joins the readers of closed connections.
  void reap() {
    std::vector<std::shared_ptr<Conn>> finished;
    {
      std::lock_guard lock(conns_mu_);
      for (auto it = conns_.begin(); it != conns_.end();) {
        if ((*it)->done.load()) {
          finished.push_back(std::move(*it));
          it = conns_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& c : finished) c->reader.join();
  }

  void shutdown_all() {
    std::list<std::shared_ptr<Conn>> all;
    {
      std::lock_guard lock(conns_mu_);
      all.swap(conns_);
    }
    for (auto& c : all) c->kill();
    for (auto& c : all) c->reader.join();
    {
      std::lock_guard lock(queue_mu_);
      queue_stopping_ = true;
    }
    queue_cv_.notify_all();
    for (auto& w : workers_) w.join();
    if (bound_ && opt_.tcp_port == 0) ::unlink(opt_.socket_path.c_str());
    obs::log_info("enclave stopped", {{"requests", requests_.load()}});
  }

  // Appends the frame of `resp` to `out` (an error frame in its place if it cannot be encoded).
  void append_answer(std::string& out, const v1::Response& resp) {
    const std::size_t at = out.size();
    Status st = protocol::append_message(out, resp, opt_.max_frame);
    if (!st.ok()) {
      v1::Response fallback;
      fallback.set_version(protocol::kProtocolVersion);
      fallback.set_id(resp.id());
      protocol::set_error(fallback, st.error());
      out.resize(at);
      (void)protocol::append_message(out, fallback, opt_.max_frame);
    }
  }

  // Sends `frames` (one or more answers) in one write and wipes them: answers may carry unsealed secrets.
  static void send_frames(Conn& c, std::string& frames) {
    if (frames.empty()) return;
    if (!c.writer.write(frames)) c.kill();
    ::explicit_bzero(frames.data(), frames.size());
    frames.clear();
  }

  void answer(Conn& c, const v1::Response& resp) {
    std::string frame;
    append_answer(frame, resp);
    send_frames(c, frame);
  }

  v1::Response refusal(std::uint64_t id, const Error& e) {
    refused_.fetch_add(1);
    v1::Response resp;
    resp.set_version(protocol::kProtocolVersion);
    resp.set_id(id);
    protocol::set_error(resp, e);
    return resp;
  }

  void refuse(Conn& c, std::uint64_t id, const Error& e) { answer(c, refusal(id, e)); }

  void read_loop(const std::shared_ptr<Conn>& c) {
    protocol::FrameReader frames(opt_.max_frame);
    std::vector<char> buf(kReadChunk);
    bool broken = false;
    while (!broken && c->alive.load()) {
      const ssize_t n = ::recv(c->fd, buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      frames.feed({buf.data(), static_cast<std::size_t>(n)});
      ::explicit_bzero(buf.data(), static_cast<std::size_t>(n));  // requests may carry secrets to seal
      // Requests of one read are queued together and the workers woken once: under pipelining a read holds
      // many frames, and a wake-up per frame costs more than the queueing.
      std::vector<Job> batch;
      for (;;) {
        auto next = frames.next();
        if (!next.ok()) {
          refuse(*c, 0, next.error());
          obs::log_warn("enclave: closing a connection with a broken frame stream",
                        {{"connection", c->number}, {"error", next.error().message()}});
          broken = true;
          break;
        }
        if (!next->has_value()) break;
        auto req = protocol::decode_request(**next);
        if (!req.ok()) {
          refuse(*c, 0, req.error());
          continue;
        }
        if (!c->authenticated) {
          // The first request must prove the token; it is answered here, in order, before anything queued.
          if (req->has_hello() && protocol::check_request(*req).ok() && opt_.token.equals(req->hello().token())) {
            c->authenticated = true;
            v1::Response pong;
            pong.set_version(protocol::kProtocolVersion);
            pong.set_id(req->id());
            pong.mutable_pong();
            answer(*c, pong);
          } else {
            refuse(*c, req->id(), err::unauthenticated("enclave: the first request must be a Hello with the token"));
            obs::log_warn("enclave: closing an unauthenticated connection", {{"connection", c->number}});
            broken = true;
            break;
          }
          if (req->has_hello()) SecretString::wipe(*req->mutable_hello()->mutable_token());
          continue;
        }
        if (c->in_flight.load() >= opt_.max_in_flight) {
          refuse(*c, req->id(), err::unavailable("enclave: too many requests in flight on this connection"));
          continue;
        }
        c->in_flight.fetch_add(1);
        batch.push_back(Job{c, std::move(*req), Clock::now()});
      }
      if (!batch.empty()) {
        {
          std::lock_guard lock(queue_mu_);
          for (Job& j : batch) queue_.push_back(std::move(j));
        }
        if (batch.size() == 1) {
          queue_cv_.notify_one();
        } else {
          queue_cv_.notify_all();
        }
      }
    }
    c->kill();
    c->done.store(true);
  }

  // A worker takes a share of the queue: one job when the queue is short, up to kMaxBatch under load (its fair
  // share of what waits, so the other workers get theirs). The answers of the signatures among them leave
  // together in one write per connection — one send and one wake-up of the reader on the other side instead of
  // one each. Any other request is answered alone: what is pending goes first, so a slow operation (an import
  // with a NEP-2 passphrase, an attestation) never holds back the answers taken before it, and its own answer
  // (perhaps an unsealed secret) is sent and wiped before anything else is appended.
  static constexpr std::size_t kMaxBatch = 8;

  static bool quick(const v1::Request& r) { return r.has_sign() || r.has_sign_typed() || r.has_ping(); }

  void work() {
    std::vector<Job> jobs;
    std::vector<std::pair<Conn*, std::string>> pending;  // answers not yet sent, per connection
    auto flush = [&] {
      for (auto& [conn, frames] : pending) send_frames(*conn, frames);
      pending.clear();
    };
    for (;;) {
      jobs.clear();
      {
        std::unique_lock lock(queue_mu_);
        queue_cv_.wait(lock, [this] { return queue_stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        const std::size_t share = (queue_.size() + worker_count_ - 1) / worker_count_;
        const std::size_t take = std::clamp<std::size_t>(share, 1, kMaxBatch);
        for (std::size_t i = 0; i < take && !queue_.empty(); ++i) {
          jobs.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      for (Job& job : jobs) {
        const bool alone = !quick(job.request);
        if (alone) flush();
        Conn& c = *job.conn;
        if (!c.alive.load()) continue;
        auto it = std::find_if(pending.begin(), pending.end(), [&](const auto& p) { return p.first == &c; });
        if (it == pending.end()) it = pending.insert(pending.end(), {&c, std::string()});
        run_job(job, it->second);
        // Its answer leaves at once, in a buffer of its own: it may carry an unsealed secret, which a later
        // append could copy into a grown buffer and leave unwiped in the old one.
        if (alone) flush();
      }
      flush();
      for (Job& job : jobs) job.conn->in_flight.fetch_sub(1);
      jobs.clear();  // drops the connections' references outside the lock, as before
    }
  }

  // Runs one request and appends its answer to `out`.
  void run_job(Job& job, std::string& out) {
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - job.received);
    if (job.request.deadline_ms() != 0 && waited.count() >= job.request.deadline_ms()) {
      append_answer(out, refusal(job.request.id(),
                                 err::deadline_exceeded("enclave: request waited " + std::to_string(waited.count()) +
                                                        " ms, past its deadline; not run")));
      return;
    }
    v1::Response resp = serve_request(enclave_, job.request);
    protocol::wipe_secrets(job.request);
    requests_.fetch_add(1);
    append_answer(out, resp);
    protocol::wipe_secrets(resp);
  }

  Enclave& enclave_;
  ServerOptions opt_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  bool bound_ = false;
  std::atomic<bool> stopping_{false};
  std::mutex conns_mu_;
  std::list<std::shared_ptr<Conn>> conns_;
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Job> queue_;
  bool queue_stopping_ = false;
  std::vector<std::thread> workers_;
  std::size_t worker_count_ = 1;  // set before the workers start
  std::atomic<std::uint64_t> connections_{0};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> refused_{0};
};

Result<std::unique_ptr<Server>> Server::listen(Enclave& enclave, ServerOptions options) {
  auto impl = std::make_unique<Impl>(enclave, std::move(options));
  NSL_TRY(impl->listen());
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;
void Server::run() { impl_->run(); }
void Server::stop() noexcept { impl_->stop(); }
ServerStats Server::stats() const { return impl_->stats(); }

}  // namespace nsl::enclave::trusted
