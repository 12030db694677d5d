// JWK import and export on the JSON side (RFC 7517, RFC 7518 §6, RFC 8037 §2, RFC 7638): JSON
// members in, plain fields to the crypto layer; fields from the crypto layer, JSON out.

#include "core/jwk.hpp"

#include <initializer_list>
#include <string>
#include <string_view>

#include "core/base64url.hpp"
#include "crypto/crypto.hpp"
#include "jwtfort/claims.hpp"

namespace jwtfort {
namespace {

using crypto::jwk_fields;

// A base64url member decoded; nullopt when absent.
result<std::optional<std::string>> b64_member(const json::object& o, std::string_view name) {
  auto s = json::string_member(o, name, errc::invalid_key);
  if (!s) return s.error();
  if (!*s) return std::optional<std::string>{};
  auto bytes = base64url::decode(**s);
  if (!bytes)
    return error(errc::invalid_key, "JWK member \"" + std::string(name) + "\" is not base64url");
  return std::optional<std::string>{std::move(*bytes)};
}

result<void> read_b64(const json::object& o, std::string_view name,
                      std::optional<std::string>& slot) {
  auto v = b64_member(o, name);
  if (!v) return v.error();
  slot = std::move(*v);
  return {};
}

// `use` and `key_ops` (RFC 7517 §4.2, §4.3): a signature key only.
result<void> check_usage(const json::object& o) {
  auto use = json::string_member(o, "use", errc::invalid_key);
  if (!use) return use.error();
  if (*use && **use != "sig") return error(errc::invalid_key, "JWK \"use\" is not \"sig\"");
  auto ops = json::find(o, "key_ops");
  if (!ops) return {};
  auto list = ops->as_array();
  if (!list) return error(errc::invalid_key, "JWK \"key_ops\" must be an array");
  for (json::value op : *list) {
    auto s = op.as_string();
    if (!s) return error(errc::invalid_key, "JWK \"key_ops\" must hold strings");
    if (*s == "verify" || *s == "sign") return {};
  }
  return error(errc::invalid_key, "JWK \"key_ops\" allows neither sign nor verify");
}

// RFC 7517 §4.4: the JWK's own "alg" binds the key, and must agree with the caller's.
result<std::optional<algorithm>> read_algorithm(const json::object& o,
                                                std::optional<algorithm> wanted) {
  auto alg_name = json::string_member(o, "alg", errc::invalid_key);
  if (!alg_name) return alg_name.error();
  if (!*alg_name) return wanted;
  auto alg = algorithm_from_string(**alg_name);
  if (!alg)
    return error(errc::unsupported_algorithm, "JWK \"alg\" is not a supported JWS algorithm");
  if (wanted && *wanted != *alg)
    return error(errc::key_algorithm_mismatch, "JWK \"alg\" differs from the requested algorithm");
  return alg;
}

// RFC 7517 §4.7: the first x5c certificate, standard base64 with padding.
result<void> read_x5c(const json::object& o, std::optional<std::string>& slot) {
  auto v = json::find(o, "x5c");
  if (!v) return {};
  auto certs = v->as_array();
  std::optional<std::string_view> first;
  if (certs && certs->size() != 0) first = (*certs->begin()).as_string();
  if (!first) return error(errc::invalid_key, "JWK \"x5c\" must be a non-empty array of strings");
  // Translated to the url alphabet, so one strict decoder serves both.
  std::string url(*first);
  while (!url.empty() && url.back() == '=') url.pop_back();
  for (char& c : url) c = c == '+' ? '-' : c == '/' ? '_' : c;
  auto der = base64url::decode(url);
  if (!der) return error(errc::invalid_key, "JWK \"x5c\" certificate is not base64");
  slot = std::move(*der);
  return {};
}

// The members a key type uses, and only those: a JWK may carry others, unread.
result<void> read_key_members(const json::object& o, jwk_fields& f) {
  auto read_all =
      [&o](std::initializer_list<std::pair<std::string_view, std::optional<std::string>*>> members)
      -> result<void> {
    for (auto [name, slot] : members)
      if (auto r = read_b64(o, name, *slot); !r) return r;
    return {};
  };
  auto read_curve = [&o, &f]() -> result<void> {
    auto crv = json::string_member(o, "crv", errc::invalid_key);
    if (!crv) return crv.error();
    if (*crv) f.crv.emplace(**crv);
    return {};
  };
  if (f.kty == "oct") return read_all({{"k", &f.k}});
  if (f.kty == "RSA") {
    if (auto r = read_all({{"n", &f.n}, {"e", &f.e}}); !r) return r;
    // A private RSA JWK is one with "d"; it must then carry the CRT members too.
    if (json::find(o, "d"))
      if (auto r = read_all(
              {{"d", &f.d}, {"p", &f.p}, {"q", &f.q}, {"dp", &f.dp}, {"dq", &f.dq}, {"qi", &f.qi}});
          !r)
        return r;
  } else if (f.kty == "EC") {
    if (auto r = read_curve(); !r) return r;
    if (auto r = read_all({{"x", &f.x}, {"y", &f.y}, {"d", &f.d}}); !r) return r;
  } else if (f.kty == "OKP") {
    if (auto r = read_curve(); !r) return r;
    if (auto r = read_all({{"x", &f.x}, {"d", &f.d}}); !r) return r;
  } else {
    return {};  // the crypto layer names the unsupported type
  }
  return read_x5c(o, f.x5c);
}

// --- export --------------------------------------------------------------------------------------

struct jwk_writer {
  std::string out = "{";

