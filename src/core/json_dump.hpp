// nsl/core/json_dump.hpp — compact JSON text of a document, byte for byte what nlohmann's dump() writes, faster.
//
//   std::string body = dump_json(doc);   // == doc.dump()
//
// Responses and audit details are mostly ASCII strings that need no escaping (hex, ids, addresses): those are
// copied as they are, and every other value — a string with a quote, a backslash, a control or non-ASCII
// character, a floating-point number, binary — is written by nlohmann's own serializer, so the output (and a
// type_error for a string that is not valid UTF-8) is exactly dump()'s. The audit chain hashes this text.
//
// Thread-safety: a pure function.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace nsl {

std::string dump_json(const nlohmann::json& j);
void append_json(std::string& out, const nlohmann::json& j);

}  // namespace nsl
