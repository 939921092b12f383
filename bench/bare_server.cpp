// bench_bare_server — the baseline for bench/http_load.sh: the smallest Boost.Beast HTTP/1.1 server built the way
// nsl's transport (src/http/server.cpp) is built, minus everything nsl adds on top (routing, request ids, trace
// context, metrics, access log, problem+json, connection accounting, drain). The ratio nsl/bare is therefore the
// cost of nsl's request pipeline, not of Asio or Beast.
//
// Same structure as nsl: C++20 coroutines; one io_context run by N threads; each accepted socket on its own
// strand; beast::tcp_stream with an expiry per phase; a fresh request_parser per request with the same limits;
// TCP_NODELAY; keep-alive. Serves GET (and HEAD) /health/live with {"status":"alive"}; anything else is 404.
//
//   bench_bare_server <port> [threads]     # port 0 picks a free port; prints "listening on 127.0.0.1:<port>"
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// nsl's defaults (http::ServerLimits).
constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
constexpr std::size_t kMaxBodyBytes = 1024 * 1024;
constexpr std::chrono::seconds kHeaderTimeout{10}, kBodyTimeout{30}, kIdleTimeout{60}, kWriteTimeout{30};

asio::awaitable<void> session(tcp::socket sock) {
  beast::tcp_stream stream(std::move(sock));
  beast::flat_buffer buf;
  bool first = true;
  for (;;) {
    if (buf.size() == 0) {
      stream.expires_after(first ? kHeaderTimeout : kIdleTimeout);
      auto [ec, n] = co_await stream.async_read_some(buf.prepare(4096), kNoThrow);
      if (ec) break;
      buf.commit(n);
    }
    first = false;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(kMaxBodyBytes);
    stream.expires_after(kHeaderTimeout);
    auto [hec, hn] = co_await bhttp::async_read_header(stream, buf, parser, kNoThrow);
    if (hec) break;
    if (!parser.is_done()) {
      stream.expires_after(kBodyTimeout);
      auto [bec, bn] = co_await bhttp::async_read(stream, buf, parser, kNoThrow);
      if (bec) break;
    }
    const auto& req = parser.get();
    bool keep = req.keep_alive();
    bool head = req.method() == bhttp::verb::head;
    bhttp::response<bhttp::string_body> res;
    res.version(11);
    if ((req.method() == bhttp::verb::get || head) && req.target() == "/health/live") {
      res.result(bhttp::status::ok);
      res.set(bhttp::field::content_type, "application/json");
      res.body() = R"({"status":"alive"})";
    } else {
      res.result(bhttp::status::not_found);
      res.set(bhttp::field::content_type, "application/json");
      res.body() = R"({"status":404})";
    }
    res.keep_alive(keep);
    res.prepare_payload();
    if (head) res.body().clear();
    stream.expires_after(kWriteTimeout);
    auto [wec, wn] = co_await bhttp::async_write(stream, res, kNoThrow);
    if (wec || !keep) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> accept_loop(asio::io_context& ioc, tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, sock] = co_await acceptor.async_accept(asio::make_strand(ioc), kNoThrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      continue;
    }
    boost::system::error_code ignored;
    sock.set_option(tcp::no_delay(true), ignored);
    auto ex = sock.get_executor();
    asio::co_spawn(ex, session(std::move(sock)), asio::detached);
  }
}

bool parse_uint(std::string_view s, unsigned& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

int main(int argc, char** argv) {
  unsigned port = 0, threads = 2;
  if (argc < 2 || argc > 3 || !parse_uint(argv[1], port) || port > 65535 ||
      (argc == 3 && (!parse_uint(argv[2], threads) || threads == 0 || threads > 1024))) {
    std::fprintf(stderr, "usage: %s <port> [threads]\n", argv[0]);
    return 2;
  }
  asio::io_context ioc;  // as nsl serve: default concurrency hint
  tcp::acceptor acceptor(ioc);
  boost::system::error_code ec;
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::fprintf(stderr, "bench_bare_server: cannot listen on 127.0.0.1:%u: %s\n", port, ec.message().c_str());
    return 1;
  }
  std::printf("listening on 127.0.0.1:%u threads=%u\n", acceptor.local_endpoint().port(), threads);
  std::fflush(stdout);

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { ioc.stop(); });
  asio::co_spawn(ioc, accept_loop(ioc, acceptor), asio::detached);

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  return 0;
}
