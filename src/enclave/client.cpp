#include "enclave/client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>  // explicit_bzero
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/secret_string.hpp"
#include "core/thread_name.hpp"
#include "enclave/protocol/codec.hpp"
#include "enclave/protocol/stream.hpp"
#include "obs/log.hpp"

namespace nsl::enclave {

// `v1` (the generated protocol namespace) is nsl::enclave::v1, already in scope here.
using protocol::bytes_string;
using protocol::bytes_view;
using Clock = std::chrono::steady_clock;
using Callback = std::function<void(Result<v1::Response>)>;

namespace {

constexpr std::chrono::milliseconds kTick{10};
// A connection that lived this long counts as healthy: when it breaks, the client re-dials at once.
constexpr std::chrono::milliseconds kStableConnection{1000};
constexpr std::size_t kReadChunk = 64 * 1024;

Error lost_error() {
  return err::unavailable("enclave connection lost; the operation may or may not have happened");
}

struct Pending {
  Callback done;
  Clock::time_point deadline;
  std::chrono::milliseconds budget;
};

// One socket: the reader thread owns receiving, senders share the combining writer.
struct Conn {
  explicit Conn(int socket_fd) : fd(socket_fd), writer(socket_fd) {}
  ~Conn() {
    if (reader.joinable()) reader.join();
    ::close(fd);
  }

  void kill() noexcept {
    if (alive.exchange(false)) ::shutdown(fd, SHUT_RDWR);
  }

  void send(const std::string& frame) {
    if (!writer.write(frame)) kill();
  }

  int fd;
  protocol::CombiningWriter writer;
  std::atomic<bool> alive{true};
  std::mutex pending_mu;
  std::unordered_map<std::uint64_t, Pending> pending;
  std::thread reader;
};

std::string socket_error(const std::string& path, int e) {
  return "enclave unavailable: cannot connect to " + path + ": " + std::strerror(e);
}

Result<int> dial_unix(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return err::invalid_argument("enclave socket path must be 1.." + std::to_string(sizeof(addr.sun_path) - 1) +
                                 " bytes: " + path);
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return err::unavailable(socket_error(path, errno));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    int e = errno;
    ::close(fd);
    return err::unavailable(socket_error(path, e));
  }
  return fd;
}

Result<int> dial_tcp(const std::string& host, std::uint16_t port, const std::string& where) {
  const bool v6 = host == "::1";
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return err::unavailable(socket_error(where, errno));
  int rc = 0;
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a));
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a));
  }
  if (rc != 0) {
    int e = errno;
    ::close(fd);
    return err::unavailable(socket_error(where, e));
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

}  // namespace

class EnclaveClient::Impl {
 public:
  explicit Impl(ClientOptions o) : opt_(std::move(o)) {
    opt_.connections = std::clamp(opt_.connections, 1U, 64U);
    where_ = opt_.tcp_port != 0
                 ? "tcp://" + (opt_.tcp_host == "::1" ? std::string("[::1]") : opt_.tcp_host) + ":" +
                       std::to_string(opt_.tcp_port)
                 : opt_.socket_path;
    slots_.resize(opt_.connections);
    {
      std::lock_guard lock(slots_mu_);
      for (Slot& s : slots_) redial(s, Clock::now());
    }
    maintainer_ = std::thread([this] {
      set_thread_name("nsl-enclave-mt");
      maintain();
    });
  }

  ~Impl() {
    {
      std::lock_guard lock(stop_mu_);
      stopping_ = true;
    }
    stop_cv_.notify_all();
    maintainer_.join();
    std::vector<std::shared_ptr<Conn>> conns;
    {
      std::lock_guard lock(slots_mu_);
      for (Slot& s : slots_) {
        if (s.conn) conns.push_back(std::move(s.conn));
      }
    }
    for (auto& c : conns) retire(std::move(c));
  }

