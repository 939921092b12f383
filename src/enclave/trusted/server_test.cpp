// The socket server and the untrusted client against each other: pipelining, ids, deadlines, malformed input,
// reconnects. A small scripted Enclave stands behind the server so these tests are about the transport; the
// real TrustedCore behind the same server is covered in core_socket_test.cpp.
#include "enclave/trusted/server.hpp"

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <future>
#include <latch>
#include <thread>

#include "enclave/client.hpp"
#include "enclave/protocol/codec.hpp"
#include "enclave/trusted/core.hpp"
#include "enclave/trusted/typed_test_support.hpp"
#include "harness/harness.hpp"

namespace nsl::enclave::trusted {
namespace {

using namespace std::chrono_literals;

// Signs by echoing the digest twice; "sleep" digests (first byte 0xee) take 200 ms.
class ScriptedEnclave final : public Enclave {
 public:
  std::atomic<int> calls{0};
  Result<SealedKey> generate_key(const Binding& b, KeyCurve curve) override {
    NSL_TRY(check_binding(b));
    return SealedKey{curve, Bytes(33, 2), Bytes{1, 2, 3}};
  }
  Result<SealedKey> import_key(const Binding&, KeyCurve, ByteView) override {
    return err::failed_precondition("wrapped to a different transport key");
  }
  Result<TypedSignature> sign_typed(const Binding&, ByteView, const TypedSignRequest&) override {
    return err::not_implemented("not scripted");
  }
  Result<ExportedKeyBlob> export_key(const Binding&, ByteView, const ExportRequest& r) override {
    if (r.format != ExportRequest::Format::nep2) return err::not_implemented("not scripted");
    return ExportedKeyBlob{.format = ExportRequest::Format::nep2, .nep2 = "6Pscripted", .wrapped = {}};
  }
  Result<Signature> sign(const Binding&, ByteView, const SignPayload& p) override {
    calls.fetch_add(1);
    if (p.data.size() != 32) return err::invalid_argument("digest must be 32 bytes");
    if (p.data[0] == 0xee) std::this_thread::sleep_for(200ms);
    Signature s{};
    std::copy(p.data.begin(), p.data.end(), s.begin());
    std::copy(p.data.begin(), p.data.end(), s.begin() + 32);
    return s;
  }
  Result<SealedKey> public_key(const Binding&, ByteView sealed) override {
    return SealedKey{KeyCurve::ed25519, Bytes(32, 9), Bytes(sealed.begin(), sealed.end())};
  }
  Result<Bytes> seal(const Binding&, ByteView plaintext, ByteView) override {
    Bytes out(plaintext.begin(), plaintext.end());
    std::reverse(out.begin(), out.end());
    return out;
  }
  Result<SecretString> unseal(const Binding&, ByteView sealed, ByteView) override {
    std::string s(sealed.begin(), sealed.end());
    std::reverse(s.begin(), s.end());
    return SecretString(s);
  }
  Result<SecretBytes> derive_data_key(const Binding&) override { return SecretBytes(32); }
  Result<Bytes> generate_data_key(const Binding&) override { return err::not_implemented("not scripted"); }
  // Counts the batches, then the interface's default: one data_encrypt per item.
  std::atomic<int> batches{0};
  std::vector<Result<Bytes>> data_encrypt_many(const Binding& b, ByteView key,
                                               std::span<const DataEncryptItem> items) override {
    ++batches;
    return Enclave::data_encrypt_many(b, key, items);
  }
  // Scripted: aad || plaintext (an empty plaintext is refused).
  Result<Bytes> data_encrypt(const Binding&, ByteView, ByteView aad, ByteView plaintext) override {
    if (plaintext.empty()) return err::invalid_argument("empty plaintext");
    Bytes out(aad.begin(), aad.end());
    out.insert(out.end(), plaintext.begin(), plaintext.end());
    return out;
  }
  Result<GeneratedData> data_generate(const Binding&, ByteView, ByteView, std::uint32_t, bool) override {
    return err::not_implemented("not scripted");
  }
  Result<SecretBytes> data_decrypt(const Binding&, ByteView, ByteView, ByteView) override {
    return err::not_implemented("not scripted");
  }
  Result<Bytes> data_rewrap(const Binding&, ByteView, const Binding&, ByteView, ByteView, ByteView) override {
    return err::not_implemented("not scripted");
  }
  Result<Quote> attest(AttestPurpose purpose, ByteView subject, ByteView nonce) override {
    Quote q;
    q.format = "sim";
    q.report_data = attest_report_data(purpose, subject, nonce);
    q.quote = Bytes(q.report_data.begin(), q.report_data.end());
    return q;
  }
  Result<Identity> identity() override {
    Identity id;
    id.measurement = Bytes(32, 0xab);
    id.seal_policy = "signer";
    id.version = "test";
    return id;
  }
};

struct Running {
  Running(Enclave& e, const std::string& path, ServerOptions o = {}) {
    o.socket_path = path;
    if (o.workers == 0) o.workers = 4;
    auto s = Server::listen(e, o);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message());
    server = std::move(*s);
    thread = std::thread([this] { server->run(); });
  }
  ~Running() { stop(); }
  void stop() {
    if (!thread.joinable()) return;
    server->stop();
    thread.join();
  }
  std::unique_ptr<Server> server;
  std::thread thread;
};

bool wait_ready(const EnclaveClient& c, std::chrono::milliseconds timeout = 3s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!c.ready() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  return c.ready();
}

// True once the client has no call in flight (within 1 s): the test's own calls have all been answered, and so
// have the client's identity calls on connections that came up while the test ran.
bool settles_idle(const EnclaveClient& c) {
  const auto until = std::chrono::steady_clock::now() + 1s;
  while (c.stats().in_flight != 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
  return c.stats().in_flight == 0;
}

std::array<std::uint8_t, 32> digest(std::uint8_t first, std::uint32_t n) {
  std::array<std::uint8_t, 32> d{};
  d[0] = first;
  std::memcpy(d.data() + 1, &n, sizeof(n));
  return d;
}

const Binding kBinding{.tenant_id = "t", .object_id = "k", .version = 1, .purpose = "signing"};

TEST(EnclaveServer, SocketIsPrivateAndOperationsRoundTrip) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/e.sock";
  ScriptedEnclave e;
  Running srv(e, path);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  EnclaveClient client({.socket_path = path, .connections = 2});
  ASSERT_TRUE(wait_ready(client));
  ASSERT_TRUE(client.cached_identity().has_value());
  EXPECT_EQ(client.cached_identity()->version, "test");
  EXPECT_TRUE(client.check(1s).ok());

  auto key = client.generate_key(kBinding, KeyCurve::secp256k1);
  ASSERT_TRUE(key.ok()) << key.error().message();
  EXPECT_EQ(key->curve, KeyCurve::secp256k1);
  EXPECT_EQ(key->sealed, (Bytes{1, 2, 3}));
  // Errors cross with their code and message.
  auto bad = client.generate_key({.tenant_id = "", .object_id = "k", .version = 1, .purpose = "p"}, KeyCurve::secp256r1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::invalid_argument);
  EXPECT_NE(bad.error().message().find("tenant_id"), std::string::npos);
  auto imp = client.import_key(kBinding, KeyCurve::secp256r1, Bytes{1});
  ASSERT_FALSE(imp.ok());
  EXPECT_EQ(imp.error().code(), ErrorCode::failed_precondition);

  // export_key travels both ways (request oneof, ExportResult).
  auto ex = client.export_key(kBinding, Bytes{1},
                              ExportRequest{.format = ExportRequest::Format::nep2,
                                            .passphrase = SecretString("p"),
                                            .recipient_public_key = {}});
  ASSERT_TRUE(ex.ok()) << ex.error();
  EXPECT_EQ(ex->format, ExportRequest::Format::nep2);
  EXPECT_EQ(ex->nep2, "6Pscripted");
  auto exw = client.export_key(kBinding, Bytes{1}, ExportRequest{});
  ASSERT_FALSE(exw.ok());
  EXPECT_EQ(exw.error().code(), ErrorCode::not_implemented);

  auto d = digest(1, 42);
  auto sig = client.sign(kBinding, Bytes{1}, SignPayload::of_digest(d));
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(std::equal(d.begin(), d.end(), sig->begin()));
  auto sealed = client.seal(kBinding, Bytes{'a', 'b', 'c'}, {});
  ASSERT_TRUE(sealed.ok());
  auto plain = client.unseal(kBinding, *sealed, {});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->reveal(), "abc");
  auto dk = client.derive_data_key(kBinding);
  ASSERT_TRUE(dk.ok());
  EXPECT_EQ(dk->size(), 32u);
  const Bytes nonce{1, 2, 3};
  auto q = client.attest(AttestPurpose::user, Bytes{4}, nonce);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->report_data, attest_report_data(AttestPurpose::user, Bytes{4}, nonce));
  auto pk = client.public_key(kBinding, Bytes{5, 6});
  ASSERT_TRUE(pk.ok());
  EXPECT_EQ(pk->curve, KeyCurve::ed25519);
}

