// The transit service's batch operations: one key load, one audit record, one Result per item
// (service.hpp "Limits").
#include "services/transit/internal/common.hpp"
#include "services/transit/repo.hpp"
#include "services/transit/service.hpp"

namespace nsl::transit {
namespace {
using internal::status_of;
}  // namespace

Result<std::vector<Result<Encrypted>>> TransitService::encrypt_batch(
    const store::TenantId& tenant, std::string_view name, std::span<const EncryptItem> items,
    std::optional<std::uint32_t> key_version, const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  using Out = std::vector<Result<Encrypted>>;
  if (Status st = validate_key_name(name); !st.ok()) {
    return measured("transit_encrypt_batch", start, Result<Out>(std::move(st).error()));
  }
  bool partial = false;
  auto run = [&]() -> Result<Out> {
    if (items.empty() || items.size() > options_.max_batch) {
      return err::invalid_argument("batch_input must have 1.." +
                                   std::to_string(options_.max_batch) + " items");
    }
    const std::uint32_t want[] = {key_version.value_or(0)};
    NSL_TRY_ASSIGN(Loaded key, load(tenant, name, want));
    NSL_TRY_ASSIGN(std::uint32_t version, encryption_version(key, key_version));
    Out out;
    out.reserve(items.size());
    for (const auto& item : items) {
      out.push_back(encrypt_one(tenant, key, version, item.plaintext, item.associated_data));
      if (!out.back().ok()) partial = true;
    }
    return out;
  };
  Result<Out> r = run();
  Status audited = audit_use(tenant, actor, "transit.encrypt", name, status_of(r), partial);
  if (!audited.ok() && r.ok()) r = Result<Out>(std::move(audited).error());
  return measured("transit_encrypt_batch", start, std::move(r));
}

Result<std::vector<Result<SecretBytes>>> TransitService::decrypt_batch(
    const store::TenantId& tenant, std::string_view name, std::span<const CiphertextItem> items,
    const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  using Out = std::vector<Result<SecretBytes>>;
  if (Status st = validate_key_name(name); !st.ok()) {
    return measured("transit_decrypt_batch", start, Result<Out>(std::move(st).error()));
  }
  bool partial = false;
  auto run = [&]() -> Result<Out> {
    if (items.empty() || items.size() > options_.max_batch) {
      return err::invalid_argument("batch_input must have 1.." +
                                   std::to_string(options_.max_batch) + " items");
    }
    std::vector<Result<ParsedCiphertext>> parsed;
    std::vector<std::uint32_t> versions;
    parsed.reserve(items.size());
    for (const auto& item : items) {
      parsed.push_back(parse_ciphertext(item.ciphertext));
      if (parsed.back().ok()) versions.push_back(parsed.back()->key_version);
    }
    NSL_TRY_ASSIGN(Loaded key, load(tenant, name, versions));
    Out out;
    out.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!parsed[i].ok()) {
        out.push_back(Result<SecretBytes>(parsed[i].error()));
      } else {
        out.push_back(decrypt_one(tenant, key, *parsed[i], items[i].associated_data));
      }
      if (!out.back().ok()) partial = true;
    }
    return out;
  };
  Result<Out> r = run();
  Status audited = audit_use(tenant, actor, "transit.decrypt", name, status_of(r), partial);
  if (!audited.ok() && r.ok()) r = Result<Out>(std::move(audited).error());
  return measured("transit_decrypt_batch", start, std::move(r));
}

Result<std::vector<Result<Encrypted>>> TransitService::rewrap_batch(
    const store::TenantId& tenant, std::string_view name, std::span<const CiphertextItem> items,
    const Actor& actor) {
  const auto start = std::chrono::steady_clock::now();
  using Out = std::vector<Result<Encrypted>>;
  if (Status st = validate_key_name(name); !st.ok()) {
    return measured("transit_rewrap_batch", start, Result<Out>(std::move(st).error()));
  }
  bool partial = false;
  auto run = [&]() -> Result<Out> {
    if (items.empty() || items.size() > options_.max_batch) {
      return err::invalid_argument("batch_input must have 1.." +
                                   std::to_string(options_.max_batch) + " items");
    }
    std::vector<Result<ParsedCiphertext>> parsed;
    std::vector<std::uint32_t> versions;
    parsed.reserve(items.size());
    for (const auto& item : items) {
      parsed.push_back(parse_ciphertext(item.ciphertext));
      if (parsed.back().ok()) versions.push_back(parsed.back()->key_version);
    }
    versions.push_back(0);  // the latest, to rewrap to
    NSL_TRY_ASSIGN(Loaded key, load(tenant, name, versions));
    Out out;
    out.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!parsed[i].ok()) {
        out.push_back(Result<Encrypted>(parsed[i].error()));
      } else {
        out.push_back(rewrap_one(tenant, key, *parsed[i], items[i].associated_data));
      }
      if (!out.back().ok()) partial = true;
    }
    return out;
  };
  Result<Out> r = run();
  Status audited = audit_use(tenant, actor, "transit.rewrap", name, status_of(r), partial);
  if (!audited.ok() && r.ok()) r = Result<Out>(std::move(audited).error());
  return measured("transit_rewrap_batch", start, std::move(r));
}

}  // namespace nsl::transit
