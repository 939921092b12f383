#include "enclave/protocol/frame.hpp"

#include <google/protobuf/stubs/logging.h>
#include <string.h>  // explicit_bzero

namespace nsl::enclave::protocol {

namespace {

// libprotobuf prints a line to stderr for every string field with invalid UTF-8 it refuses; on a socket that
// anyone with access can write to, that is a log flood (and not JSON). Parse failures are reported as errors
// by the decoders instead.
void quiet_protobuf_logs() {
  static const bool done = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)done;
}

}  // namespace

Status append_frame(std::string& out, std::string_view payload, std::size_t max_frame) {
  if (payload.empty()) return err::invalid_argument("enclave frame: empty payload");
  if (payload.size() > max_frame) {
    return err::invalid_argument("enclave frame: payload of " + std::to_string(payload.size()) +
                                 " bytes exceeds the limit of " + std::to_string(max_frame));
  }
  const auto n = static_cast<std::uint32_t>(payload.size());
  const char header[kFrameHeaderSize] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                                         static_cast<char>(n >> 8), static_cast<char>(n)};
  out.append(header, kFrameHeaderSize);
  out.append(payload);
  return {};
}

namespace {

template <typename Message>
Status append_any(std::string& out, const Message& message, std::size_t max_frame) {
  const std::size_t size = message.ByteSizeLong();
  if (size == 0) {
    // An all-default message serializes to nothing; frames are never empty, so send a zero version field.
    return err::internal("enclave frame: refusing to send an empty message");
  }
  if (size > max_frame) {
    return Error(ErrorCode::payload_too_large, "enclave frame: message of " + std::to_string(size) +
                                                     " bytes exceeds the limit of " + std::to_string(max_frame));
  }
  const std::size_t start = out.size();
  const auto n = static_cast<std::uint32_t>(size);
  const char header[kFrameHeaderSize] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                                         static_cast<char>(n >> 8), static_cast<char>(n)};
  out.append(header, kFrameHeaderSize);
  out.resize(start + kFrameHeaderSize + size);
  auto* dst = reinterpret_cast<std::uint8_t*>(out.data() + start + kFrameHeaderSize);
  message.SerializeWithCachedSizesToArray(dst);
  return {};
}

}  // namespace

Status append_message(std::string& out, const v1::Request& message, std::size_t max_frame) {
  return append_any(out, message, max_frame);
}
Status append_message(std::string& out, const v1::Response& message, std::size_t max_frame) {
  return append_any(out, message, max_frame);
}

FrameReader::~FrameReader() { ::explicit_bzero(buffer_.data(), buffer_.size()); }

void FrameReader::feed(std::string_view bytes) {
  if (failed_) return;
  // Consumed frames are wiped before their space is reused: answers may carry unsealed secrets.
  if (offset_ > 0 && offset_ == buffer_.size()) {
    ::explicit_bzero(buffer_.data(), buffer_.size());
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ > (std::size_t{64} << 10) && offset_ * 2 > buffer_.size()) {
    ::explicit_bzero(buffer_.data(), offset_);
    buffer_.erase(0, offset_);  // compact: keep the partial frame, drop what was consumed
    offset_ = 0;
  }
  buffer_.append(bytes);
}

Result<std::optional<std::string_view>> FrameReader::next() {
  if (failed_) return err::invalid_argument("enclave frame: stream already failed");
  const std::size_t avail = buffer_.size() - offset_;
  if (avail < kFrameHeaderSize) return std::optional<std::string_view>{};
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + offset_);
  const std::uint32_t n = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                          (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
  if (n == 0 || n > max_frame_) {
    failed_ = true;
    return err::invalid_argument("enclave frame: length " + std::to_string(n) + " outside 1.." +
                                 std::to_string(max_frame_));
  }
  if (avail - kFrameHeaderSize < n) return std::optional<std::string_view>{};
  std::string_view payload(buffer_.data() + offset_ + kFrameHeaderSize, n);
  offset_ += kFrameHeaderSize + n;
  return std::optional<std::string_view>{payload};
}

Result<v1::Request> decode_request(std::string_view payload) {
  quiet_protobuf_logs();
  v1::Request r;
  if (payload.empty() || !r.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return err::invalid_argument("enclave request: malformed message");
  }
  return r;
}

Status check_request(const v1::Request& request) {
  if (request.version() != kProtocolVersion) {
    return err::invalid_argument("enclave request: unsupported protocol version " +
                                 std::to_string(request.version()) + " (this enclave speaks version " +
                                 std::to_string(kProtocolVersion) + ")");
  }
  if (request.op_case() == v1::Request::OP_NOT_SET) {
    return err::invalid_argument("enclave request: no operation set (unknown to this enclave version?)");
  }
  return {};
}

Result<v1::Response> decode_response(std::string_view payload) {
  quiet_protobuf_logs();
  v1::Response r;
  if (payload.empty() || !r.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return err::invalid_argument("enclave response: malformed message");
  }
  if (r.version() != kProtocolVersion) {
    return err::invalid_argument("enclave response: unsupported protocol version " +
                                 std::to_string(r.version()) + " (this client speaks version " +
                                 std::to_string(kProtocolVersion) + ")");
  }
  return r;
}

}  // namespace nsl::enclave::protocol