  // Sends `req` and arranges for `done` to run exactly once.
  void call(v1::Request req, std::chrono::milliseconds budget, Callback done) {
    std::shared_ptr<Conn> conn = pick();
    if (!conn) {
      done(err::unavailable("enclave unavailable: not connected to " + where_ + " (reconnecting)"));
      return;
    }
    if (in_flight_.fetch_add(1) >= opt_.max_in_flight) {
      in_flight_.fetch_sub(1);
      done(err::unavailable("enclave client: too many requests in flight"));
      return;
    }
    send_on(conn, std::move(req), budget, std::move(done));
  }

  Result<v1::Response> call_sync(v1::Request req, std::optional<std::chrono::milliseconds> deadline) {
    const auto budget = deadline.value_or(opt_.deadline);
    auto promise = std::make_shared<std::promise<Result<v1::Response>>>();
    auto future = promise->get_future();
    call(std::move(req), budget, [promise](Result<v1::Response> r) { promise->set_value(std::move(r)); });
    // The sweeper answers at the deadline; the extra second only guards against a bug in it.
    if (future.wait_for(budget + std::chrono::seconds(1)) != std::future_status::ready) {
      return err::deadline_exceeded("enclave did not answer in time");
    }
    Result<v1::Response> r = future.get();
    if (!r.ok()) return r;
    if (r->has_error()) return protocol::error_from_proto(r->error());
    return r;
  }

  bool ready() const noexcept { return connected_.load() > 0 && identity_known_.load(); }
  std::chrono::milliseconds default_deadline() const noexcept { return opt_.deadline; }
  std::size_t max_frame() const noexcept { return opt_.max_frame; }

  std::optional<Identity> identity() const {
    std::lock_guard lock(identity_mu_);
    return identity_;
  }

  void set_identity(const Identity& id) {
    std::lock_guard lock(identity_mu_);
    identity_ = id;
    identity_known_ = true;
  }

  ClientStats stats() const {
    return {connects_.load(), disconnects_.load(), timeouts_.load(), in_flight_.load(), connected_.load()};
  }

 private:
  struct Slot {
    std::shared_ptr<Conn> conn;
    Clock::time_point next_dial{};
    Clock::time_point connected_at{};
    std::chrono::milliseconds backoff{0};
  };

  std::shared_ptr<Conn> pick() {
    const std::size_t n = slots_.size();
    const std::size_t start = rr_.fetch_add(1);
    std::lock_guard lock(slots_mu_);
    for (std::size_t i = 0; i < n; ++i) {
      Slot& s = slots_[(start + i) % n];
      if (s.conn && s.conn->alive.load()) return s.conn;
    }
    return nullptr;
  }

  void finish(Pending&& p, Result<v1::Response> r) {
    in_flight_.fetch_sub(1);
    p.done(std::move(r));
  }

  void fail_all(Conn& c) {
    std::unordered_map<std::uint64_t, Pending> drained;
    {
      std::lock_guard lock(c.pending_mu);
      drained.swap(c.pending);
    }
    for (auto& entry : drained) finish(std::move(entry.second), lost_error());
  }

