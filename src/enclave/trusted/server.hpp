// nsl/enclave/trusted/server.hpp — nsl-enclave's Unix socket server.
//
// Listens on `socket_path` (created mode 0600 in a directory the operator controls; a stale socket left by a
// crashed enclave is replaced, a live one is an error), or on loopback TCP, where a shared token (Hello) stands in
// for the file mode. Each connection gets a reader thread that splits the
// byte stream into frames (protocol/frame.hpp) and queues requests to a fixed pool of workers, which run
// serve_request() and write the answers back in completion order: many requests are in flight per connection
// and answers are matched by id. Bounds: max_connections, max_frame and max_in_flight per connection (beyond
// it a request is refused with unavailable rather than queued); a request that waited past its deadline is
// answered with deadline_exceeded without being run. A frame with a bad length header closes the connection
// after an error answer; a malformed or wrong-version message gets an error answer and the stream continues.
//
// Thread-safety: run() blocks the calling thread; stop() may be called from any thread (e.g. a signal thread).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "core/secret_string.hpp"
#include "enclave/enclave.hpp"

namespace nsl::enclave::trusted {

struct ServerOptions {
  std::string socket_path;     // Unix socket; ignored when tcp_port != 0
  std::string tcp_host;        // loopback TCP instead ("127.0.0.1" or "::1"), for Gramine
  std::uint16_t tcp_port = 0;  // 0 = Unix socket; with TCP a token is required
  // When set, the first request on every connection must be a Hello carrying it (compared in constant time);
  // otherwise the connection gets an unauthenticated error and is closed.
  SecretString token;
  unsigned workers = 0;  // 0 = number of CPUs
  std::size_t max_frame = std::size_t{1} << 20;
  std::size_t max_connections = 256;
  std::size_t max_in_flight = 4096;  // per connection
};

struct ServerStats {
  std::uint64_t connections = 0;  // accepted so far
  std::uint64_t requests = 0;     // answered so far
  std::uint64_t refused = 0;      // over max_in_flight / max_connections, or malformed
};

class Server {
 public:
  // Binds and listens; the socket exists (mode 0600) when this returns ok.
  static Result<std::unique_ptr<Server>> listen(Enclave& enclave, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Accepts and serves until stop(); then closes every connection, finishes queued work and returns.
  void run();
  void stop() noexcept;
  ServerStats stats() const;

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nsl::enclave::trusted
