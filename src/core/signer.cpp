#include "jwtfort/signer.hpp"

#include "core/base64url.hpp"
#include "core/json.hpp"
#include "crypto/crypto.hpp"

namespace jwtfort {
namespace {

// Members a caller may not put in the header through `extra_json`: the signer owns alg, kid and
// typ, and the rest are ones jwtfort's own verifier refuses.
constexpr std::string_view reserved_header_members[] = {"alg", "kid", "typ",  "jwk", "jku", "x5u",
                                                        "x5c", "zip", "crit", "b64", "enc"};

result<std::string> build_header(const key& k, const header_options& options) {
  std::string out = "{\"alg\":";
  append_json_string(out, to_string(k.alg()));
  if (!k.id().empty()) {
    out += ",\"kid\":";
    append_json_string(out, k.id());
  }
  if (!options.type.empty()) {
    out += ",\"typ\":";
    append_json_string(out, options.type);
  }
  if (!options.extra_json.empty()) {
    auto extra = json::parse_object(json::slot::scratch, options.extra_json, json::header_limits);
    if (!extra) return error(errc::invalid_header, "extra header: " + extra.error().message);
    for (auto field : *extra) {
      for (std::string_view reserved : reserved_header_members)
        if (field.name == reserved)
          return error(errc::invalid_header,
                       "extra header may not set \"" + std::string(reserved) + "\"");
      out += ',';
      append_json_string(out, field.name);
      out += ':';
      out += json::to_text(field.value);
    }
  }
  out += '}';
  return out;
}

}  // namespace

result<signer> signer::create(key k) {
  if (!k.can_sign()) return error(errc::invalid_key, "a public key cannot sign");
  return signer(std::move(k));
}

result<std::string> signer::sign(const claims& c, const header_options& header) const {
  return sign_json(c.to_json(), header);
}

result<std::string> signer::sign_json(std::string_view claims_json,
                                      const header_options& header) const {
  // The payload must be one the verifier accepts: strict JSON, an object, no duplicates.
  auto parsed = json::parse_object(json::slot::scratch, claims_json, json::claims_limits);
  if (!parsed) return error(parsed.code(), "claims: " + parsed.error().message);
  auto header_json = build_header(key_, header);
  if (!header_json) return header_json.error();

  std::string token;
  token.reserve(base64url::encoded_size(header_json->size() + claims_json.size()) + 700);
  base64url::append_encoded(token, *header_json);
  token += '.';
  base64url::append_encoded(token, claims_json);
  auto sig = crypto::sign(key_.material(), key_.alg(), token);
  if (!sig) return sig.error();
  token += '.';
  base64url::append_encoded(token, *sig);
  return token;
}

}  // namespace jwtfort