  void read_loop(Conn* c) {
    protocol::FrameReader frames(opt_.max_frame);
    std::vector<char> buf(kReadChunk);
    bool broken = false;
    while (!broken) {
      ssize_t n = ::recv(c->fd, buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      frames.feed({buf.data(), static_cast<std::size_t>(n)});
      ::explicit_bzero(buf.data(), static_cast<std::size_t>(n));  // responses may carry unsealed secrets
      for (;;) {
        auto next = frames.next();
        if (!next.ok()) {
          obs::log_error("enclave client: broken frame stream; reconnecting", {{"error", next.error().message()}});
          broken = true;
          break;
        }
        if (!next->has_value()) break;
        auto resp = protocol::decode_response(**next);
        if (!resp.ok()) {
          obs::log_error("enclave client: undecodable response; reconnecting", {{"error", resp.error().message()}});
          broken = true;
          break;
        }
        deliver(*c, std::move(*resp));
      }
    }
    c->kill();
    connected_.fetch_sub(1);
    disconnects_.fetch_add(1);
    fail_all(*c);
    stop_cv_.notify_all();  // let the maintainer re-dial at once
  }

  void deliver(Conn& c, v1::Response resp) {
    if (resp.id() == 0) {
      obs::log_error("enclave refused a request it could not read",
                     {{"error", resp.has_error() ? resp.error().message() : std::string("(none)")}});
      return;
    }
    std::optional<Pending> p;
    {
      std::lock_guard lock(c.pending_mu);
      auto it = c.pending.find(resp.id());
      if (it != c.pending.end()) {
        p.emplace(std::move(it->second));
        c.pending.erase(it);
      }
    }
    if (!p) {
      protocol::wipe_secrets(resp);  // answer to a call that already timed out
      return;
    }
    finish(std::move(*p), std::move(resp));
  }

  // Under slots_mu_.
  void redial(Slot& s, Clock::time_point now) {
    auto fd = opt_.tcp_port != 0 ? dial_tcp(opt_.tcp_host, opt_.tcp_port, where_) : dial_unix(opt_.socket_path);
    if (!fd.ok()) {
      s.backoff = s.backoff.count() == 0 ? opt_.backoff_initial : std::min(opt_.backoff_max, s.backoff * 2);
      s.next_dial = now + s.backoff;
      if (!warned_) {
        obs::log_warn("enclave not reachable; retrying with backoff", {{"error", fd.error().message()}});
        warned_ = true;
      }
      return;
    }
    s.connected_at = now;  // the backoff is kept until this connection proves stable (see maintain())
    auto c = std::make_shared<Conn>(*fd);
    connected_.fetch_add(1);
    connects_.fetch_add(1);
    if (warned_) obs::log_info("enclave connection restored", {{"socket", where_}});
    warned_ = false;
    // The slot (then retire()) holds the Conn until this thread has been joined.
    c->reader = std::thread([this, raw = c.get()] {
      set_thread_name("nsl-enclave-rd");
      read_loop(raw);
    });
    s.conn = std::move(c);
    if (!opt_.token.empty()) {
      // First on the wire: the enclave answers it before reading anything else from this connection.
      v1::Request hello;
      hello.mutable_hello()->set_token(std::string(opt_.token.reveal()));
      call_on(s.conn, std::move(hello), opt_.deadline, [](Result<v1::Response> r) {
        if (r.ok() && r->has_error()) {
          obs::log_error("enclave refused this client's token", {{"error", r->error().message()}});
        }
      });
    }
    // Learn (or re-learn, after an enclave restart) who is on the other side.
    v1::Request req;
    req.mutable_identity();
    call_on(s.conn, std::move(req), opt_.deadline, [this](Result<v1::Response> r) {
      if (!r.ok() || r->has_error()) return;
      if (auto id = protocol::unpack_identity(*r); id.ok()) set_identity(*id);
    });
  }

  // Like call(), on a given connection (used right after dialling, before the slot is visible to pick()).
  void call_on(const std::shared_ptr<Conn>& conn, v1::Request req, std::chrono::milliseconds budget, Callback done) {
    in_flight_.fetch_add(1);
    send_on(conn, std::move(req), budget, std::move(done));
  }

  // The shared tail of call() and call_on(), with in_flight_ already counted: frame, register, send.
  void send_on(const std::shared_ptr<Conn>& conn, v1::Request req, std::chrono::milliseconds budget, Callback done) {
    const std::uint64_t id = next_id_.fetch_add(1);
    req.set_version(protocol::kProtocolVersion);
    req.set_id(id);
    req.set_deadline_ms(static_cast<std::uint32_t>(std::max<std::int64_t>(1, budget.count())));
    std::string frame;
    Status framed = protocol::append_message(frame, req, opt_.max_frame);
    protocol::wipe_secrets(req);  // the frame holds them now (and is wiped after sending)
    if (!framed.ok()) {
      in_flight_.fetch_sub(1);
      done(framed.error());
      return;
    }
    {
      std::lock_guard lock(conn->pending_mu);
      conn->pending.emplace(id, Pending{std::move(done), Clock::now() + budget, budget});
    }
    // A failed send kills the connection; its reader then fails this call with the others.
    conn->send(frame);
    ::explicit_bzero(frame.data(), frame.size());  // it may hold a secret to seal or the token
    if (!conn->alive.load()) fail_all(*conn);
  }

  void retire(std::shared_ptr<Conn> c) {
    c->kill();
    if (c->reader.joinable()) c->reader.join();
    fail_all(*c);  // calls registered after the reader's last drain
  }

  void sweep(Conn& c, Clock::time_point now) {
    std::vector<Pending> expired;
    {
      std::lock_guard lock(c.pending_mu);
      for (auto it = c.pending.begin(); it != c.pending.end();) {
        if (it->second.deadline <= now) {
          expired.push_back(std::move(it->second));
          it = c.pending.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (Pending& p : expired) {
      timeouts_.fetch_add(1);
      const auto ms = p.budget.count();
      finish(std::move(p), err::deadline_exceeded("enclave did not answer within " + std::to_string(ms) +
                                                  " ms; the operation may or may not have happened"));
    }
  }

  void maintain() {
    for (;;) {
      {
        std::unique_lock lock(stop_mu_);
        stop_cv_.wait_for(lock, kTick);
        if (stopping_) return;
      }
      const auto now = Clock::now();
      std::vector<std::shared_ptr<Conn>> dead;
      std::vector<std::shared_ptr<Conn>> live;
      {
        std::lock_guard lock(slots_mu_);
        for (Slot& s : slots_) {
          if (s.conn && !s.conn->alive.load()) {
            dead.push_back(std::move(s.conn));
            s.conn.reset();
            if (now - s.connected_at >= kStableConnection) {
              s.backoff = std::chrono::milliseconds(0);  // a working connection broke: re-dial at once
              s.next_dial = now;
            } else {
              // It died young (a refused token, an enclave crashing at start): back off, never spin.
              s.backoff = s.backoff.count() == 0 ? opt_.backoff_initial : std::min(opt_.backoff_max, s.backoff * 2);
              s.next_dial = now + s.backoff;
            }
          }
          if (!s.conn && now >= s.next_dial) redial(s, now);
          if (s.conn) live.push_back(s.conn);
        }
        if (connected_.load() == 0) identity_known_ = false;
      }
      for (auto& c : dead) retire(std::move(c));
      for (auto& c : live) sweep(*c, now);
    }
  }

  ClientOptions opt_;
  std::string where_;  // socket path or tcp://host:port, for messages
  std::mutex slots_mu_;
  std::vector<Slot> slots_;
  bool warned_ = false;  // under slots_mu_
  std::atomic<std::size_t> rr_{0};
  std::atomic<std::uint64_t> next_id_{1};
  std::atomic<std::uint64_t> in_flight_{0};
  std::atomic<std::uint64_t> connects_{0};
  std::atomic<std::uint64_t> disconnects_{0};
  std::atomic<std::uint64_t> timeouts_{0};
  std::atomic<unsigned> connected_{0};
  mutable std::mutex identity_mu_;
  std::optional<Identity> identity_;
  std::atomic<bool> identity_known_{false};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread maintainer_;
};

// ---- Enclave operations: build the request, wait, unpack. ----

namespace {

v1::Request sign_request(const Binding& binding, ByteView sealed, const SignPayload& payload) {
  v1::Request req;
  auto* op = req.mutable_sign();
  *op->mutable_binding() = protocol::to_proto(binding);
  op->set_sealed(bytes_string(sealed));
  if (payload.kind == SignPayload::Kind::digest) {
    op->set_digest(bytes_string(payload.data));
  } else {
    op->set_message(bytes_string(payload.data));
  }
  return req;
}

}  // namespace

EnclaveClient::EnclaveClient(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
EnclaveClient::~EnclaveClient() = default;

Result<SealedKey> EnclaveClient::generate_key(const Binding& binding, KeyCurve curve) {
  v1::Request req;
  auto* op = req.mutable_generate_key();
  *op->mutable_binding() = protocol::to_proto(binding);
  op->set_curve(protocol::to_proto(curve));
  NSL_TRY_ASSIGN(auto r, impl_->call_sync(std::move(req), std::nullopt));
  return protocol::unpack_key(r);
}

Result<SealedKey> EnclaveClient::import_key(const Binding& binding, KeyCurve curve, ByteView wrapped) {
  v1::Request req;
  auto* op = req.mutable_import_key();
  *op->mutable_binding() = protocol::to_proto(binding);
  op->set_curve(protocol::to_proto(curve));
  op->set_wrapped(bytes_string(wrapped));
  NSL_TRY_ASSIGN(auto r, impl_->call_sync(std::move(req), std::nullopt));
  return protocol::unpack_key(r);
}

Result<ExportedKeyBlob> EnclaveClient::export_key(const Binding& binding, ByteView sealed,
                                                  const ExportRequest& request) {
  v1::Request req;
  auto* op = req.mutable_export_key();
  *op->mutable_binding() = protocol::to_proto(binding);
  op->set_sealed(bytes_string(sealed));
  if (request.format == ExportRequest::Format::nep2) {
    const std::string_view pass = request.passphrase.reveal();
    op->set_nep2_passphrase(pass.data(), pass.size());  // no temporary copy to leave behind
  } else {
    op->set_recipient_public_key(bytes_string(request.recipient_public_key));
  }
  NSL_TRY_ASSIGN(auto r, impl_->call_sync(std::move(req), std::nullopt));
  return protocol::unpack_exported(r);
}

namespace {
v1::Request typed_sign_request(const Binding& binding, ByteView sealed, const TypedSignRequest& request) {
  v1::Request req;
  auto* op = req.mutable_sign_typed();
  *op->mutable_binding() = protocol::to_proto(binding);
  op->set_sealed(bytes_string(sealed));
  op->set_format(protocol::to_proto(request.format));
  op->set_payload(bytes_string(request.payload));
  op->set_network_magic(request.network_magic);
  op->set_chain_id(request.chain_id);
  op->set_policy_sealed(bytes_string(request.policy_sealed));
  op->set_policy_version(request.policy_version);
  op->set_neo_account_script(bytes_string(request.neo_account_script));
  for (const auto& s : request.spent_24h) {
    auto* a = op->add_spent_24h();
    a->set_asset(s.asset);
    a->set_amount(s.amount);
  }
  return req;
}
}  // namespace

Result<TypedSignature> EnclaveClient::sign_typed(const Binding& binding, ByteView sealed,
                                                 const TypedSignRequest& request) {
  NSL_TRY_ASSIGN(auto r, impl_->call_sync(typed_sign_request(binding, sealed, request), std::nullopt));
  return protocol::unpack_typed_signature(r);
}

void EnclaveClient::sign_typed_async(const Binding& binding, ByteView sealed, const TypedSignRequest& request,
                                     std::function<void(Result<TypedSignature>)> done) {
  impl_->call(typed_sign_request(binding, sealed, request), impl_->default_deadline(),
              [done = std::move(done)](Result<v1::Response> r) {
                if (!r.ok()) return done(r.error());
                if (r->has_error()) return done(protocol::error_from_proto(r->error()));
                done(protocol::unpack_typed_signature(*r));
              });
}

Result<Signature> EnclaveClient::sign(const Binding& binding, ByteView sealed, const SignPayload& payload) {
  NSL_TRY_ASSIGN(auto r, impl_->call_sync(sign_request(binding, sealed, payload), std::nullopt));
  return protocol::unpack_signature(r);
}

void EnclaveClient::sign_async(const Binding& binding, ByteView sealed, const SignPayload& payload,
                               std::function<void(Result<Signature>)> done,
                               std::optional<std::chrono::milliseconds> deadline) {
  impl_->call(sign_request(binding, sealed, payload), deadline.value_or(impl_->default_deadline()),
              [done = std::move(done)](Result<v1::Response> r) {
                if (!r.ok()) return done(r.error());
                if (r->has_error()) return done(protocol::error_from_proto(r->error()));
                done(protocol::unpack_signature(*r));
              });
}

Result<SealedKey> EnclaveClient::public_key(const Binding& binding, ByteView sealed) {
  v1::Request req;
  auto* op = req.mutable_public_key();
  *op->mutable_binding() = protocol::to_proto(binding);
  op->set_sealed(bytes_string(sealed));
  NSL_TRY_ASSIGN(auto r, impl_->call_sync(std::move(req), std::nullopt));
  return protocol::unpack_key(r);
}

Result<Bytes> EnclaveClient::seal(const Binding& binding, ByteView plaintext, ByteView aad) {
  v1::Request req;
  auto* op = req.mutable_seal();
  *op->mutable_binding() = protocol::to_proto(binding);
  op->set_plaintext(bytes_string(plaintext));
  op->set_aad(bytes_string(aad));
  auto r = impl_->call_sync(std::move(req), std::nullopt);
  if (!r.ok()) return r.error();
  if (!r->has_sealed()) return err::internal("enclave answered with the wrong result type");
  const auto& s = r->sealed().sealed();
  return Bytes(s.begin(), s.end());
}

Result<SecretString> EnclaveClient::unseal(const Binding& binding, ByteView sealed, ByteView aad) {
  v1::Request req;
  auto* op = req.mutable_unseal();
  *op->mutable_binding() = protocol::to_proto(binding);
  op->set_sealed(bytes_string(sealed));
  op->set_aad(bytes_string(aad));
  NSL_TRY_ASSIGN(auto r, impl_->call_sync(std::move(req), std::nullopt));
  if (!r.has_secret()) return err::internal("enclave answered with the wrong result type");
  return SecretString::take(*r.mutable_secret()->mutable_secret());
}

Result<SecretBytes> EnclaveClient::derive_data_key(const Binding& binding) {
  v1::Request req;
  *req.mutable_derive_data_key()->mutable_binding() = protocol::to_proto(binding);
  NSL_TRY_ASSIGN(auto r, impl_->call_sync(std::move(req), std::nullopt));
  if (!r.has_secret() || r.secret().secret().size() != 32) {
    protocol::wipe_secrets(r);
    return err::internal("enclave answered with a malformed data key");
  }
  SecretBytes key = SecretBytes::copy_of(bytes_view(r.secret().secret()));
  protocol::wipe_secrets(r);
  return key;
}

namespace {
v1::Request data_encrypt_request(const Binding& binding, ByteView sealed_key, ByteView aad, ByteView plaintext) {
  v1::Request req;
  auto* op = req.mutable_data_encrypt();
  *op->mutable_binding() = protocol::to_proto(binding);
  op->set_sealed_key(bytes_string(sealed_key));
  op->set_aad(bytes_string(aad));
  op->set_plaintext(reinterpret_cast<const char*>(plaintext.data()), plaintext.size());  // wiped once framed
  return req;
}

Result<Bytes> sealed_result(v1::Response& r) {
  if (!r.has_sealed()) return err::internal("enclave answered with the wrong result type");
  return Bytes(r.sealed().sealed().begin(), r.sealed().sealed().end());
}
}  // namespace

Result<Bytes> EnclaveClient::generate_data_key(const Binding& binding) {
  v1::Request req;
  *req.mutable_generate_data_key()->mutable_binding() = protocol::to_proto(binding);
  NSL_TRY_ASSIGN(auto r, impl_->call_sync(std::move(req), std::nullopt));
  return sealed_result(r);
}

Result<Bytes> EnclaveClient::data_encrypt(const Binding& binding, ByteView sealed_key, ByteView aad,
                                          ByteView plaintext) {
  NSL_TRY_ASSIGN(auto r, impl_->call_sync(data_encrypt_request(binding, sealed_key, aad, plaintext), std::nullopt));
  return sealed_result(r);
}

std::vector<Result<Bytes>> EnclaveClient::data_encrypt_many(const Binding& binding, ByteView sealed_key,
                                                            std::span<const DataEncryptItem> items) {
  // The items go in as few DataEncryptMany requests as the frame size allows (an item too large to share a
  // frame goes alone, as a DataEncrypt); every request is sent before the first answer is awaited, and each
  // answer fills its items' slots.
  struct Pending {
    std::mutex mu;
    std::condition_variable cv;
    std::size_t left = 0;
    std::vector<std::optional<Result<Bytes>>> answers;
  };
  auto pending = std::make_shared<Pending>();
  pending->answers.resize(items.size());
  const std::size_t reserve = sealed_key.size() + 1024;  // binding, key, framing
  const std::size_t room = impl_->max_frame() > reserve ? impl_->max_frame() - reserve : 0;
  std::vector<std::pair<std::size_t, std::size_t>> chunks;  // [begin, end) of items
  std::size_t begin = 0;
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    // The larger of the item in the request and its ciphertext in the answer, with field overhead.
    const std::size_t cost =
        std::max(items[i].aad.size() + items[i].plaintext.size(), items[i].plaintext.size() + kDataCiphertextOverhead) +
        32;
    if (i > begin && (bytes + cost > room || i - begin == protocol::kMaxDataItems)) {
      chunks.emplace_back(begin, i);
      begin = i;
      bytes = 0;
    }
    bytes += cost;
  }
  if (begin < items.size()) chunks.emplace_back(begin, items.size());
  pending->left = chunks.size();
  const auto budget = impl_->default_deadline();
  for (const auto& [from, to] : chunks) {
    if (to - from == 1) {
      impl_->call(data_encrypt_request(binding, sealed_key, items[from].aad, items[from].plaintext), budget,
                  [pending, from = from](Result<v1::Response> r) {
        std::lock_guard lock(pending->mu);
        if (!r.ok()) {
          pending->answers[from].emplace(r.error());
        } else if (r->has_error()) {
          pending->answers[from].emplace(protocol::error_from_proto(r->error()));
        } else {
          pending->answers[from].emplace(sealed_result(*r));
        }
        if (--pending->left == 0) pending->cv.notify_all();
      });
      continue;
    }
    v1::Request req;
    auto* op = req.mutable_data_encrypt_many();
    *op->mutable_binding() = protocol::to_proto(binding);
    op->set_sealed_key(bytes_string(sealed_key));
    for (std::size_t i = from; i < to; ++i) {
      v1::DataItem* item = op->add_items();
      item->set_aad(bytes_string(items[i].aad));
      item->set_plaintext(reinterpret_cast<const char*>(items[i].plaintext.data()),
                          items[i].plaintext.size());  // wiped once framed
    }
    impl_->call(std::move(req), budget, [pending, from = from, to = to](Result<v1::Response> r) {
      std::lock_guard lock(pending->mu);
      Result<std::vector<Result<Bytes>>> many = !r.ok()          ? Result<std::vector<Result<Bytes>>>(r.error())
                                                : r->has_error() ? Result<std::vector<Result<Bytes>>>(
                                                                       protocol::error_from_proto(r->error()))
                                                                 : protocol::unpack_sealed_many(*r, to - from);
      for (std::size_t i = from; i < to; ++i) {
        if (many.ok()) {
          pending->answers[i].emplace(std::move((*many)[i - from]));
        } else {
          pending->answers[i].emplace(many.error());
        }
      }
      if (--pending->left == 0) pending->cv.notify_all();
    });
  }
  std::unique_lock lock(pending->mu);
  // The sweeper answers every call at its deadline; the extra second only guards against a bug.
  (void)pending->cv.wait_for(lock, budget + std::chrono::seconds(1),
                             [&pending] { return pending->left == 0; });
  std::vector<Result<Bytes>> out(items.size(), Result<Bytes>(Bytes{}));
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (pending->answers[i]) {
      std::swap(out[i], *pending->answers[i]);
    } else {
      out[i] = err::deadline_exceeded("enclave did not answer in time");
    }
  }
  return out;
}

Result<Enclave::GeneratedData> EnclaveClient::data_generate(const Binding& binding, ByteView sealed_key, ByteView aad,
                                                            std::uint32_t size, bool with_plaintext) {
  v1::Request req;
  auto* op = req.mutable_data_generate();
  *op->mutable_binding() = protocol::to_proto(binding);
  op->set_sealed_key(bytes_string(sealed_key));
  op->set_aad(bytes_string(aad));
  op->set_size(size);
  op->set_with_plaintext(with_plaintext);
  NSL_TRY_ASSIGN(auto r, impl_->call_sync(std::move(req), std::nullopt));
  if (!r.has_generated() || (with_plaintext != !r.generated().plaintext().empty())) {
    protocol::wipe_secrets(r);
    return err::internal("enclave answered with the wrong result type");
  }
  GeneratedData out;
  out.ciphertext.assign(r.generated().ciphertext().begin(), r.generated().ciphertext().end());
  if (with_plaintext) out.plaintext = SecretBytes::copy_of(bytes_view(r.generated().plaintext()));
  protocol::wipe_secrets(r);
  return out;
}

Result<SecretBytes> EnclaveClient::data_decrypt(const Binding& binding, ByteView sealed_key, ByteView aad,
                                                ByteView ciphertext) {
  v1::Request req;
  auto* op = req.mutable_data_decrypt();
  *op->mutable_binding() = protocol::to_proto(binding);
  op->set_sealed_key(bytes_string(sealed_key));
  op->set_aad(bytes_string(aad));
  op->set_ciphertext(bytes_string(ciphertext));
  NSL_TRY_ASSIGN(auto r, impl_->call_sync(std::move(req), std::nullopt));
  if (!r.has_secret()) {
    protocol::wipe_secrets(r);
    return err::internal("enclave answered with the wrong result type");
  }
  SecretBytes plain = SecretBytes::copy_of(bytes_view(r.secret().secret()));
  protocol::wipe_secrets(r);
  return plain;
}

Result<Bytes> EnclaveClient::data_rewrap(const Binding& from, ByteView from_key, const Binding& to, ByteView to_key,
                                         ByteView aad, ByteView ciphertext) {
  v1::Request req;
  auto* op = req.mutable_data_rewrap();
  *op->mutable_from_binding() = protocol::to_proto(from);
  op->set_from_key(bytes_string(from_key));
  *op->mutable_to_binding() = protocol::to_proto(to);
  op->set_to_key(bytes_string(to_key));
  op->set_aad(bytes_string(aad));
  op->set_ciphertext(bytes_string(ciphertext));
  NSL_TRY_ASSIGN(auto r, impl_->call_sync(std::move(req), std::nullopt));
  return sealed_result(r);
}

Result<Quote> EnclaveClient::attest(AttestPurpose purpose, ByteView subject, ByteView nonce) {
  v1::Request req;
  auto* op = req.mutable_attest();
  op->set_purpose(purpose == AttestPurpose::transport_key ? v1::TRANSPORT_KEY : v1::USER);
  op->set_subject(bytes_string(subject));
  op->set_nonce(bytes_string(nonce));
  NSL_TRY_ASSIGN(auto r, impl_->call_sync(std::move(req), std::nullopt));
  return protocol::unpack_quote(r);
}

Result<Identity> EnclaveClient::identity() {
  v1::Request req;
  req.mutable_identity();
  NSL_TRY_ASSIGN(auto r, impl_->call_sync(std::move(req), std::nullopt));
  NSL_TRY_ASSIGN(Identity id, protocol::unpack_identity(r));
  impl_->set_identity(id);
  return id;
}

Status EnclaveClient::check(std::chrono::milliseconds deadline) {
  v1::Request req;
  req.mutable_ping();
  NSL_TRY(impl_->call_sync(std::move(req), deadline));
  return {};
}

bool EnclaveClient::ready() const noexcept { return impl_->ready(); }
std::optional<Identity> EnclaveClient::cached_identity() const { return impl_->identity(); }
ClientStats EnclaveClient::stats() const { return impl_->stats(); }

}  // namespace nsl::enclave
