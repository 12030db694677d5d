#include "jwtfort/token.hpp"

#include "core/base64url.hpp"
#include "core/compact.hpp"
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

}  // namespace

bool verified_token::has_claim(std::string_view name) const {
  return claim(claims_json(), name).has_value();
}

std::optional<std::string> verified_token::claim_json(std::string_view name) const {
  auto v = claim(claims_json(), name);
  if (!v) return std::nullopt;
  return json::to_text(*v);
}

std::optional<std::string> verified_token::string_claim(std::string_view name) const {
  auto v = claim(claims_json(), name);
  if (!v) return std::nullopt;
  auto s = v->as_string();
  if (!s) return std::nullopt;
  return std::string(*s);
}

std::optional<std::int64_t> verified_token::integer_claim(std::string_view name) const {
  auto v = claim(claims_json(), name);
  if (!v) return std::nullopt;
  return v->as_int64();
}

std::optional<bool> verified_token::bool_claim(std::string_view name) const {
  auto v = claim(claims_json(), name);
  if (!v) return std::nullopt;
  return v->as_bool();
}

std::optional<std::vector<std::string>> verified_token::string_list_claim(
    std::string_view name) const {
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
