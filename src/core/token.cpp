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
  std::string_view s;
  if (!v || v->get_string().get(s) != simdjson::SUCCESS) return std::nullopt;
  return std::string(s);
}

std::optional<std::int64_t> verified_token::integer_claim(std::string_view name) const {
  auto v = claim(claims_json(), name);
  std::int64_t i = 0;
  if (!v || v->get_int64().get(i) != simdjson::SUCCESS) return std::nullopt;
  return i;
}

std::optional<bool> verified_token::bool_claim(std::string_view name) const {
  auto v = claim(claims_json(), name);
  bool b = false;
  if (!v || v->get_bool().get(b) != simdjson::SUCCESS) return std::nullopt;
  return b;
}

std::optional<std::vector<std::string>> verified_token::string_list_claim(
    std::string_view name) const {
  auto v = claim(claims_json(), name);
  if (!v) return std::nullopt;
  std::string_view s;
  if (v->get_string().get(s) == simdjson::SUCCESS) return std::vector<std::string>{std::string(s)};
  simdjson::dom::array list;
  if (v->get_array().get(list) != simdjson::SUCCESS) return std::nullopt;
  std::vector<std::string> out;
  for (auto item : list) {
    if (item.get_string().get(s) != simdjson::SUCCESS) return std::nullopt;
    out.emplace_back(s);
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
