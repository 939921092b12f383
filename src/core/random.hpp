// nsl/core/random.hpp — randomness from the OS CSPRNG, and the identifiers built from it.
//
// `random_bytes` reads getrandom(2); it never falls back to a weaker source (it aborts if the kernel refuses,
// which only happens on a broken system). Request and trace ids use it too: they must not be guessable.
// Thread-safety: free functions, safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <span>
#include <string>

namespace nsl {

void random_bytes(std::span<std::uint8_t> out);

// Lower-case hex of `n` random bytes.
std::string random_hex(std::size_t n);

// Lower-case hex of `n` random bytes for identifiers (request/trace/span ids): CSPRNG output taken from a
// per-thread buffer, cheaper than random_hex. Not for keys, nonces or tokens — use random_bytes/random_hex.
std::string random_id_hex(std::size_t n);

// Fills several identifiers from one draw: each {destination, byte count} gets 2*count hex characters.
void random_ids_hex(std::initializer_list<std::pair<std::string*, std::size_t>> ids);

// A request id: 32 hex characters (128 bits).
std::string new_request_id();

}  // namespace nsl