  void member(std::string_view name, std::string_view text) {
    if (out.size() > 1) out += ',';
    append_json_string(out, name);
    out += ':';
    append_json_string(out, text);
  }
  void bytes(std::string_view name, const std::optional<std::string>& value) {
    if (!value) return;
    std::string encoded = base64url::encode(*value);
    member(name, encoded);
    crypto::cleanse(encoded);
  }
  std::string finish() {
    out += '}';
    return std::move(out);
  }
};

// The public members in RFC 7638 order (lexicographic): the thumbprint's input, and the tail of
// an exported JWK.
void write_public(jwk_writer& w, const jwk_fields& f, bool with_kty) {
  const bool oct = f.kty == "oct";
  if (oct) w.bytes("k", f.k);
  if (f.crv) w.member("crv", *f.crv);
  w.bytes("e", f.e);
  if (with_kty) w.member("kty", f.kty);
  w.bytes("n", f.n);
  w.bytes("x", f.x);
  w.bytes("y", f.y);
}

std::string write_jwk(const key& k, bool with_private) {
  jwk_fields f;
  crypto::export_jwk_fields(k.material(), with_private, f);
  jwk_writer w;
  w.member("kty", f.kty);
  w.member("use", "sig");
  w.member("alg", to_string(k.alg()));
  w.member("kid", k.id().empty() ? k.thumbprint() : k.id());
  write_public(w, f, false);
  if (with_private) {
    w.bytes("d", f.d);
    w.bytes("p", f.p);
    w.bytes("q", f.q);
    w.bytes("dp", f.dp);
    w.bytes("dq", f.dq);
    w.bytes("qi", f.qi);
  }
  return w.finish();
}

}  // namespace

namespace jwk {

result<void> read(const json::object& o, std::optional<algorithm> wanted, jwk_fields& f) {
  auto kty = json::string_member(o, "kty", errc::invalid_key);
  if (!kty) return kty.error();
  if (!*kty) return error(errc::invalid_key, "JWK has no \"kty\"");
  f.kty = **kty;
  if (auto r = check_usage(o); !r) return r.error();
  auto kid = json::string_member(o, "kid", errc::invalid_key);
  if (!kid) return kid.error();
  if (*kid) f.kid = **kid;
  auto alg = read_algorithm(o, wanted);
  if (!alg) return alg.error();
  f.alg = *alg;
  return read_key_members(o, f);
}

result<key> to_key(const json::object& o, std::optional<algorithm> wanted) {
  jwk_fields f;
  if (auto r = read(o, wanted, f); !r) return r.error();
  return crypto::key_from_jwk(f);
}

}  // namespace jwk

namespace {

result<key> parse_jwk(std::string_view jwk_json, std::optional<algorithm> wanted) {
  auto o = json::parse_object(json::slot::scratch, jwk_json, json::document_limits);
  if (!o) return error(o.code(), "JWK: " + o.error().message);
  return jwk::to_key(*o, wanted);
}

}  // namespace

result<key> key::from_jwk(std::string_view jwk_json) { return parse_jwk(jwk_json, std::nullopt); }

result<key> key::from_jwk(std::string_view jwk_json, algorithm alg) {
  return parse_jwk(jwk_json, alg);
}

std::string key::thumbprint() const {
  jwk_fields f;
  crypto::export_jwk_fields(material(), false, f);
  jwk_writer w;
  write_public(w, f, true);
  std::string canonical = w.finish();
  std::string out = base64url::encode(crypto::sha256(canonical));
  crypto::cleanse(canonical);
  return out;
}

result<std::string> key::to_public_jwk() const {
  if (is_symmetric()) return error(errc::invalid_key, "an HMAC secret has no public JWK");
  return write_jwk(*this, false);
}

result<std::string> key::to_private_jwk() const {
  if (!can_sign()) return error(errc::invalid_key, "key has no private part");
  return write_jwk(*this, true);
}

}  // namespace jwtfort
