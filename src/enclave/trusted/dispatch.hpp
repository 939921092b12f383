// nsl/enclave/trusted/dispatch.hpp — the whole trusted-side protocol in one function.
//
// serve_request() checks a decoded Request (version, operation), calls the matching Enclave operation and packs
// the result or the error into a Response with the same id and version. The socket server feeds it; tests run
// it against an in-process TrustedCore, so the protocol is tested without a socket. It never throws: an
// exception from below becomes an internal (or, for bad_alloc, unavailable) error answer.
//
// Thread-safety: as thread-safe as the Enclave it calls.
#pragma once

#include "enclave/enclave.hpp"
#include "enclave/protocol/frame.hpp"

namespace nsl::enclave::trusted {

namespace v1 = ::nsl::enclave::v1;

v1::Response serve_request(Enclave& enclave, const v1::Request& request);

}  // namespace nsl::enclave::trusted
