// Micro benchmarks of the crypto core: the raw rates every signing path is measured against.
#include <benchmark/benchmark.h>

#include <vector>

#include "core/secret_bytes.hpp"
#include "crypto/aead.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/hash.hpp"
#include "crypto/mac.hpp"

namespace nsl::crypto {
namespace {

void BM_EcdsaSign(benchmark::State& state, Curve curve) {
  SecretBytes key = ec_generate_private_key(curve);
  auto digest = sha256(as_bytes("nsl benchmark message"));
  for (auto _ : state) {
    auto sig = ecdsa_sign(curve, key, digest);
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_EcdsaVerify(benchmark::State& state, Curve curve) {
  SecretBytes key = ec_generate_private_key(curve);
  auto pub = ec_public_key(curve, key).value();
  auto digest = sha256(as_bytes("nsl benchmark message"));
  auto sig = ecdsa_sign(curve, key, digest).value();
  for (auto _ : state) {
    bool ok = ecdsa_verify(curve, pub, digest, sig);
    if (!ok) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
}

// secp256r1 with the key imported into OpenSSL once (prepare_signing_key), as the enclave's key
// cache holds it; one key shared by all benchmark threads, as one hot cached key is.
void BM_EcdsaSignPrepared(benchmark::State& state) {
  static const SecretBytes d = ec_generate_private_key(Curve::secp256r1);
  static const EcSigningKey key = prepare_signing_key(Curve::secp256r1, d).value();
  auto digest = sha256(as_bytes("nsl benchmark message"));
  for (auto _ : state) {
    auto sig = ecdsa_sign(key, digest);
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_EcdsaSign, secp256r1, Curve::secp256r1);
BENCHMARK_CAPTURE(BM_EcdsaSign, secp256k1, Curve::secp256k1);
BENCHMARK(BM_EcdsaSignPrepared)->ThreadRange(1, 2);
BENCHMARK_CAPTURE(BM_EcdsaVerify, secp256r1, Curve::secp256r1);
BENCHMARK_CAPTURE(BM_EcdsaVerify, secp256k1, Curve::secp256k1);

void BM_Secp256k1SignRecoverable(benchmark::State& state) {
  SecretBytes key = ec_generate_private_key(Curve::secp256k1);
  auto digest = keccak256(as_bytes("nsl"));
  for (auto _ : state) {
    auto sig = secp256k1_sign_recoverable(key, digest);
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Secp256k1SignRecoverable);

void BM_Ed25519Sign(benchmark::State& state) {
  auto kp = ed25519_generate();
  std::vector<std::uint8_t> msg(32, 7);
  for (auto _ : state) {
    auto sig = ed25519_sign(kp.secret_key, msg);
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Sign);

void BM_Keccak256(benchmark::State& state) {
  std::vector<std::uint8_t> data(static_cast<std::size_t>(state.range(0)), 0x5a);
  for (auto _ : state) {
    auto h = keccak256(data);
    benchmark::DoNotOptimize(h);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Keccak256)->Arg(64)->Arg(1 << 20);

void BM_Sha256(benchmark::State& state) {
  std::vector<std::uint8_t> data(static_cast<std::size_t>(state.range(0)), 0x5a);
  for (auto _ : state) {
    auto h = sha256(data);
    benchmark::DoNotOptimize(h);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sha256)->Arg(64)->Arg(1 << 20);

void BM_Aes256GcmSeal(benchmark::State& state) {
  SecretBytes key = SecretBytes::random(32);
  std::vector<std::uint8_t> data(static_cast<std::size_t>(state.range(0)), 0x11);
  std::vector<std::uint8_t> aad(16, 0x22);
  for (auto _ : state) {
    auto c = aes256gcm_seal(key, ByteSpan(data), ByteSpan(aad));
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Aes256GcmSeal)->Arg(64)->Arg(1 << 20);

void BM_Aes256GcmOpen(benchmark::State& state) {
  SecretBytes key = SecretBytes::random(32);
  std::vector<std::uint8_t> data(static_cast<std::size_t>(state.range(0)), 0x11);
  std::vector<std::uint8_t> aad(16, 0x22);
  auto sealed = aes256gcm_seal(key, ByteSpan(data), ByteSpan(aad)).value();
  for (auto _ : state) {
    auto p = aes256gcm_open(key, sealed, aad);
    if (!p.ok()) state.SkipWithError("open failed");
    benchmark::DoNotOptimize(p);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Aes256GcmOpen)->Arg(64)->Arg(1 << 20);

void BM_ScryptNep2Params(benchmark::State& state) {
  std::vector<std::uint8_t> salt(4, 1);
  for (auto _ : state) {
    auto k = scrypt(as_bytes("passphrase"), salt, 16384, 8, 8, 64);
    benchmark::DoNotOptimize(k);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScryptNep2Params)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace nsl::crypto
