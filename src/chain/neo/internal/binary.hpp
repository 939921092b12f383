// nsl/chain/neo/internal/binary.hpp — little-endian writer and strict bounded reader for N3's
// binary format (Neo.IO BinaryWriter/MemoryReader). Internal to the neo module.
//
// Var-int (Neo.Extensions BinaryWriterExtensions.WriteVarInt / MemoryReader.ReadVarInt):
//   v < 0xFD -> 1 byte; v <= 0xFFFF -> FD + u16; v <= 0xFFFFFFFF -> FE + u32; else FF + u64.
// N3's MemoryReader.ReadVarInt (src/Neo.IO/MemoryReader.cs) does NOT reject non-minimal forms; this
// reader does, because N3 hashes and relays the re-serialized (always minimal) bytes, so a
// non-minimal encoding can never be the canonical form of a transaction and would break the
// decode -> re-encode identity that the tx codec guarantees.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "crypto/bytes.hpp"

namespace nsl::neo::internal {

using crypto::Bytes;
using crypto::ByteSpan;

inline std::size_t var_int_size(std::uint64_t v) noexcept {
  if (v < 0xFD) return 1;
  if (v <= 0xFFFF) return 3;
  if (v <= 0xFFFFFFFF) return 5;
  return 9;
}

class Writer {
 public:
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { le(v, 2); }
  void u32(std::uint32_t v) { le(v, 4); }
  void u64(std::uint64_t v) { le(v, 8); }
  void i64(std::int64_t v) { le(static_cast<std::uint64_t>(v), 8); }
  void bytes(ByteSpan b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void var_int(std::uint64_t v) {
    if (v < 0xFD) {
      u8(static_cast<std::uint8_t>(v));
    } else if (v <= 0xFFFF) {
      u8(0xFD);
      u16(static_cast<std::uint16_t>(v));
    } else if (v <= 0xFFFFFFFF) {
      u8(0xFE);
      u32(static_cast<std::uint32_t>(v));
    } else {
      u8(0xFF);
      u64(v);
    }
  }
  void var_bytes(ByteSpan b) {
    var_int(b.size());
    bytes(b);
  }
  Bytes& out() noexcept { return out_; }
  Bytes take() && { return std::move(out_); }

 private:
  void le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  Bytes out_;
};

// Every read names what it reads; errors read "<prefix>: <what> ... at offset N".
class Reader {
 public:
  Reader(ByteSpan data, std::string_view prefix) : data_(data), prefix_(prefix) {}

  std::size_t position() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return data_.size() - pos_; }

  Result<ByteSpan> take(std::size_t n, std::string_view what) {
    if (remaining() < n) {
      return fail(std::string(what) + ": truncated (need " + std::to_string(n) + " bytes, " +
                  std::to_string(remaining()) + " left)");
    }
    ByteSpan s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  Result<std::uint64_t> uint(int n, std::string_view what) {
    NSL_TRY_ASSIGN(ByteSpan s, take(static_cast<std::size_t>(n), what));
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | s[static_cast<std::size_t>(i)];
    return v;
  }
  Result<std::uint8_t> u8(std::string_view what) {
    NSL_TRY_ASSIGN(std::uint64_t v, uint(1, what));
    return static_cast<std::uint8_t>(v);
  }

  // A var-int that must be minimal and <= max.
  Result<std::uint64_t> var_int(std::uint64_t max, std::string_view what) {
    const std::size_t at = pos_;
    NSL_TRY_ASSIGN(std::uint8_t b, u8(what));
    std::uint64_t v = b;
    std::uint64_t min = 0;
    if (b == 0xFD) {
      NSL_TRY_ASSIGN(v, uint(2, what));
      min = 0xFD;
    } else if (b == 0xFE) {
      NSL_TRY_ASSIGN(v, uint(4, what));
      min = 0x10000;
    } else if (b == 0xFF) {
      NSL_TRY_ASSIGN(v, uint(8, what));
      min = 0x100000000;
    }
    if (v < min) return fail_at(at, std::string(what) + ": var-int is not minimally encoded");
    if (v > max) {
      return fail_at(at, std::string(what) + ": " + std::to_string(v) + " exceeds the maximum " +
                             std::to_string(max));
    }
    return v;
  }
  // Var-length bytes, length <= max.
  Result<Bytes> var_bytes(std::size_t max, std::string_view what) {
    NSL_TRY_ASSIGN(std::uint64_t n, var_int(max, std::string(what) + " length"));
    NSL_TRY_ASSIGN(ByteSpan s, take(static_cast<std::size_t>(n), what));
    return Bytes(s.begin(), s.end());
  }

  Error fail(const std::string& msg) const { return fail_at(pos_, msg); }
  Error fail_at(std::size_t at, const std::string& msg) const {
    return err::invalid_argument(std::string(prefix_) + ": " + msg + " at offset " +
                                 std::to_string(at));
  }

 private:
  ByteSpan data_;
  std::string_view prefix_;
  std::size_t pos_ = 0;
};

}  // namespace nsl::neo::internal
