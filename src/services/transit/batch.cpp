// The transit service's batch operations: one key load, one audit record, one Result per item
// (service.hpp "Limits").
#include "services/transit/internal/common.hpp"
#include "services/transit/repo.hpp"
#include "services/transit/service.hpp"

namespace nsl::transit {
namespace {
using internal::status_of;
}  // namespace

template <class Out, class Body>
Result<Out> TransitService::batch(std::string_view op, std::string action,
                                  const store::TenantId& tenant, std::string_view name,
                                  std::size_t items, const Actor& actor, Body body) {
  const auto start = std::chrono::steady_clock::now();
  if (Status st = validate_key_name(name); !st.ok()) {
    return measured(op, start, Result<Out>(std::move(st).error()));
  }
  bool partial = false;
  auto run = [&]() -> Result<Out> {
    if (items == 0 || items > options_.max_batch) {
      return err::invalid_argument("batch_input must have 1.." +
                                   std::to_string(options_.max_batch) + " items");
    }
    Result<Out> out = body();
    if (out.ok()) {
      for (const auto& one : *out) partial = partial || !one.ok();
    }
    return out;
  };
  Result<Out> r = run();
  Status audited = audit_use(tenant, actor, std::move(action), name, status_of(r), partial);
  if (!audited.ok() && r.ok()) r = Result<Out>(std::move(audited).error());
  return measured(op, start, std::move(r));
}

template <class T, class One>
Result<std::vector<Result<T>>> TransitService::each_ciphertext(
    const store::TenantId& tenant, std::string_view name, std::span<const CiphertextItem> items,
    std::optional<std::uint32_t> extra, One one) {
  std::vector<Result<ParsedCiphertext>> parsed;
  std::vector<std::uint32_t> versions;
  parsed.reserve(items.size());
  for (const auto& item : items) {
    parsed.push_back(parse_ciphertext(item.ciphertext));
    if (parsed.back().ok()) versions.push_back(parsed.back()->key_version);
  }
  if (extra) versions.push_back(*extra);
  NSL_TRY_ASSIGN(Loaded key, load(tenant, name, versions));
  std::vector<Result<T>> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!parsed[i].ok()) {
      out.push_back(Result<T>(parsed[i].error()));
    } else {
      out.push_back(one(key, *parsed[i], items[i].associated_data));
    }
  }
  return out;
}

Result<std::vector<Result<Encrypted>>> TransitService::encrypt_batch(
    const store::TenantId& tenant, std::string_view name, std::span<const EncryptItem> items,
    std::optional<std::uint32_t> key_version, const Actor& actor) {
  using Out = std::vector<Result<Encrypted>>;
  return batch<Out>("transit_encrypt_batch", "transit.encrypt", tenant, name, items.size(), actor,
                    [&]() -> Result<Out> {
                      const std::uint32_t want[] = {key_version.value_or(0)};
                      NSL_TRY_ASSIGN(Loaded key, load(tenant, name, want));
                      NSL_TRY_ASSIGN(std::uint32_t version, encryption_version(key, key_version));
                      Out out;
                      out.reserve(items.size());
                      for (const auto& item : items) {
                        out.push_back(
                            encrypt_one(tenant, key, version, item.plaintext, item.associated_data));
                      }
                      return out;
                    });
}

Result<std::vector<Result<SecretBytes>>> TransitService::decrypt_batch(
    const store::TenantId& tenant, std::string_view name, std::span<const CiphertextItem> items,
    const Actor& actor) {
  using Out = std::vector<Result<SecretBytes>>;
  return batch<Out>("transit_decrypt_batch", "transit.decrypt", tenant, name, items.size(), actor,
                    [&]() -> Result<Out> {
                      return each_ciphertext<SecretBytes>(
                          tenant, name, items, std::nullopt,
                          [&](const Loaded& key, const ParsedCiphertext& ct, ByteView ad) {
                            return decrypt_one(tenant, key, ct, ad);
                          });
                    });
}

Result<std::vector<Result<Encrypted>>> TransitService::rewrap_batch(
    const store::TenantId& tenant, std::string_view name, std::span<const CiphertextItem> items,
    const Actor& actor) {
  using Out = std::vector<Result<Encrypted>>;
  return batch<Out>("transit_rewrap_batch", "transit.rewrap", tenant, name, items.size(), actor,
                    [&]() -> Result<Out> {
                      // 0: the latest version, to rewrap to.
                      return each_ciphertext<Encrypted>(
                          tenant, name, items, 0u,
                          [&](const Loaded& key, const ParsedCiphertext& ct, ByteView ad) {
                            return rewrap_one(tenant, key, ct, ad);
                          });
                    });
}

}  // namespace nsl::transit
