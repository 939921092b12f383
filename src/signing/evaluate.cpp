#include "signing/evaluate.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

namespace nsl::signing {
namespace {

Error deny(std::string_view rule, std::string_view why) {
  return err::permission_denied("signing policy: " + std::string(rule) + ": " + std::string(why));
}

std::optional<evm::U256> add(const evm::U256& a, const evm::U256& b) {
  const auto& x = a.be32();
  const auto& y = b.be32();
  std::array<std::uint8_t, 32> out{};
  unsigned carry = 0;
  for (std::size_t i = 32; i-- > 0;) {
    const unsigned s = static_cast<unsigned>(x[i]) + y[i] + carry;
    out[i] = static_cast<std::uint8_t>(s);
    carry = s >> 8;
  }
  if (carry != 0) return std::nullopt;
  return evm::U256::from_be32(out);
}

std::string neo_asset(const neo::UInt160& contract) { return "neo:" + contract.to_string(); }
std::string evm_asset(const evm::Address& token) { return "evm:" + token.to_lower_hex(); }

constexpr std::array<const char*, 7> kDayNames = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

Status check_time(const Policy& p, std::int64_t now) {
  if (!p.time_windows) return ok_status();
  const std::int64_t day = now >= 0 ? now / 86400 : (now - 86399) / 86400;
  const int minute = static_cast<int>((now - day * 86400) / 60);
  const int weekday = static_cast<int>(((day % 7) + 7 + 3) % 7);  // 1970-01-01 was a Thursday; 0 = Monday
  for (const auto& w : *p.time_windows) {
    if (((w.days >> weekday) & 1u) != 0 && minute >= w.start_minute && minute < w.end_minute) return ok_status();
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s %02d:%02d UTC", kDayNames[static_cast<std::size_t>(weekday)], minute / 60,
                minute % 60);
  return deny("time_windows", std::string(buf) + " is outside every signing window");
}

Status check_networks(const Policy& p, const Decoded& d, const Context& ctx) {
  if (d.format == Format::neo_tx && p.neo_networks) {
    const auto& list = *p.neo_networks;
    if (std::find(list.begin(), list.end(), ctx.network_magic) == list.end()) {
      return deny("networks", "N3 network " + std::to_string(ctx.network_magic) + " is not allowed");
    }
  }
  if (!p.evm_chain_ids) return ok_status();
  const auto& ids = *p.evm_chain_ids;
  if (d.format == Format::evm_tx) {
    if (std::find(ids.begin(), ids.end(), d.evm->tx.chain_id) == ids.end()) {
      return deny("networks", "EVM chain id " + std::to_string(d.evm->tx.chain_id) + " is not allowed");
    }
  }
  if (d.format == Format::eip712) {
    if (d.eip712_chain_unreadable) return deny("networks", "the EIP-712 domain's chainId is not readable");
    if (d.eip712_chain_id && std::find(ids.begin(), ids.end(), *d.eip712_chain_id) == ids.end()) {
      return deny("networks", "EVM chain id " + std::to_string(*d.eip712_chain_id) + " is not allowed");
    }
  }
  return ok_status();
}

Status check_neo_contracts(const Policy& p, const NeoTx& n) {
  if (!p.neo_contracts) return ok_status();
  if (!n.script.understood) return deny("neo_contracts", "script not understood (" + n.script.why + ")");
  for (const NeoCall& c : n.script.calls) {
    const std::string hash = c.contract.to_string();
    const auto rule = std::find_if(p.neo_contracts->begin(), p.neo_contracts->end(),
                                   [&](const ContractRule& r) { return r.hash == hash; });
    if (rule == p.neo_contracts->end()) return deny("neo_contracts", "contract " + hash + " is not allowed");
    if (!rule->methods.empty() &&
        std::find(rule->methods.begin(), rule->methods.end(), c.method) == rule->methods.end()) {
      std::string shown = c.method.substr(0, 64);
      for (char& ch : shown) {
        if (ch < 0x20 || ch > 0x7e) ch = '?';
      }
      return deny("neo_contracts", "method '" + shown + "' of contract " + hash + " is not allowed");
    }
  }
  return ok_status();
}

bool listed(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

Status check_evm_call(const Policy& p, const EvmCall& c) {
  if (p.evm_recipients) {
    if (!c.tx.to) return deny("evm_recipients", "contract creation is not allowed");
    const std::string to = c.tx.to->to_lower_hex();
    if (!listed(*p.evm_recipients, to)) return deny("evm_recipients", to + " is not an allowed recipient");
    if (c.erc20_malformed) return deny("evm_recipients", "token call arguments not understood");
    if (c.erc20 && !listed(*p.evm_recipients, c.erc20->to.to_lower_hex())) {
      return deny("evm_recipients", "token recipient " + c.erc20->to.to_lower_hex() + " is not allowed");
    }
  }
  if (p.evm_selectors) {
    if (!c.tx.to) return deny("evm_selectors", "contract creation is not allowed");
    if (c.tx.data.empty()) {
      if (!listed(*p.evm_selectors, "none")) return deny("evm_selectors", "plain value transfers (\"none\") are not allowed");
    } else if (!c.selector) {
      return deny("evm_selectors", "data is shorter than a 4-byte selector");
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      std::string sel = "0x";
      for (std::uint8_t b : *c.selector) {
        sel.push_back(kHex[b >> 4]);
        sel.push_back(kHex[b & 15]);
      }
      if (!listed(*p.evm_selectors, sel)) return deny("evm_selectors", "selector " + sel + " is not allowed");
    }
  }
  return ok_status();
}

struct Limits {
  const Policy& p;
  const Context& ctx;

  // The limit of `asset` in the first map that has one, with the map's name.
  bool limited(const std::string& asset) const {
    return (p.max_value_per_tx && p.max_value_per_tx->count(asset) != 0) ||
           (p.max_value_per_24h && p.max_value_per_24h->count(asset) != 0);
  }
  const char* rule_of(const std::string& asset) const {
    return p.max_value_per_tx && p.max_value_per_tx->count(asset) != 0 ? "max_value_per_tx" : "max_value_per_24h";
  }
  bool any_neo() const {
    for (const auto* m : {&p.max_value_per_tx, &p.max_value_per_24h}) {
      if (!*m) continue;
      for (const auto& [asset, limit] : **m) {
        if (asset.rfind("neo:", 0) == 0) return true;
      }
    }
    return false;
  }

  Status check(const std::string& asset, const evm::U256& amount) const {
    if (p.max_value_per_tx) {
      const auto it = p.max_value_per_tx->find(asset);
      if (it != p.max_value_per_tx->end() && amount > it->second) {
        return deny("max_value_per_tx",
                    amount.to_decimal() + " of " + asset + " exceeds " + it->second.to_decimal());
      }
    }
    if (p.max_value_per_24h) {
      const auto it = p.max_value_per_24h->find(asset);
      if (it != p.max_value_per_24h->end()) {
        const auto s = ctx.spent_24h.find(asset);
        const evm::U256 spent = s == ctx.spent_24h.end() ? evm::U256() : s->second;
        const auto total = add(spent, amount);
        if (!total || *total > it->second) {
          return deny("max_value_per_24h", (total ? total->to_decimal() : std::string("more than 2^256-1")) +
                                               " of " + asset + " in 24 hours (" + spent.to_decimal() +
                                               " already) exceeds " + it->second.to_decimal());
        }
      }
    }
    return ok_status();
  }
};

}  // namespace

Status add_move(Moves& moves, const std::string& asset, const evm::U256& amount) {
  evm::U256& slot = moves[asset];
  const auto sum = add(slot, amount);
  if (!sum) return err::invalid_argument("the transaction moves more than 2^256-1 of " + asset);
  slot = *sum;
  return ok_status();
}

Result<Moves> moves_of(const Decoded& d) {
  Moves m;
  if (d.neo && d.neo->script.understood) {
    for (const NeoCall& c : d.neo->script.calls) {
      if (c.transfer) NSL_TRY(add_move(m, neo_asset(c.contract), c.transfer->amount));
    }
  }
  if (d.evm) {
    if (!d.evm->tx.value.is_zero()) NSL_TRY(add_move(m, "evm:native", d.evm->tx.value));
    if (d.evm->erc20 && d.evm->erc20->kind != Erc20Call::Kind::approve) {
      NSL_TRY(add_move(m, evm_asset(*d.evm->tx.to), d.evm->erc20->amount));
    }
  }
  return m;
}

Result<Moves> evaluate(const Policy& p, const Decoded& d, const Context& ctx) {
  switch (d.format) {
    case Format::raw_digest:
      if (!p.allow_raw_digest) {
        return deny("allow_raw_digest", "raw digests are opaque and this key's policy does not allow them");
      }
      break;
    case Format::neo_message:
    case Format::eip191:
    case Format::eip712:
      if (!p.allow_messages) return deny("allow_messages", "message signing is not allowed for this key");
      break;
    case Format::neo_tx:
    case Format::evm_tx:
      break;
  }
  NSL_TRY(check_time(p, ctx.now_unix));
  NSL_TRY(check_networks(p, d, ctx));
  if (d.neo) NSL_TRY(check_neo_contracts(p, *d.neo));
  if (d.evm) NSL_TRY(check_evm_call(p, *d.evm));

  const Limits limits{p, ctx};
  if (d.neo) {
    if (!d.neo->script.understood && limits.any_neo()) {
      return deny(p.max_value_per_tx ? "max_value_per_tx" : "max_value_per_24h",
                  "script not understood (" + d.neo->script.why + ")");
    }
    for (const NeoCall& c : d.neo->script.calls) {
      const std::string asset = neo_asset(c.contract);
      if (c.transfer_malformed && limits.limited(asset)) {
        return deny(limits.rule_of(asset), "transfer call of " + asset + " not understood");
      }
    }
  }
  if (d.evm && d.evm->tx.to) {
    const std::string asset = evm_asset(*d.evm->tx.to);
    if (limits.limited(asset)) {
      if (!d.evm->erc20) return deny(limits.rule_of(asset), "call of " + asset + " not understood");
      if (d.evm->erc20->kind == Erc20Call::Kind::approve) NSL_TRY(limits.check(asset, d.evm->erc20->amount));
    }
  }
  NSL_TRY_ASSIGN(Moves moves, moves_of(d));
  for (const auto& [asset, amount] : moves) NSL_TRY(limits.check(asset, amount));
  return moves;
}

}  // namespace nsl::signing
