#include "http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <unordered_map>

#include "core/secret_string.hpp"
#include "core/strings.hpp"
#include "http/internal/request_fill.hpp"
#include "http/internal/response_wire.hpp"
#include "http/problem.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"

namespace nsl::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Per-connection state shared with the drain path; touched only on the connection's strand.
struct ConnState {
  beast::tcp_stream* lowest = nullptr;
  bool busy = false;
  bool alive = true;
};

struct Listener {
  explicit Listener(asio::io_context& ioc) : acceptor(ioc) {}
  tcp::acceptor acceptor;
  const Dispatcher* dispatcher = nullptr;
  std::shared_ptr<TlsContext> tls;
};

bool is_quiet_close(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::operation_aborted ||
         ec == beast::error::timeout || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::ssl::error::stream_truncated || ec == bhttp::error::partial_message;
}

}  // namespace

class Server::Impl : public std::enable_shared_from_this<Server::Impl> {
 public:
  Impl(asio::io_context& ioc, ServerLimits lim, obs::Registry& reg) : ioc_(ioc), lim_(lim) {
    open_conns_ = &reg.gauge("nsl_http_connections", "Open client connections on all listeners");
    rejected_ = &reg.counter("nsl_http_connections_rejected_total",
                             "Connections closed at accept because max_connections was reached or draining");
    tls_failures_ = &reg.counter("nsl_tls_handshake_failures_total", "Failed TLS handshakes (incl. mTLS)");
  }

