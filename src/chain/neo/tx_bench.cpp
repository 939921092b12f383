// N3 transaction codec and NEP-2 costs (the real MainNet GAS transfer from tests/vectors/neo_tx.json).
#include <benchmark/benchmark.h>

#include "chain/neo/nep2.hpp"
#include "chain/neo/tx.hpp"
#include "core/strings.hpp"

namespace nsl::neo {
namespace {

constexpr std::string_view kMainNetTransfer =
    "00af4acc5bb43f98000000000088ce120000000000ee30000001880dd8d2b7b6a3d89f9d92d4a86e40bd8f4fc22701005b0b0200c2eb0b"
    "0c14b577e422ea1c917f4701530d784b9033132562430c14880dd8d2b7b6a3d89f9d92d4a86e40bd8f4fc22714c01f0c087472616e7366"
    "65720c14cf76e28bd0062c4a478ee35561011319f3cfa4d241627d5b523901420c4052264d69ee0e4d2bb610e196fba7f0b252c8a55b1c"
    "cce011f68e91efdead15fd8a1be9cbcecef4f6d090ecd10b64e43bcd4cdf175f400cbbc7fde7cd4f8bfd2f280c210353f7aff015d3d204"
    "eecd508f4aa67f447df4d15ec4ba649f4fa91bdb7a78a3544156e7b327";

void BM_NeoTxDeserialize(benchmark::State& state) {
  auto raw = from_hex(kMainNetTransfer).value();
  for (auto _ : state) {
    auto tx = deserialize(raw);
    if (!tx.ok()) state.SkipWithError("deserialize failed");
    benchmark::DoNotOptimize(tx);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NeoTxDeserialize);

void BM_NeoTxSerialize(benchmark::State& state) {
  auto tx = deserialize(from_hex(kMainNetTransfer).value()).value();
  for (auto _ : state) {
    auto raw = serialize(tx);
    benchmark::DoNotOptimize(raw);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NeoTxSerialize);

void BM_NeoTxHashAndVerifyWitness(benchmark::State& state) {
  auto tx = deserialize(from_hex(kMainNetTransfer).value()).value();
  for (auto _ : state) {
    Status s = verify_witnesses(tx, kMainNetMagic);
    if (!s.ok()) state.SkipWithError("witness did not verify");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NeoTxHashAndVerifyWitness);

void BM_Nep2Decrypt(benchmark::State& state) {
  // NEP-2 vector "neon-neogo-a" (standard scrypt N=16384, r=8, p=8).
  for (auto _ : state) {
    auto key = nep2_decrypt("6PYUUUFei9PBBfVkSn8q7hFCnewWFRBKPxcn6Kz6Bmk3FqWyLyuTQE2XFH", "city of zion",
                            SecretAccess::grant());
    if (!key.ok()) state.SkipWithError("decrypt failed");
    benchmark::DoNotOptimize(key);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Nep2Decrypt)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace nsl::neo
