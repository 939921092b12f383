#include "crypto/hash.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

#include "crypto/internal/openssl.hpp"
#include "crypto/testing/vectors.hpp"

namespace nsl::crypto {
namespace {

using testing::hex;
using testing::hex_of;

// FIPS 180-2 Appendix B/C examples and the empty string.
TEST(Hash, Sha2KnownAnswers) {
  EXPECT_EQ(hex_of(sha256(as_bytes(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex_of(sha256(as_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex_of(sha512(as_bytes("abc"))),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

// Test values from the RIPEMD-160 paper (Dobbertin, Bosselaers, Preneel 1996), Appendix / the
// authors' page.
struct RipemdCase {
  std::string input;
  const char* digest;
};

std::vector<RipemdCase> ripemd_cases() {
  std::string eight;
  for (int i = 0; i < 8; ++i) eight += "1234567890";
  return {
      {"", "9c1185a5c5e9fc54612808977ee8f548b2258d31"},
      {"a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe"},
      {"abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"},
      {"message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"},
      {"abcdefghijklmnopqrstuvwxyz", "f71c27109c692c1b56bbdceb5b9d2865b3708dbc"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "12a053384a9c0c88e405a06c27dcf49ada62eb2b"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
       "b0e20b6e3116640286ed3a87a5713079b21f5189"},
      {eight, "9b752e45573d4b39f4dbd3323cab82bf63326bfb"},
      {std::string(1000000, 'a'), "52783243c1697bdbe16d37f97f68f08325dc1528"},
  };
}

TEST(Hash, Ripemd160PaperVectors) {
  for (const auto& c : ripemd_cases()) {
    EXPECT_EQ(hex_of(ripemd160(as_bytes(c.input))), c.digest) << "input length " << c.input.size();
  }
}

// The legacy-provider path (used by OpenSSL < 3.0.7) must give the same answers where the module is
// installed.
TEST(Hash, Ripemd160LegacyProviderPath) {
  const EVP_MD* md = internal::md_ripemd160_legacy();
  if (md == nullptr) GTEST_SKIP() << "OpenSSL legacy provider module not installed";
  for (const auto& c : ripemd_cases()) {
    std::array<std::uint8_t, 20> out{};
    unsigned int len = 0;
    ASSERT_EQ(EVP_Digest(c.input.data(), c.input.size(), out.data(), &len, md, nullptr), 1);
    EXPECT_EQ(hex_of(out), c.digest);
  }
}

TEST(Hash, Hash160AndHash256) {
  EXPECT_EQ(hex_of(hash160(as_bytes(""))), "b472a266d0bd89c13706a4132ccfb16f7c3b9fcb");
  EXPECT_EQ(hex_of(hash256(as_bytes(""))),
            "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456");
  const auto data =
      hex("0c21"
          "02028a99826edc0c97d18e22b6932373d908d323aa7f92656a77ec26e8861699ef"
          "4156e7b327");
  EXPECT_EQ(hash160(data), ripemd160(sha256(data)));
  EXPECT_EQ(hash256(data), sha256(sha256(data)));
}

Bytes keccak_input(const nlohmann::json& c) {
  if (c.contains("input_repeat")) {
    const auto b = hex(c["input_repeat"]["byte"].get<std::string>());
    return Bytes(c["input_repeat"]["count"].get<std::size_t>(), b.at(0));
  }
  return hex(c["input_hex"].get<std::string>());
}

TEST(Keccak, VectorFile) {
  const auto cases = testing::load_vectors("keccak.json");
  ASSERT_TRUE(cases.is_array());
  ASSERT_EQ(cases.size(), 8u);
  for (const auto& c : cases) {
    const Bytes in = keccak_input(c);
    ASSERT_EQ(in.size(), c["input_len"].get<std::size_t>());
    const std::string got = hex_of(keccak256(in));
    EXPECT_EQ(got, c["keccak256"].get<std::string>()) << c["id"];
    EXPECT_NE(got, c["sha3_256_fips202_for_contrast"].get<std::string>()) << c["id"];
    // Incremental, in awkward pieces (1, 7, 64, 135, 136, 137 ... bytes), must agree.
    Keccak256 k;
    std::size_t off = 0;
    const std::size_t steps[] = {1, 7, 64, 135, 136, 137, 1000};
    for (std::size_t i = 0; off < in.size(); ++i) {
      const std::size_t n = std::min(steps[i % 7], in.size() - off);
      k.update(ByteSpan(in).subspan(off, n));
      off += n;
    }
    EXPECT_EQ(hex_of(k.finish()), c["keccak256"].get<std::string>()) << c["id"] << " incremental";
  }
}

TEST(Keccak, EmptyAndReuseAfterFinish) {
  EXPECT_EQ(hex_of(keccak256({})),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  Keccak256 k;
  k.update(as_bytes("abc"));
  EXPECT_EQ(hex_of(k.finish()), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  EXPECT_EQ(hex_of(k.finish()), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

// OpenSSL 3.0 has no Keccak-256 (only KECCAK-KMAC), so the differential oracle is SHA3-256: the
// same sponge with domain byte 0x06. Agreement over every length 0..700 and many split points pins
// absorption, block boundaries, padding placement and the permutation; only the domain byte
// remains, and the vector file pins that.
class Sha3ViaKeccakSponge : public Keccak256 {
 public:
  Sha3ViaKeccakSponge() : Keccak256(0x06) {}
};

std::array<std::uint8_t, 32> openssl_sha3_256(ByteSpan in) {
  std::array<std::uint8_t, 32> out{};
  unsigned int len = 0;
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA3-256", nullptr);
  EXPECT_NE(md, nullptr);
  EXPECT_EQ(EVP_Digest(in.data(), in.size(), out.data(), &len, md, nullptr), 1);
  EVP_MD_free(md);
  return out;
}

TEST(Keccak, SpongeMatchesOpenSslSha3Differentially) {
  EVP_MD* has_keccak = EVP_MD_fetch(nullptr, "KECCAK-256", nullptr);
  if (has_keccak != nullptr) {
    // Newer OpenSSL (3.2+) has the real thing: compare directly as well.
    for (std::size_t n = 0; n < 300; ++n) {
      Bytes in(n, static_cast<std::uint8_t>(n * 7 + 1));
      std::array<std::uint8_t, 32> want{};
      unsigned int len = 0;
      ASSERT_EQ(EVP_Digest(in.data(), in.size(), want.data(), &len, has_keccak, nullptr), 1);
      EXPECT_EQ(keccak256(in), want) << n;
    }
    EVP_MD_free(has_keccak);
  }
  for (std::size_t n = 0; n <= 700; ++n) {
    Bytes in(n);
    for (std::size_t i = 0; i < n; ++i) in[i] = static_cast<std::uint8_t>(i * 31 + n);
    const auto want = openssl_sha3_256(in);
    Sha3ViaKeccakSponge one;
    one.update(in);
    ASSERT_EQ(one.finish(), want) << "length " << n;
    Sha3ViaKeccakSponge split;
    const std::size_t cut = n / 3;
    split.update(ByteSpan(in).first(cut));
    split.update(ByteSpan(in).subspan(cut));
    ASSERT_EQ(split.finish(), want) << "length " << n << " cut " << cut;
  }
}

TEST(Keccak, RateBoundaries) {
  // 135 bytes: padding 0x01 and 0x80 share the last byte (0x81); 136: a whole extra padding block;
  // 137: spill.
  EXPECT_EQ(hex_of(keccak256(Bytes(135, 'a'))),
            "34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446");
  EXPECT_EQ(hex_of(keccak256(Bytes(136, 'a'))),
            "a6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e");
  EXPECT_EQ(hex_of(keccak256(Bytes(137, 'a'))),
            "d869f639c7046b4929fc92a4d988a8b22c55fbadb802c0c66ebcd484f1915f39");
}

}  // namespace
}  // namespace nsl::crypto
