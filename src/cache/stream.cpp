#include "cache/stream.hpp"

#include <string>

#include "cache/cache.hpp"

namespace nsl::cache {

Status validate_stream_name(std::string_view name, std::string_view what) {
  if (name.empty()) return err::invalid_argument(std::string(what) + " name is empty");
  if (name.size() > kMaxKeySize)
    return err::invalid_argument(std::string(what) + " name is too long");
  return ok_status();
}

Status validate_count(std::size_t count) {
  if (count == 0) return err::invalid_argument("stream read count must be positive");
  return ok_status();
}

}  // namespace nsl::cache