// sign_typed end to end: the real TrustedCore behind the server, the real client in front.
TEST(EnclaveServer, TypedSigningThroughTheSocket) {
  testing::TempDir dir;
  CoreOptions o;
  o.mode = Mode::sim;
  o.data_dir = dir.path();
  o.measurement_override = Bytes(32, 0x5e);
  auto core = TrustedCore::open(o);
  ASSERT_TRUE(core.ok()) << core.error();
  const std::string path = dir.path() + "/e.sock";
  Running srv(**core, path);
  EnclaveClient client({.socket_path = path, .connections = 2});
  ASSERT_TRUE(wait_ready(client));
  typed_testing::neo_tx_verifies(client);
  typed_testing::evm_tx_recovers(client);
  typed_testing::async_matches_sync(client);
  typed_testing::messages_recover(client);
  typed_testing::policy_enforced(client);
  typed_testing::opaque_script_only_without_policy(client);
  typed_testing::foreign_policy_refused(client);
  typed_testing::bad_requests_refused(client);
  typed_testing::multisig_account(client);
  typed_testing::data_keys(client);
}

// Sends n signings at once (distinct digests from `seed`) and waits for every answer; the number answered with
// their own digest (ScriptedEnclave signs by echoing it).
std::uint32_t signed_in_flight(EnclaveClient& client, std::uint32_t n, std::uint8_t seed) {
  std::atomic<std::uint32_t> good{0};
  std::latch done(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    auto d = digest(seed, i);
    client.sign_async(kBinding, Bytes{1}, SignPayload::of_digest(d), [&, d](Result<Signature> r) {
      if (r.ok() && std::equal(d.begin(), d.end(), r->begin())) good.fetch_add(1);
      done.count_down();
    });
  }
  done.wait();
  return good.load();
}

