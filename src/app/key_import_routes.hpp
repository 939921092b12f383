// nsl/app/key_import_routes.hpp — importing a key the tenant already has, without the server ever
// seeing it in clear, and exporting an exportable key (docs/keys.md "Importing a key"; shapes in spec/openapi.yaml).
//
//   POST /v1/keys/imports   keys:create  body optional {"nonce": hex 16..64 bytes}
//        → 200 {"key_id", "binding": {tenant_id, object_id, version: 1, purpose: "signing"},
//               "transport_public_key": hex X25519, "quote": {"format", "quote": base64,
//               "report_data": hex}, "nonce": hex}
//        The quote's report_data = attest_report_data(transport_key, transport_public_key, nonce)
//        (enclave/enclave.hpp): the client checks it before wrapping. Nothing is stored.
//   POST /v1/keys/import    keys:create  body {"key_id", "curve", "label", "wrapped": base64 import
//        wrap v1 (enclave/protocol/import_wrap.hpp), optional "exportable", "rotation_days"}
//        → 201 + KeyView (Location /v1/keys/{id})
//   POST /v1/keys/{id}/export  keys:export  body {"format": "nep2", "passphrase"} |
//        {"format": "wrapped", "recipient_public_key": hex X25519}
//        → 200 {"key_id", "version", "curve", "format", "nep2"} | {..., "wrapped": base64 export
//        wrap v1, "binding"}; 409 (failed_precondition) for a key that is not exportable.
// Rate class "keys"; strict bodies (unknown members are 400). `nsl keys import` is the client.
//
//   NSL_TRY(add_key_import_routes(router, {.keys = key_service, .pool = pool}));
#pragma once

#include "app/key_routes.hpp"

namespace nsl::app {

Status add_key_import_routes(http::Router& router, KeyRoutesDeps deps);

}  // namespace nsl::app
