// nsl/enclave/protocol/frame.hpp — length-prefixed frames and message decoding for the enclave socket.
//
// A frame is a 4-byte big-endian length N followed by N payload bytes, 1 <= N <= max_frame. Both sides read
// with FrameReader, which accepts bytes in any split, and decode payloads with decode_request /
// decode_response: every byte that arrives on the socket goes through this file, which is why it has fuzz
// targets (fuzz/enclave_frame_fuzz.cpp).
//
// Errors: a bad length header breaks the stream (no way to find the next frame), so FrameReader reports it
// once and stays failed; the connection must be closed after sending an error. A payload that is not a valid
// message, or a message in an unknown version, is a per-request error: the stream stays usable.
//
// Thread-safety: FrameReader is a plain value (one per connection, used by one thread at a time).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "enclave/protocol/enclave.pb.h"

namespace nsl::enclave::protocol {

namespace v1 = ::nsl::enclave::v1;

inline constexpr std::uint32_t kProtocolVersion = 1;
inline constexpr std::size_t kFrameHeaderSize = 4;
inline constexpr std::size_t kDefaultMaxFrame = std::size_t{1} << 20;  // 1 MiB

// Appends header + payload to `out`. invalid_argument if the payload is empty or over max_frame.
Status append_frame(std::string& out, std::string_view payload, std::size_t max_frame = kDefaultMaxFrame);
// Serializes `message` and appends it as one frame.
Status append_message(std::string& out, const v1::Request& message, std::size_t max_frame = kDefaultMaxFrame);
Status append_message(std::string& out, const v1::Response& message, std::size_t max_frame = kDefaultMaxFrame);

class FrameReader {
 public:
  explicit FrameReader(std::size_t max_frame = kDefaultMaxFrame) : max_frame_(max_frame) {}
  ~FrameReader();
  FrameReader(const FrameReader&) = delete;
  FrameReader& operator=(const FrameReader&) = delete;

  void feed(std::string_view bytes);
  // The next complete payload (valid until the next feed/next call), nullopt when more bytes are needed, or
  // invalid_argument when the length header is 0 or over the limit (sticky: every later call fails too).
  Result<std::optional<std::string_view>> next();
  // Bytes received but not yet returned (a partial frame).
  std::size_t buffered() const noexcept { return buffer_.size() - offset_; }
  bool failed() const noexcept { return failed_; }

 private:
  std::size_t max_frame_;
  std::string buffer_;
  std::size_t offset_ = 0;
  bool failed_ = false;
};

// Request payload -> message. invalid_argument for bytes that are not a Request; a Request in another
// version parses but is refused by check_request (the caller still needs its id for the answer).
Result<v1::Request> decode_request(std::string_view payload);
Status check_request(const v1::Request& request);
// Response payload -> message; invalid_argument when malformed or in another version.
Result<v1::Response> decode_response(std::string_view payload);

}  // namespace nsl::enclave::protocol