// Signatures answered in batches and other requests answered alone, on one connection at once: every caller
// gets its own answer.
TEST(EnclaveServer, BatchedSignaturesAndOtherRequestsInterleaveOnOneConnection) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/e.sock";
  ScriptedEnclave e;
  Running srv(e, path, {.workers = 2});
  EnclaveClient client({.socket_path = path, .connections = 1});
  ASSERT_TRUE(wait_ready(client));
  constexpr std::uint32_t kSigns = 3000;
  std::vector<std::thread> others;
  std::atomic<int> other_bad{0};
  for (int t = 0; t < 2; ++t) {
    others.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const std::string text = "secret-" + std::to_string(t) + "-" + std::to_string(i);
        std::string sealed(text.rbegin(), text.rend());
        auto r = client.unseal(kBinding, Bytes(sealed.begin(), sealed.end()), {});
        if (!r.ok() || r->reveal() != text) ++other_bad;
      }
    });
  }
  EXPECT_EQ(signed_in_flight(client, kSigns, 2), kSigns);
  for (auto& t : others) t.join();
  EXPECT_EQ(other_bad.load(), 0);
  EXPECT_TRUE(settles_idle(client)) << client.stats().in_flight << " calls still in flight";
}

TEST(EnclaveServer, ManyRequestsInFlightMatchTheirAnswers) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/e.sock";
  ScriptedEnclave e;
  Running srv(e, path, {.workers = 4});
  EnclaveClient client({.socket_path = path, .connections = 1});
  ASSERT_TRUE(wait_ready(client));
  constexpr std::uint32_t kN = 2000;
  EXPECT_EQ(signed_in_flight(client, kN, 1), kN);
  EXPECT_TRUE(settles_idle(client)) << client.stats().in_flight << " calls still in flight";
  EXPECT_EQ(client.stats().connects, 1u);
}

