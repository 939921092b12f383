#include "cache/ttl_cache.hpp"

namespace nsl::cache {

std::string_view ttl_class_name(TtlClass c) noexcept {
  switch (c) {
    case TtlClass::api_responses:
      return "api_responses";
    case TtlClass::db_queries:
      return "db_queries";
    case TtlClass::chain_data:
      return "chain_data";
    case TtlClass::ai_models:
      return "ai_models";
  }
  return "api_responses";
}

std::chrono::milliseconds TtlCache::ttl(TtlClass cls) const noexcept {
  switch (cls) {
    case TtlClass::api_responses:
      return classes_.api_responses;
    case TtlClass::db_queries:
      return classes_.db_queries;
    case TtlClass::chain_data:
      return classes_.chain_data;
    case TtlClass::ai_models:
      return classes_.ai_models;
  }
  return classes_.api_responses;
}

std::string TtlCache::full_key(TtlClass cls, std::string_view key) {
  std::string k = "ttl:";
  k += ttl_class_name(cls);
  k += ':';
  k += key;
  return k;
}

Result<std::string> TtlCache::get_or_load(TtlClass cls, std::string_view key,
                                          const std::function<Result<std::string>()>& load) {
  const std::string k = full_key(cls, key);
  NSL_TRY(validate_key(k));
  auto cached = backend_.get(k);
  if (cached.ok() && cached->has_value()) return std::move(**cached);
  NSL_TRY_ASSIGN(std::string value, load());
  // Only when the back end answered: an unreachable cache is skipped, never waited on twice.
  if (cached.ok()) (void)backend_.set(k, value, ttl(cls));
  return value;
}

Status TtlCache::invalidate(TtlClass cls, std::string_view key) {
  NSL_TRY(backend_.del(full_key(cls, key)));
  return {};
}

}  // namespace nsl::cache
