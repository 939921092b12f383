// nsl/app/read_only.hpp — the write gate of a multi-region read-only secondary (`server.read_only`).
//
// A secondary serves a streaming replica of the primary region's PostgreSQL database: it can read
// everything the primary wrote, and must write nothing. The middleware refuses every request whose
// route may change stored state (http::route_writes: GET/HEAD read, other methods write, unless the
// route declares otherwise) with
//   503  application/problem+json  {"type":"urn:nsl:problem:read_only", "code":"unavailable", ...}
// and no Retry-After (the state lasts until an operator promotes the region, not seconds). It runs
// first in the chain, before authentication, so a refused request costs no credential lookup,
// no rate-limit round trip and no API-key "last used" write. Unmatched paths still get their
// 404/405, reads and public read routes (health, discovery, /v1/info) pass unchanged.
//
// Status: the one error model has no "read-only" code; `unavailable` (503) is the closest: the
// deployment, not the request, cannot do it, and a client retrying with backoff succeeds once the
// region is promoted. The dedicated `type` lets clients and dashboards tell it from an outage.
//
// Thread-safety: the middleware holds no state.
#pragma once

#include <string_view>

#include "http/dispatcher.hpp"

namespace nsl::app {

inline constexpr std::string_view kReadOnlyProblemType = "urn:nsl:problem:read_only";
inline constexpr std::string_view kReadOnlyDetail =
    "this nsl is a read-only secondary: send writes to the primary region";

// True when a read-only secondary must refuse a request to `route`.
bool refused_when_read_only(const http::Route& route) noexcept;

// The refusal (503 problem+json, type kReadOnlyProblemType).
http::Response read_only_refusal(const http::Request& req);

// Refuses requests to writing routes; register before the access middleware.
http::Middleware read_only_middleware();

}  // namespace nsl::app