// data_encrypt_many sends every item before it waits; answers come back in item order, each
// with its own outcome.
TEST(EnclaveServer, DataEncryptManyAnswersInOrderWithPerItemErrors) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/e.sock";
  ScriptedEnclave e;
  Running srv(e, path, {.workers = 4});
  EnclaveClient client({.socket_path = path, .connections = 2});
  ASSERT_TRUE(wait_ready(client));
  constexpr std::size_t kN = 64;
  std::vector<Bytes> aads(kN), plains(kN);
  std::vector<Enclave::DataEncryptItem> items;
  for (std::size_t i = 0; i < kN; ++i) {
    aads[i] = {static_cast<std::uint8_t>(i)};
    if (i % 7 != 3) plains[i] = {0xAA, static_cast<std::uint8_t>(i * 3)};  // every 7th: refused
    items.push_back({.aad = aads[i], .plaintext = plains[i]});
  }
  const std::vector<Result<Bytes>> out = client.data_encrypt_many(kBinding, Bytes{1}, items);
  ASSERT_EQ(out.size(), kN);
  for (std::size_t i = 0; i < kN; ++i) {
    if (i % 7 == 3) {
      ASSERT_FALSE(out[i].ok()) << i;
      EXPECT_EQ(out[i].error().code(), ErrorCode::invalid_argument) << i;
      continue;
    }
    ASSERT_TRUE(out[i].ok()) << i << ": " << out[i].error();
    EXPECT_EQ(*out[i], (Bytes{static_cast<std::uint8_t>(i), 0xAA, static_cast<std::uint8_t>(i * 3)})) << i;
  }
  EXPECT_TRUE(settles_idle(client)) << client.stats().in_flight << " calls still in flight";
  EXPECT_EQ(e.batches.load(), 1);  // all 64 in one request
  // The default of the interface (one after another) gives the same answers.
  const std::vector<Result<Bytes>> direct = e.Enclave::data_encrypt_many(kBinding, Bytes{1}, items);
  ASSERT_EQ(direct.size(), kN);
  for (std::size_t i = 0; i < kN; ++i) {
    ASSERT_EQ(direct[i].ok(), out[i].ok()) << i;
    if (direct[i].ok()) {
      EXPECT_EQ(*direct[i], *out[i]) << i;
    }
  }
  EXPECT_TRUE(client.data_encrypt_many(kBinding, Bytes{1}, {}).empty());
}

// Items that do not fit one frame together go in several requests (an item alone as a plain data_encrypt);
// the answers still come back in item order.
TEST(EnclaveServer, DataEncryptManySplitsAtTheFrameSize) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/e.sock";
  ScriptedEnclave e;
  Running srv(e, path, {.workers = 2});
  EnclaveClient client({.socket_path = path, .connections = 1});
  ASSERT_TRUE(wait_ready(client));
  // 300 KiB each: three share a 1 MiB frame, a fourth does not.
  std::vector<Bytes> aads, plains;
  for (std::uint8_t i = 0; i < 7; ++i) {
    aads.push_back({i});
    plains.push_back(Bytes(300 * 1024, static_cast<std::uint8_t>(0x10 + i)));
  }
  std::vector<Enclave::DataEncryptItem> items;
  for (std::size_t i = 0; i < aads.size(); ++i) items.push_back({.aad = aads[i], .plaintext = plains[i]});
  const std::vector<Result<Bytes>> out = client.data_encrypt_many(kBinding, Bytes{1}, items);
  ASSERT_EQ(out.size(), items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    ASSERT_TRUE(out[i].ok()) << i << ": " << out[i].error();
    ASSERT_EQ(out[i]->size(), 1 + plains[i].size()) << i;
    EXPECT_EQ((*out[i])[0], aads[i][0]) << i;
    EXPECT_EQ(out[i]->back(), plains[i].back()) << i;
  }
  EXPECT_EQ(e.batches.load(), 2);  // 3 + 3 as batches, the seventh alone
  EXPECT_TRUE(settles_idle(client)) << client.stats().in_flight << " calls still in flight";
}

