#include "jwtfort/token.hpp"

#include <cstring>

#include "core/base64url.hpp"
#include "core/compact.hpp"
#include "core/flat_json.hpp"
#include "core/json.hpp"

namespace jwtfort {
namespace {

// Claims are kept as text and parsed again on access, which keeps verify() free of work that
// most callers never ask for.
std::optional<json::value> claim(std::string_view payload, std::string_view name) {
  auto o = json::parse_object(json::slot::scratch, payload, json::claims_limits);
  if (!o) return std::nullopt;
  return json::find(*o, name);
}

// A member of `payload` read by the one-pass reader (json::read_flat_object), which takes the
// usual claims object without simdjson: the outer nullopt when it declines the object (then the
// caller parses it fully), else the member, or an inner nullopt when there is none. Its text
// lives in the scratch slot until the next use of it. The token service and the server read a
// claim or two of every token, so this is on the path of every request.
std::optional<std::optional<json::flat_value>> flat_claim(std::string_view payload,
                                                          std::string_view name) {
  // The reader reads up to 16 bytes past the end: a scratch buffer is padded.
  unsigned char* copy = json::scratch_buffer(json::slot::scratch, payload.size());
  if (!payload.empty()) std::memcpy(copy, payload.data(), payload.size());
  std::optional<json::flat_value> found;
  auto visit = [&](std::string_view member, const json::flat_value& value) {
    if (member == name) found = value;
    return true;
  };
  if (!json::read_flat_object(copy, payload.size(), json::claims_limits, visit))
    return std::nullopt;
  return found;
}

}  // namespace

bool verified_token::has_claim(std::string_view name) const {
  if (auto flat = flat_claim(claims_json(), name)) return flat->has_value();
  return claim(claims_json(), name).has_value();
}

std::optional<std::string> verified_token::claim_json(std::string_view name) const {
  auto v = claim(claims_json(), name);
  if (!v) return std::nullopt;
  return json::to_text(*v);
}

std::optional<std::string> verified_token::string_claim(std::string_view name) const {
  if (auto flat = flat_claim(claims_json(), name)) {
    if (!*flat || (*flat)->kind != json::flat_value::string) return std::nullopt;
    return std::string((*flat)->text);  // a flat string has no escapes: its text is its value
  }
  auto v = claim(claims_json(), name);
  if (!v) return std::nullopt;
  auto s = v->as_string();
  if (!s) return std::nullopt;
  return std::string(*s);
}

std::optional<std::int64_t> verified_token::integer_claim(std::string_view name) const {
  if (auto flat = flat_claim(claims_json(), name)) {
    if (!*flat || (*flat)->kind != json::flat_value::integer) return std::nullopt;
    return (*flat)->number;
  }
  auto v = claim(claims_json(), name);
  if (!v) return std::nullopt;
  return v->as_int64();
}

std::optional<bool> verified_token::bool_claim(std::string_view name) const {
  if (auto flat = flat_claim(claims_json(), name)) {
    if (!*flat || (*flat)->kind != json::flat_value::literal || (*flat)->text == "null")
      return std::nullopt;
    return (*flat)->text == "true";
  }
  auto v = claim(claims_json(), name);
  if (!v) return std::nullopt;
  return v->as_bool();
}

std::optional<std::vector<std::string>> verified_token::string_list_claim(
    std::string_view name) const {
  if (auto flat = flat_claim(claims_json(), name)) {
    if (!*flat) return std::nullopt;
    if ((*flat)->kind == json::flat_value::string)
      return std::vector<std::string>{std::string((*flat)->text)};
    if ((*flat)->kind != json::flat_value::array) return std::nullopt;
    // An array: the one-pass reader keeps no elements, so the full parser reads them.
  }
  auto v = claim(claims_json(), name);
  if (!v) return std::nullopt;
  if (auto s = v->as_string()) return std::vector<std::string>{std::string(*s)};
  auto list = v->as_array();
  if (!list) return std::nullopt;
  std::vector<std::string> out;
  for (json::value item : *list) {
    auto s = item.as_string();
    if (!s) return std::nullopt;
    out.emplace_back(*s);
  }
  return out;
}

result<unverified_token> unverified_token::decode(std::string_view token) {
  if (token.size() > 65536) return error(errc::token_too_large, "token is larger than 65536 bytes");
  auto seg = compact::split(token);
  if (!seg) return seg.error();
  unverified_token t;
  auto header = compact::decode_object(seg->header, json::slot::header, json::header_limits);
  if (!header) return header.error();
  t.header_.assign(reinterpret_cast<const char*>(json::scratch_buffer(json::slot::header, 0)),
                   base64url::decoded_size(seg->header.size()));
  if (auto alg = json::string_member(*header, "alg", errc::invalid_header); alg && *alg)
    t.alg_ = **alg;
  if (auto kid = json::string_member(*header, "kid", errc::invalid_header); kid && *kid)
    t.kid_ = **kid;
  auto payload = compact::decode_object(seg->payload, json::slot::payload, json::claims_limits);
  if (!payload) return payload.error();
  t.payload_.assign(reinterpret_cast<const char*>(json::scratch_buffer(json::slot::payload, 0)),
                    base64url::decoded_size(seg->payload.size()));
  return t;
}

}  // namespace jwtfort
