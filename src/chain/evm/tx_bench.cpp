// EVM transaction codec costs (a NeoX MainNet EIP-1559 ERC-20 transfer from tests/vectors/evm_tx.json).
#include <benchmark/benchmark.h>

#include "chain/evm/hex.hpp"
#include "chain/evm/tx.hpp"

namespace nsl::evm {
namespace {

constexpr std::string_view kErc20Transfer =
    "0x02f8b382ba93078504a817c800850df847580082fde894de41591ed1f8ed1484ac2cd8ca0876428de60eff80b844a9059cbb000000"
    "0000000000000000003c44cdddb6a900fa2b585dd299e03d12fa4293bc0000000000000000000000000000000000000000000000015af1"
    "d78b58c40000c001a0aa009c69e9acadfe8e000b90897c098ed925f497ab51308b780efb4a2f5a312da07e69deda11a5d3eb02e0a398ea"
    "bbee040c606bf1d75bf0a437c14dccf6b1ff2a";

void BM_EvmTxDecodeAndRecover(benchmark::State& state) {
  auto raw = parse_0x_hex(kErc20Transfer, "tx").value();
  for (auto _ : state) {
    auto tx = decode_signed_transaction(raw);
    if (!tx.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(tx);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvmTxDecodeAndRecover);

void BM_EvmTxEncode(benchmark::State& state) {
  auto signed_tx = decode_signed_transaction(parse_0x_hex(kErc20Transfer, "tx").value()).value();
  for (auto _ : state) {
    auto raw = encode_signed_transaction(signed_tx.tx, signed_tx.sig);
    benchmark::DoNotOptimize(raw);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvmTxEncode);

}  // namespace
}  // namespace nsl::evm
