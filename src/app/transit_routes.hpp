// nsl/app/transit_routes.hpp — HTTP routes of transit encryption (the shapes are in
// spec/openapi.yaml, the rules in transit::TransitService).
//
//   POST   /v1/transit/keys/{name}          transit:admin   → 201 + Location
//          body {type?, rotation_days?, deletion_allowed?}
//   GET    /v1/transit/keys                 transit:read    ?limit&cursor → {items, next_cursor}
//   GET    /v1/transit/keys/{name}          transit:read
//   PATCH  /v1/transit/keys/{name}          transit:admin   members absent stay as they are:
//          {min_decryption_version?, min_encryption_version?, rotation_days?, deletion_allowed?}
//   DELETE /v1/transit/keys/{name}          transit:admin   → 204 (only with deletion_allowed)
//   POST   /v1/transit/keys/{name}/rotate   transit:admin
//   POST   /v1/transit/keys/{name}/encrypt  transit:encrypt {plaintext, associated_data?,
//          key_version?} or {batch_input: [{plaintext, associated_data?}], key_version?}
//   POST   /v1/transit/keys/{name}/decrypt  transit:decrypt {ciphertext, associated_data?} or
//          {batch_input: [{ciphertext, associated_data?}]}
//   POST   /v1/transit/keys/{name}/rewrap   transit:encrypt as decrypt
//   POST   /v1/transit/keys/{name}/datakey  transit:encrypt {type: "plaintext" | "wrapped", bits?}
//
// Binary members (plaintext, associated_data) are standard padded base64. A batch answers
// {batch_results: [...]} in input order, each item its result or {error: {status, title, detail,
// code}} (the problem+json members of that item's error); the request itself is 200 unless it fails
// as a whole (no such key, batch size, body shape).
//
// Secrets on the wire: an encrypt request carries plaintext, so its body and every parsed string
// and decoded buffer are wiped once handled; answers that carry plaintext (decrypt, datakey
// "plaintext") are marked sensitive (the server wipes them after writing; Cache-Control:
// no-store), and are built straight from the service's SecretBytes, the one read of a secret in
// the .cpp (scripts/lint.sh allows the read capability there for that reason).
//
// Bodies are strict (unknown members refused with 400 naming the member). Rate class "general".
//
//   NSL_TRY(add_transit_routes(router, {.transit = transit, .pool = pool}));
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include "http/router.hpp"
#include "services/transit/service.hpp"

namespace nsl::app {

struct TransitRoutesDeps {
  transit::TransitService& transit;
  boost::asio::thread_pool& pool;
};

Status add_transit_routes(http::Router& router, TransitRoutesDeps deps);

// The public JSON form of a transit key (TransitKey in spec/openapi.yaml); never key material.
nlohmann::json transit_key_json(const transit::TransitKey& k, bool with_versions = true);

}  // namespace nsl::app
