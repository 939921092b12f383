#include "chain/evm/rlp.hpp"

#include <string>

namespace nsl::evm {
namespace {

constexpr std::size_t kShortMax = 55;  // longest payload with a one-byte prefix

void append_length(std::uint8_t short_base, std::uint8_t long_base, std::size_t len, Bytes& out) {
  if (len <= kShortMax) {
    out.push_back(static_cast<std::uint8_t>(short_base + len));
    return;
  }
  std::uint8_t be[8];
  std::size_t n = 0;
  for (std::size_t v = len; v != 0; v >>= 8) be[n++] = static_cast<std::uint8_t>(v & 0xff);
  out.push_back(static_cast<std::uint8_t>(long_base + n));
  while (n > 0) out.push_back(be[--n]);
}

Error at(std::size_t offset, const std::string& what) {
  return err::invalid_argument("rlp: " + what + " at offset " + std::to_string(offset));
}

struct Header {
  bool list = false;
  std::size_t payload_off = 0;
  std::size_t payload_len = 0;
};

// Parses the prefix at `pos`; the item must end at or before `end`.
Result<Header> parse_header(ByteSpan in, std::size_t pos, std::size_t end) {
  const std::uint8_t b = in[pos];
  if (b < 0x80) return Header{false, pos, 1};
  const bool list = b >= 0xc0;
  const std::uint8_t base = list ? 0xc0 : 0x80;
  std::size_t off = pos + 1;
  std::size_t len = 0;
  if (b - base <= static_cast<int>(kShortMax)) {
    len = static_cast<std::size_t>(b - base);
  } else {
    const auto len_of_len = static_cast<std::size_t>(b - base - kShortMax);  // 1..8
    if (len_of_len > end - off) return at(pos, "length field runs past the end of its container");
    if (in[off] == 0) return at(pos, "length field has leading zero bytes");
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < len_of_len; ++i) v = (v << 8) | in[off + i];
    off += len_of_len;
    if (v <= kShortMax) return at(pos, "long-form length used for a payload under 56 bytes");
    if (v > end - off) return at(pos, "payload runs past the end of its container");
    len = static_cast<std::size_t>(v);
  }
  if (len > end - off) return at(pos, "payload runs past the end of its container");
  if (!list && len == 1 && in[off] < 0x80) {
    return at(pos, "single byte below 0x80 must be encoded as itself");
  }
  return Header{list, off, len};
}

class Decoder {
 public:
  Decoder(ByteSpan in, const RlpLimits& limits) : in_(in), limits_(limits) {}

  Result<RlpItem> item(std::size_t pos, std::size_t end, std::size_t depth, std::size_t& next) {
    if (++items_ > limits_.max_items) {
      return at(pos, "more than " + std::to_string(limits_.max_items) + " items");
    }
    NSL_TRY_ASSIGN(const Header h, parse_header(in_, pos, end));
    next = h.payload_off + h.payload_len;
    if (!h.list) return RlpItem::bytes(in_.subspan(h.payload_off, h.payload_len));
    if (depth + 1 > limits_.max_depth) {
      return at(pos, "lists nested deeper than " + std::to_string(limits_.max_depth));
    }
    std::vector<RlpItem> children;
    const std::size_t list_end = h.payload_off + h.payload_len;
    std::size_t p = h.payload_off;
    while (p < list_end) {
      std::size_t child_next = 0;
      NSL_TRY_ASSIGN(auto child, item(p, list_end, depth + 1, child_next));
      children.push_back(std::move(child));
      p = child_next;
    }
    return RlpItem::list(std::move(children));
  }

 private:
  ByteSpan in_;
  const RlpLimits& limits_;
  std::size_t items_ = 0;
};

Result<ByteSpan> integer_bytes(const RlpItem& item, std::string_view what, std::size_t max_len) {
  const std::string name(what);
  if (item.is_list()) return err::invalid_argument("rlp: " + name + " must be a byte string");
  const Bytes& d = item.data();
  if (!d.empty() && d[0] == 0) return err::invalid_argument("rlp: " + name + " has leading zeros");
  if (d.size() > max_len) {
    return err::invalid_argument("rlp: " + name + " does not fit in " +
                                 std::to_string(max_len * 8) + " bits");
  }
  return ByteSpan(d);
}

}  // namespace

RlpItem RlpItem::bytes(Bytes b) {
  RlpItem r;
  r.data_ = std::move(b);
  return r;
}

RlpItem RlpItem::list(std::vector<RlpItem> items) {
  RlpItem r;
  r.is_list_ = true;
  r.items_ = std::move(items);
  return r;
}

RlpItem RlpItem::u64(std::uint64_t v) { return bytes(U256::from_u64(v).to_minimal_be()); }
RlpItem RlpItem::u256(const U256& v) { return bytes(v.to_minimal_be()); }

void rlp_append_bytes(ByteSpan data, Bytes& out) {
  if (data.size() == 1 && data[0] < 0x80) {
    out.push_back(data[0]);
    return;
  }
  append_length(0x80, 0xb7, data.size(), out);
  out.insert(out.end(), data.begin(), data.end());
}

void rlp_append_list_header(std::size_t payload_size, Bytes& out) {
  append_length(0xc0, 0xf7, payload_size, out);
}

void rlp_append(const RlpItem& item, Bytes& out) {
  if (!item.is_list()) {
    rlp_append_bytes(item.data(), out);
    return;
  }
  Bytes payload;
  for (const auto& child : item.items()) rlp_append(child, payload);
  rlp_append_list_header(payload.size(), out);
  out.insert(out.end(), payload.begin(), payload.end());
}

Bytes rlp_encode(const RlpItem& item) {
  Bytes out;
  rlp_append(item, out);
  return out;
}

Result<RlpItem> rlp_decode(ByteSpan input, const RlpLimits& limits) {
  if (input.empty()) return err::invalid_argument("rlp: empty input");
  if (input.size() > limits.max_input_size) {
    return err::invalid_argument("rlp: input of " + std::to_string(input.size()) +
                                 " bytes exceeds the limit of " +
                                 std::to_string(limits.max_input_size));
  }
  Decoder d(input, limits);
  std::size_t next = 0;
  NSL_TRY_ASSIGN(auto item, d.item(0, input.size(), 0, next));
  if (next != input.size()) {
    return at(next, std::to_string(input.size() - next) + " trailing bytes after the item");
  }
  return item;
}

Result<std::uint64_t> rlp_to_u64(const RlpItem& item, std::string_view what) {
  NSL_TRY_ASSIGN(const ByteSpan b, integer_bytes(item, what, 8));
  std::uint64_t v = 0;
  for (std::uint8_t x : b) v = (v << 8) | x;
  return v;
}

Result<U256> rlp_to_u256(const RlpItem& item, std::string_view what) {
  NSL_TRY_ASSIGN(const ByteSpan b, integer_bytes(item, what, 32));
  return U256::from_be_bytes(b);
}

}  // namespace nsl::evm