TEST(EnclaveServer, ConcurrentCallersOverFewConnections) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/e.sock";
  ScriptedEnclave e;
  Running srv(e, path);
  EnclaveClient client({.socket_path = path, .connections = 2});
  ASSERT_TRUE(wait_ready(client));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (std::uint32_t i = 0; i < 200; ++i) {
        auto d = digest(static_cast<std::uint8_t>(t), i);
        auto r = client.sign(kBinding, Bytes{1}, SignPayload::of_digest(d));
        if (!r.ok() || !std::equal(d.begin(), d.end(), r->begin())) failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(EnclaveServer, DeadlineExceededWhenTheEnclaveIsSlow) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/e.sock";
  ScriptedEnclave e;
  Running srv(e, path, {.workers = 1});
  EnclaveClient client({.socket_path = path, .connections = 1, .deadline = 50ms});
  ASSERT_TRUE(wait_ready(client));
  auto r = client.sign(kBinding, Bytes{1}, SignPayload::of_digest(digest(0xee, 1)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::deadline_exceeded);
  EXPECT_NE(r.error().message().find("may or may not"), std::string::npos);
  EXPECT_GE(client.stats().timeouts, 1u);
  // Requests queued behind a slow one past their deadline are answered without being run: three slow
  // requests on one worker with a 50 ms budget -> the first runs (200 ms), the other two are dropped.
  std::this_thread::sleep_for(250ms);  // let the first slow call finish
  const int before = e.calls.load();
  std::latch answered(3);
  for (std::uint32_t i = 0; i < 3; ++i) {
    client.sign_async(kBinding, Bytes{1}, SignPayload::of_digest(digest(0xee, 10 + i)),
                      [&answered](Result<Signature>) { answered.count_down(); }, 50ms);
  }
  answered.wait();
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(e.calls.load(), before + 1);
  // The connection is still good for the next call.
  EnclaveClient patient({.socket_path = path, .connections = 1, .deadline = 2000ms});
  ASSERT_TRUE(wait_ready(patient));
  EXPECT_TRUE(patient.sign(kBinding, Bytes{1}, SignPayload::of_digest(digest(1, 1))).ok());
}

// A raw connection speaking bytes the client never would.
int raw_connect(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

// Reads responses off one raw connection, keeping bytes that arrive ahead of the one asked for.
class ResponseReader {
 public:
  explicit ResponseReader(int fd) : fd_(fd) {}
  // The next response, or nullopt at EOF / timeout.
  std::optional<v1::Response> next() {
    char buf[4096];
    for (;;) {
      auto frame = reader_.next();
      if (frame.ok() && frame->has_value()) {
        auto r = protocol::decode_response(**frame);
        if (!r.ok()) return std::nullopt;
        return *r;
      }
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return std::nullopt;
      reader_.feed({buf, static_cast<std::size_t>(n)});
    }
  }

 private:
  int fd_;
  protocol::FrameReader reader_;
};

void send_bytes(int fd, std::string_view bytes) {
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
}

TEST(EnclaveServer, MalformedMessagesGetErrorsAndTheStreamContinues) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/e.sock";
  ScriptedEnclave e;
  Running srv(e, path);
  int fd = raw_connect(path);
  ResponseReader responses(fd);

  std::string wire;
  ASSERT_TRUE(protocol::append_frame(wire, "\xff\xff\xff\xff").ok());
  send_bytes(fd, wire);
  auto r = responses.next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->id(), 0u);
  EXPECT_EQ(protocol::error_from_proto(r->error()).code(), ErrorCode::invalid_argument);

  v1::Request future;
  future.set_version(2);
  future.set_id(77);
  future.mutable_ping();
  wire.clear();
  ASSERT_TRUE(protocol::append_message(wire, future).ok());
  send_bytes(fd, wire);
  r = responses.next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->id(), 77u);
  EXPECT_NE(r->error().message().find("unsupported protocol version 2"), std::string::npos);

  v1::Request no_op;
  no_op.set_version(1);
  no_op.set_id(78);
  wire.clear();
  ASSERT_TRUE(protocol::append_message(wire, no_op).ok());
  send_bytes(fd, wire);
  r = responses.next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->id(), 78u);
  EXPECT_TRUE(r->has_error());

  v1::Request ping;
  ping.set_version(1);
  ping.set_id(79);
  ping.mutable_ping();
  wire.clear();
  ASSERT_TRUE(protocol::append_message(wire, ping).ok());
  send_bytes(fd, wire);
  r = responses.next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->id(), 79u);
  EXPECT_TRUE(r->has_pong());
  ::close(fd);
}

TEST(EnclaveServer, BadLengthHeaderClosesTheConnectionAfterAnError) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/e.sock";
  ScriptedEnclave e;
  Running srv(e, path, {.max_frame = 4096});
  int fd = raw_connect(path);
  ResponseReader responses(fd);
  send_bytes(fd, std::string("\x7f\xff\xff\xff", 4));
  auto r = responses.next();
  ASSERT_TRUE(r.has_value());
  EXPECT_NE(r->error().message().find("outside 1..4096"), std::string::npos);
  EXPECT_FALSE(responses.next().has_value());  // closed
  ::close(fd);
  // The server itself is fine.
  EnclaveClient client({.socket_path = path});
  ASSERT_TRUE(wait_ready(client));
  EXPECT_TRUE(client.check(1s).ok());
}