  Result<std::uint16_t> listen(const std::string& address, std::uint16_t port, const Dispatcher& d,
                               std::shared_ptr<TlsContext> tls) {
    error_code ec;
    auto addr = asio::ip::make_address(address, ec);
    if (ec) return err::invalid_argument("bad listen address '" + address + "'");
    auto l = std::make_unique<Listener>(ioc_);
    tcp::endpoint ep(addr, port);
    l->acceptor.open(ep.protocol(), ec);
    if (!ec) l->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) l->acceptor.bind(ep, ec);
    if (!ec) l->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return err::unavailable("cannot listen on " + address + ":" + std::to_string(port) + ": " + ec.message());
    l->dispatcher = &d;
    l->tls = std::move(tls);
    std::uint16_t bound = l->acceptor.local_endpoint().port();
    listeners_.push_back(std::move(l));
    return bound;
  }

  void start() {
    auto self = shared_from_this();
    for (auto& l : listeners_) {
      asio::co_spawn(l->acceptor.get_executor(), accept_loop(self, *l), asio::detached);
    }
  }

  void stop_accepting() {
    for (auto& l : listeners_) {
      asio::post(l->acceptor.get_executor(), [l = l.get()] {
        error_code ec;
        l->acceptor.close(ec);
      });
    }
  }

  void begin_drain() {
    draining_.store(true);
    std::lock_guard lk(mu_);
    for (auto& [id, entry] : conns_) {
      auto& [ex, st] = entry;
      asio::post(ex, [st = st] {
        if (st->alive && !st->busy && st->lowest != nullptr) {
          error_code ec;
          st->lowest->socket().shutdown(tcp::socket::shutdown_both, ec);
          st->lowest->socket().close(ec);
        }
      });
    }
  }

  std::size_t connections() const noexcept { return n_conns_.load(); }
  std::size_t busy() const noexcept { return n_busy_.load(); }

 private:
  using StrandEx = asio::any_io_executor;  // a strand, type-erased by the accepted socket

  static asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self, Listener& l) {
    for (;;) {
      auto [ec, sock] = co_await l.acceptor.async_accept(asio::make_strand(self->ioc_), kNoThrow);
      if (ec) {
        if (ec == asio::error::operation_aborted || !l.acceptor.is_open()) co_return;
        obs::log_warn("accept failed", {{"error", ec.message()}});
        if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
          // Out of file descriptors: back off briefly instead of spinning.
          asio::steady_timer t(l.acceptor.get_executor(), std::chrono::milliseconds(50));
          co_await t.async_wait(kNoThrow);
        }
        continue;
      }
      if (self->n_conns_.load() >= self->lim_.max_connections || self->draining_.load()) {
        self->rejected_->inc();
        error_code ignored;
        sock.close(ignored);
        continue;
      }
      error_code ignored;
      sock.set_option(tcp::no_delay(true), ignored);
      self->n_conns_.fetch_add(1);  // counted here, before the session runs, so the cap is exact
      auto ex = sock.get_executor();
      asio::co_spawn(ex, session(self, std::move(sock), l), asio::detached);
    }
  }

  // Registers the connection for the drain path; unregisters and counts down when the session ends.
  struct ConnGuard {
    ConnGuard(Impl& s, const StrandEx& ex) : srv(s), st(std::make_shared<ConnState>()) {
      srv.open_conns_->inc();
      std::lock_guard lk(srv.mu_);
      id = ++srv.next_id_;
      srv.conns_.emplace(id, std::make_pair(ex, st));
    }
    ~ConnGuard() {
      st->alive = false;
      set_busy(false);
      {
        std::lock_guard lk(srv.mu_);
        srv.conns_.erase(id);
      }
      srv.open_conns_->dec();
      srv.n_conns_.fetch_sub(1);
    }
    void set_busy(bool b) {
      if (b == st->busy) return;
      st->busy = b;
      if (b) {
        srv.n_busy_.fetch_add(1);
      } else {
        srv.n_busy_.fetch_sub(1);
      }
    }
    Impl& srv;
    std::shared_ptr<ConnState> st;
    std::uint64_t id = 0;
  };

  static asio::awaitable<void> session(std::shared_ptr<Impl> self, tcp::socket sock, Listener& l) {
    auto ex = sock.get_executor();
    ConnGuard guard(*self, ex);
    error_code ec;
    auto ep = sock.remote_endpoint(ec);
    std::string remote = ec ? std::string() : ep.address().to_string();
    beast::tcp_stream stream(std::move(sock));
    if (!l.tls) {
      guard.st->lowest = &stream;
      co_await self->serve(stream, l, remote, false, guard);
      // Lingering close so that a client still sending (e.g. an oversized body) reads our response
      // instead of a reset.
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      stream.expires_after(std::chrono::milliseconds(500));
      char sink[4096];
      for (int i = 0; i < 64; ++i) {
        auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), kNoThrow);
        if (rec) break;
      }
      co_return;
    }
    std::shared_ptr<asio::ssl::context> ctx = l.tls->current();
    beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(stream), *ctx);
    guard.st->lowest = &beast::get_lowest_layer(tls_stream);
    beast::get_lowest_layer(tls_stream).expires_after(self->lim_.header_timeout);
    auto [hec] = co_await tls_stream.async_handshake(asio::ssl::stream_base::server, kNoThrow);
    if (hec) {
      self->tls_failures_->inc();
      obs::log_debug("TLS handshake failed", {{"remote", remote}, {"error", hec.message()}});
      co_return;
    }
    co_await self->serve(tls_stream, l, remote, true, guard);
    beast::get_lowest_layer(tls_stream).expires_after(std::chrono::seconds(1));
    co_await tls_stream.async_shutdown(kNoThrow);
  }

  template <class Stream>
  static asio::awaitable<bool> write_response(Stream& s, beast::tcp_stream& lowest, Response& res,
                                              bool head, bool keep_alive, bool http10,
                                              std::chrono::milliseconds timeout) {
    std::string wire = internal::serialize_response(res, head, keep_alive, http10);
    lowest.expires_after(timeout);
    auto [ec, n] = co_await asio::async_write(s, asio::buffer(wire), kNoThrow);
    if (res.sensitive) {
      SecretString::wipe(wire);
      SecretString::wipe(res.body);
    }
    co_return !ec;
  }

  template <class Stream>
  asio::awaitable<void> serve(Stream& s, Listener& l, const std::string& remote, bool tls, ConnGuard& guard) {
    beast::tcp_stream& lowest = *guard.st->lowest;
    beast::flat_buffer buf;
    bool first = true;
    for (;;) {
      guard.set_busy(false);
      if (draining_.load()) co_return;
      if (buf.size() == 0) {
        // Waiting for the next request: a fresh connection gets header_timeout, keep-alive gets idle_timeout.
        lowest.expires_after(first ? lim_.header_timeout : lim_.idle_timeout);
        auto [ec, n] = co_await s.async_read_some(buf.prepare(4096), kNoThrow);
        if (ec) co_return;
        buf.commit(n);
      }
      first = false;
      guard.set_busy(true);

      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(lim_.max_header_bytes));
      parser.body_limit(lim_.max_body_bytes);
      Request req;
      req.remote_addr = remote;
      req.tls = tls;
      lowest.expires_after(lim_.header_timeout);
      auto [hec, hn] = co_await bhttp::async_read_header(s, buf, parser, kNoThrow);
      if (hec) {
        co_await reject(s, lowest, l, req, hec);
        co_return;
      }
      if (Status hs = internal::fill_request_head(parser.get().base(), req); !hs.ok()) {
        co_await reject_with(s, lowest, l, req, hs.error());
        co_return;
      }
      if (!parser.is_done()) {
        auto expect = req.headers.get("expect");
        if (expect && iequals(trim(*expect), "100-continue")) {
          bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
          lowest.expires_after(lim_.write_timeout);
          auto [cec, cn] = co_await bhttp::async_write(s, cont, kNoThrow);
          if (cec) co_return;
        }
        lowest.expires_after(lim_.body_timeout);
        auto [bec, bn] = co_await bhttp::async_read(s, buf, parser, kNoThrow);
        if (bec) {
          co_await reject(s, lowest, l, req, bec);
          co_return;
        }
      }
      req.keep_alive = parser.get().keep_alive();
      req.body = std::move(parser.get().body());
      lowest.expires_never();
      Response res = co_await l.dispatcher->handle(req);
      bool keep = req.keep_alive && !draining_.load();
      bool ok = co_await write_response(s, lowest, res, req.method == Method::head, keep, req.http10,
                                        lim_.write_timeout);
      if (!ok || !keep) co_return;
    }
  }

  // A read error before dispatch: answer with a problem when the client deserves one, else just close.
  template <class Stream>
  asio::awaitable<void> reject(Stream& s, beast::tcp_stream& lowest, Listener& l, Request& req,
                               const error_code& ec) {
    if (is_quiet_close(ec)) co_return;
    co_await reject_with(s, lowest, l, req, internal::parse_error(ec, lim_.max_body_bytes));
  }

  template <class Stream>
  asio::awaitable<void> reject_with(Stream& s, beast::tcp_stream& lowest, Listener& l, Request& req,
                                    const Error& e) {
    if (req.path.empty()) req.path = "/";
    Response res = l.dispatcher->transport_error(req, e);
    co_await write_response(s, lowest, res, false, false, req.http10, lim_.write_timeout);
  }

  asio::io_context& ioc_;
  ServerLimits lim_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::atomic<std::size_t> n_conns_{0}, n_busy_{0};
  std::atomic<bool> draining_{false};
  std::mutex mu_;
  std::unordered_map<std::uint64_t, std::pair<StrandEx, std::shared_ptr<ConnState>>> conns_;
  std::uint64_t next_id_ = 0;
  obs::Gauge* open_conns_;
  obs::Counter* rejected_;
  obs::Counter* tls_failures_;
};

Server::Server(asio::io_context& ioc, ServerLimits limits, obs::Registry& registry)
    : impl_(std::make_shared<Impl>(ioc, limits, registry)) {}
Server::~Server() = default;

Result<std::uint16_t> Server::listen(const std::string& address, std::uint16_t port, const Dispatcher& d,
                                     std::shared_ptr<TlsContext> tls) {
  return impl_->listen(address, port, d, std::move(tls));
}
void Server::start() { impl_->start(); }
void Server::stop_accepting() { impl_->stop_accepting(); }
void Server::begin_drain() { impl_->begin_drain(); }
std::size_t Server::connections() const noexcept { return impl_->connections(); }
std::size_t Server::busy() const noexcept { return impl_->busy(); }

}  // namespace nsl::http
