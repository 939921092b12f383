// nsl/http/server.hpp — HTTP/1.1 (+TLS) transport on Boost.Beast and C++20 coroutines.
//
//   boost::asio::io_context ioc;
//   Server srv(ioc, limits, registry);
//   auto port = srv.listen("127.0.0.1", 5000, dispatcher);           // plain
//   auto tls  = srv.listen("127.0.0.1", 5001, dispatcher, tls_ctx);  // TLS (optionally mTLS)
//   srv.start();  ... run ioc on N threads ...
//   srv.stop_accepting(); srv.begin_drain();  // SIGTERM path
//
// One coroutine per connection, on its own strand; keep-alive; limits that defeat slowloris and floods: the
// whole request head must arrive within header_timeout, the body within body_timeout, an idle keep-alive
// connection is closed after idle_timeout, a response must be written within write_timeout; header bytes,
// body bytes and connection count are capped (431 / 413 problem+json; excess connections are closed at
// accept). Malformed requests get a 400 problem+json and the connection is closed. Thread-safety: listen() and
// start() before running the io_context; the rest from any thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "http/dispatcher.hpp"
#include "http/tls.hpp"

namespace nsl::obs {
class Registry;
}

namespace nsl::http {

struct ServerLimits {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  unsigned max_connections = 10000;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds write_timeout{30000};
};

class Server {
 public:
  Server(boost::asio::io_context& ioc, ServerLimits limits, obs::Registry& registry);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds `address:port` (port 0: any free port) and returns the bound port. `tls` non-null: HTTPS.
  Result<std::uint16_t> listen(const std::string& address, std::uint16_t port, const Dispatcher& dispatcher,
                               std::shared_ptr<TlsContext> tls = nullptr);
  void start();
  // Closes every listener; established connections continue.
  void stop_accepting();
  // Idle keep-alive connections are closed now; busy ones close after their current response.
  void begin_drain();
  std::size_t connections() const noexcept;
  // Connections in the middle of a request (head received, response not yet written).
  std::size_t busy() const noexcept;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace nsl::http