TEST(EnclaveServer, OverTheInFlightLimitIsRefusedNotQueued) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/e.sock";
  ScriptedEnclave e;
  Running srv(e, path, {.workers = 1, .max_in_flight = 2});
  int fd = raw_connect(path);
  ResponseReader responses(fd);
  std::string wire;
  for (std::uint64_t id = 1; id <= 4; ++id) {
    v1::Request req;
    req.set_version(1);
    req.set_id(id);
    auto* s = req.mutable_sign();
    s->set_sealed("x");
    auto d = digest(0xee, static_cast<std::uint32_t>(id));
    s->set_digest(std::string(d.begin(), d.end()));
    ASSERT_TRUE(protocol::append_message(wire, req).ok());
  }
  send_bytes(fd, wire);
  int refused = 0, answered = 0;
  for (int i = 0; i < 4; ++i) {
    auto r = responses.next();
    ASSERT_TRUE(r.has_value());
    if (r->has_error() && protocol::error_from_proto(r->error()).code() == ErrorCode::unavailable) {
      ++refused;
    } else {
      ++answered;
    }
  }
  EXPECT_EQ(refused, 2);
  EXPECT_EQ(answered, 2);
  ::close(fd);
}

TEST(EnclaveServer, ClientFailsFastWhileDownAndReconnects) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/e.sock";
  ScriptedEnclave e;
  EnclaveClient client({.socket_path = path, .connections = 2, .backoff_initial = 10ms, .backoff_max = 50ms});
  EXPECT_FALSE(client.ready());
  auto down = client.sign(kBinding, Bytes{1}, SignPayload::of_digest(digest(1, 1)));
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code(), ErrorCode::unavailable);
  EXPECT_FALSE(client.check(100ms).ok());
  {
    Running srv(e, path);
    ASSERT_TRUE(wait_ready(client));
    EXPECT_TRUE(client.sign(kBinding, Bytes{1}, SignPayload::of_digest(digest(1, 2))).ok());
    // A call in flight when the server goes away fails cleanly.
    std::promise<Result<Signature>> p;
    client.sign_async(kBinding, Bytes{1}, SignPayload::of_digest(digest(0xee, 3)),
                      [&p](Result<Signature> r) { p.set_value(std::move(r)); });
    std::this_thread::sleep_for(20ms);
    srv.stop();
    auto r = p.get_future().get();
    // Either the enclave finished it before closing, or the call failed as unavailable.
    if (!r.ok()) {
      EXPECT_EQ(r.error().code(), ErrorCode::unavailable);
    }
  }
  const auto until = std::chrono::steady_clock::now() + 2s;
  while (client.ready() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  EXPECT_FALSE(client.ready());
  Running again(e, path);  // the stale socket file was removed by stop(); a new one binds
  ASSERT_TRUE(wait_ready(client));
  EXPECT_TRUE(client.sign(kBinding, Bytes{1}, SignPayload::of_digest(digest(1, 4))).ok());
  EXPECT_GE(client.stats().connects, 3u);
}

TEST(EnclaveServer, RefusesToReplaceALiveSocketOrAFile) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/e.sock";
  ScriptedEnclave e;
  Running srv(e, path);
  auto second = Server::listen(e, {.socket_path = path});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message().find("already listening"), std::string::npos);
  const std::string file = dir.write_file("plain", "x");
  auto on_file = Server::listen(e, {.socket_path = file});
  ASSERT_FALSE(on_file.ok());
  EXPECT_NE(on_file.error().message().find("not a socket"), std::string::npos);
}

TEST(EnclaveServer, ReplacesAStaleSocket) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/e.sock";
  // A socket file nobody listens on, as a crashed enclave leaves behind.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
  ScriptedEnclave e;
  Running srv(e, path);
  EnclaveClient client({.socket_path = path});
  EXPECT_TRUE(wait_ready(client));
}

}  // namespace
}  // namespace nsl::enclave::trusted

namespace nsl::enclave::trusted {
namespace {

const SecretString kToken("0123456789abcdef0123456789abcdef-token");

int raw_tcp_connect(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a)), 0);
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

