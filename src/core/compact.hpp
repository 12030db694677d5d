#pragma once
// Splitting and decoding the compact serialization (RFC 7515 §7.1), shared by the verifier and
// the unverified decoder.

#include <string_view>

#include "core/json.hpp"
#include "jwtfort/result.hpp"

namespace jwtfort::compact {

struct segments {
  std::string_view header, payload, signature, signing_input;
};

/// RFC 7515 §5.2 step 1 and the JWT format check of RFC 8725bis: exactly three segments in the
/// base64url alphabet. JSON serialization and 5-segment JWE fail here.
result<segments> split(std::string_view token);

/// Decodes one segment into the slot's scratch buffer (`json::scratch_buffer(slot, 0)`) and
/// returns its length; longer than `lim.max_bytes` is token_too_large.
result<std::size_t> decode_segment(std::string_view segment, json::slot slot,
                                   const json::limits& lim);

/// Decodes one segment into the slot's scratch buffer and parses it as a strict JSON object.
/// The decoded bytes stay in `json::scratch_buffer(slot, 0)` until the slot is used again.
result<json::object> decode_object(std::string_view segment, json::slot slot,
                                   const json::limits& lim,
                                   const json::member_visitor* visit = nullptr);

}  // namespace jwtfort::compact