struct TcpServer {
  TcpServer(Enclave& e, SecretString token) : port(static_cast<std::uint16_t>(testing::free_tcp_port())) {
    ServerOptions o;
    o.tcp_host = "127.0.0.1";
    o.tcp_port = port;
    o.token = std::move(token);
    o.workers = 2;
    auto s = Server::listen(e, std::move(o));
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message());
    server = std::move(*s);
    thread = std::thread([this] { server->run(); });
  }
  ~TcpServer() {
    server->stop();
    thread.join();
  }
  std::uint16_t port;
  std::unique_ptr<Server> server;
  std::thread thread;
};

TEST(EnclaveServerTcp, LoopbackWithTokenServesPipelinedCalls) {
  ScriptedEnclave e;
  TcpServer srv(e, kToken);
  EnclaveClient client({.tcp_host = "127.0.0.1", .tcp_port = srv.port, .token = kToken, .connections = 2});
  ASSERT_TRUE(wait_ready(client));
  constexpr std::uint32_t kN = 500;
  std::latch done(kN);
  std::atomic<std::uint32_t> good{0};
  for (std::uint32_t i = 0; i < kN; ++i) {
    auto d = digest(1, i);
    client.sign_async(kBinding, Bytes{1}, SignPayload::of_digest(d), [&, d](Result<Signature> r) {
      if (r.ok() && std::equal(d.begin(), d.end(), r->begin())) good.fetch_add(1);
      done.count_down();
    });
  }
  done.wait();
  EXPECT_EQ(good.load(), kN);
}

TEST(EnclaveServerTcp, WrongOrMissingTokenIsRefusedAndClosed) {
  ScriptedEnclave e;
  TcpServer srv(e, kToken);
  EnclaveClient wrong({.tcp_host = "127.0.0.1", .tcp_port = srv.port,
                       .token = SecretString("ffffffffffffffffffffffffffffffff-wrong"), .connections = 1,
                       .backoff_initial = 1000ms});
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(wrong.ready());
  // Refused connections are re-dialled with backoff, not in a loop (1 s initial backoff: at most 2 dials).
  EXPECT_LE(wrong.stats().connects, 2u);
  auto r = wrong.sign(kBinding, Bytes{1}, SignPayload::of_digest(digest(1, 1)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(e.calls.load(), 0) << "a request ran without the token";

  // A raw connection that skips the Hello: refused with unauthenticated, then closed.
  int fd = raw_tcp_connect(srv.port);
  ResponseReader responses(fd);
  v1::Request ping;
  ping.set_version(1);
  ping.set_id(5);
  ping.mutable_ping();
  std::string wire;
  ASSERT_TRUE(protocol::append_message(wire, ping).ok());
  send_bytes(fd, wire);
  auto resp = responses.next();
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->id(), 5u);
  EXPECT_EQ(protocol::error_from_proto(resp->error()).code(), ErrorCode::unauthenticated);
  EXPECT_FALSE(responses.next().has_value());
  ::close(fd);
}

TEST(EnclaveServerTcp, RefusesNonLoopbackAndTokenlessListeners) {
  ScriptedEnclave e;
  auto no_token = Server::listen(e, {.tcp_host = "127.0.0.1", .tcp_port = 1});
  ASSERT_FALSE(no_token.ok());
  EXPECT_NE(no_token.error().message().find("token"), std::string::npos);
  ServerOptions wide;
  wide.tcp_host = "0.0.0.0";
  wide.tcp_port = 1;
  wide.token = kToken;
  auto any = Server::listen(e, std::move(wide));
  ASSERT_FALSE(any.ok());
  EXPECT_NE(any.error().message().find("loopback"), std::string::npos);
}

TEST(EnclaveServer, UnixSocketWithATokenNeedsItToo) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/e.sock";
  ScriptedEnclave e;
  ServerOptions o;
  o.socket_path = path;
  o.token = kToken;
  o.workers = 1;
  auto s = Server::listen(e, std::move(o));
  ASSERT_TRUE(s.ok());
  std::thread t([&] { (*s)->run(); });
  EnclaveClient without({.socket_path = path, .connections = 1, .backoff_initial = 1000ms});
  EnclaveClient with({.socket_path = path, .token = kToken, .connections = 1});
  ASSERT_TRUE(wait_ready(with));
  EXPECT_TRUE(with.check(1s).ok());
  EXPECT_FALSE(without.ready());
  (*s)->stop();
  t.join();
}

}  // namespace
}  // namespace nsl::enclave::trusted
