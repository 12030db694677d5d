// The library's settings: one row per name with its parser, field and default (the defaults are
// the field initializers in config.hpp), the checks of the settings together, and the keys and
// service options they describe. Reading a source is the settings table's (settings.cpp and one
// file per format).
#include "jwtfort/service/config.hpp"

#include <algorithm>
#include <type_traits>

#include "service/settings_sources.hpp"

namespace jwtfort {
namespace {

using detail::folded;
using detail::items_of;
using detail::joined;
using detail::read_text;
using detail::single;
using detail::trim;

// --- converters: one trimmed text -> one value ----------------------------------------------

result<std::string> any_text(const setting&, std::string_view v) { return std::string(v); }

// JWTFORT_JWKS_URL was read and never used: nothing verified with the keys it named. Verifying
// an identity provider's tokens needs its issuer too (trusted_issuers), so the setting is gone,
// and a deployment that still sets it learns what replaced it instead of "unknown setting".
setting replaced(std::string name, std::string_view successor) {
  auto refuse = [successor](const setting& row, const setting_value&) -> result<void> {
    return error(errc::invalid_configuration,
                 row.name() + ": no longer read (it never was used); " + std::string(successor));
  };
  return setting(std::move(name), std::move(refuse));
}

// A converter to an integer in Min..Max.
template <std::int64_t Min, std::int64_t Max>
result<std::int64_t> integer(const setting& row, std::string_view v) {
  return detail::integer(row, v, Min, Max);
}

// A lifetime or max-age beyond this is a typo, and keeps `now + seconds` far from overflowing.
constexpr std::int64_t max_seconds = 100LL * 365 * 86400;

result<std::optional<std::int64_t>> expiry(const setting& row, std::string_view v) {
  const std::string word = folded(v, false);
  if (word == "false") return std::optional<std::int64_t>();
  // As fastapi-jwt-auth ("only accept value False"): `true` names no lifetime at all.
  if (word == "true") return row.invalid("only false (no exp) is accepted as a boolean", v);
  if (v.empty() || v.find_first_not_of("-0123456789") != std::string_view::npos)
    return row.invalid("expected seconds or false", v);
  auto n = integer<1, max_seconds>(row, v);
  if (!n) return n.error();
  return std::optional<std::int64_t>(*n);
}

// An optional setting: an empty value leaves it unset.
template <auto Convert>
auto maybe(const setting& row, std::string_view v)
    -> result<std::optional<std::remove_cvref_t<decltype(*Convert(row, v))>>> {
  using value_type = std::remove_cvref_t<decltype(*Convert(row, v))>;
  if (v.empty()) return std::optional<value_type>();
  auto x = Convert(row, v);
  if (!x) return x.error();
  return std::optional<value_type>(std::move(*x));
}

const std::string locations[] = {"headers", "cookies"};
const std::string samesites[] = {"strict", "lax", "none"};
const std::string methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"};

template <const auto& Allowed, bool Upper = false>
result<std::string> one_of(const setting& row, std::string_view v) {
  return detail::one_of(row, v, Allowed, Upper);
}

result<token_type> token_kind(const setting& row, std::string_view v) {
  const std::string word = folded(v, false);
  if (word == "access") return token_type::access;
  if (word == "refresh") return token_type::refresh;
  return row.invalid("must be one of access, refresh", v);
}

result<algorithm> jws_algorithm(const setting& row, std::string_view v) {
  if (auto alg = algorithm_from_string(v)) return *alg;
  return row.invalid("expected a JWS algorithm name such as HS256, RS256, ES256 or EdDSA", v);
}

// --- lists -----------------------------------------------------------------------------------

// A row taking a list, each item converted; `Required`: an empty list is refused.
template <auto Convert, bool Required, class T>
setting many(std::string name, std::vector<T>& target) {
  auto parse = [&target](const setting& row, const setting_value& v) -> result<void> {
    auto texts = items_of(row, v);
    if (!texts) return texts.error();
    if (Required && texts->empty()) return row.invalid("must not be empty", v.text);
    std::vector<T> out;
    for (const auto& t : *texts) {
      auto x = Convert(row, t);
      if (!x) return x.error();
      out.push_back(std::move(*x));
    }
    target = std::move(out);
    return {};
  };
  return setting(std::move(name), std::move(parse));
}

template <auto Convert, class T>
setting one(std::string name, T& target, bool secret = false) {
  return single(std::move(name), target, Convert, secret);
}

constexpr bool kept_secret = true;  // the value never appears in a message

void add_fastapi_jwt_auth_settings(config& c, settings_table& t) {
  t.add(many<one_of<locations>, true>("AUTHJWT_TOKEN_LOCATION", c.token_location));
  t.add(one<any_text>("AUTHJWT_SECRET_KEY", c.secret_key, kept_secret));
  t.add(one<any_text>("AUTHJWT_PUBLIC_KEY", c.public_key));
  t.add(one<any_text>("AUTHJWT_PRIVATE_KEY", c.private_key, kept_secret));
  t.add(one<jws_algorithm>("AUTHJWT_ALGORITHM", c.alg));
  t.add(many<jws_algorithm, false>("AUTHJWT_DECODE_ALGORITHMS", c.decode_algorithms));
  t.add(setting::integer("AUTHJWT_DECODE_LEEWAY", c.decode_leeway, 0, 300));
  t.add(one<maybe<any_text>>("AUTHJWT_ENCODE_ISSUER", c.encode_issuer));
  t.add(one<maybe<any_text>>("AUTHJWT_DECODE_ISSUER", c.decode_issuer));
  t.add(many<any_text, false>("AUTHJWT_DECODE_AUDIENCE", c.decode_audience));
  t.add(setting::boolean("AUTHJWT_DENYLIST_ENABLED", c.denylist_enabled));
  t.add(many<token_kind, true>("AUTHJWT_DENYLIST_TOKEN_CHECKS", c.denylist_token_checks));
  t.add(setting::text("AUTHJWT_HEADER_NAME", c.header_name));
  t.add(one<any_text>("AUTHJWT_HEADER_TYPE", c.header_type));
  t.add(one<expiry>("AUTHJWT_ACCESS_TOKEN_EXPIRES", c.access_token_expires));
  t.add(one<expiry>("AUTHJWT_REFRESH_TOKEN_EXPIRES", c.refresh_token_expires));
}

void add_cookie_settings(config& c, settings_table& t) {
  t.add(setting::text("AUTHJWT_ACCESS_COOKIE_KEY", c.access_cookie_key));
  t.add(setting::text("AUTHJWT_REFRESH_COOKIE_KEY", c.refresh_cookie_key));
  t.add(setting::text("AUTHJWT_ACCESS_COOKIE_PATH", c.access_cookie_path));
  t.add(setting::text("AUTHJWT_REFRESH_COOKIE_PATH", c.refresh_cookie_path));
  t.add(one<maybe<integer<1, max_seconds>>>("AUTHJWT_COOKIE_MAX_AGE", c.cookie_max_age));
  t.add(one<maybe<any_text>>("AUTHJWT_COOKIE_DOMAIN", c.cookie_domain));
  t.add(setting::boolean("AUTHJWT_COOKIE_SECURE", c.cookie_secure));
  t.add(one<maybe<one_of<samesites>>>("AUTHJWT_COOKIE_SAMESITE", c.cookie_samesite));
  t.add(setting::boolean("AUTHJWT_COOKIE_CSRF_PROTECT", c.cookie_csrf_protect));
  t.add(setting::text("AUTHJWT_ACCESS_CSRF_COOKIE_KEY", c.access_csrf_cookie_key));
  t.add(setting::text("AUTHJWT_REFRESH_CSRF_COOKIE_KEY", c.refresh_csrf_cookie_key));
  t.add(setting::text("AUTHJWT_ACCESS_CSRF_COOKIE_PATH", c.access_csrf_cookie_path));
  t.add(setting::text("AUTHJWT_REFRESH_CSRF_COOKIE_PATH", c.refresh_csrf_cookie_path));
  t.add(setting::text("AUTHJWT_ACCESS_CSRF_HEADER_NAME", c.access_csrf_header_name));
  t.add(setting::text("AUTHJWT_REFRESH_CSRF_HEADER_NAME", c.refresh_csrf_header_name));
  t.add(many<one_of<methods, true>, true>("AUTHJWT_CSRF_METHODS", c.csrf_methods));
}

void add_jwtfort_settings(config& c, settings_table& t) {
  t.add(setting::text("JWTFORT_STORE_URL", c.store_url));
  t.add(setting::boolean("JWTFORT_STORE_FAIL_OPEN", c.store_fail_open));
  t.add(one<any_text>("JWTFORT_SECRET_KEY_FILE", c.secret_key_file));
  t.add(one<any_text>("JWTFORT_PRIVATE_KEY_FILE", c.private_key_file));
  t.add(one<any_text>("JWTFORT_PUBLIC_KEY_FILE", c.public_key_file));
  t.add(one<any_text>("JWTFORT_KEY_RING_FILE", c.key_ring_file));
  t.add(replaced("JWTFORT_JWKS_URL",
                 "an identity provider's tokens are verified by trusted issuers: "
                 "jwtfort-server's JWTFORT_OIDC_ISSUER and JWTFORT_OIDC_JWKS_URL"));
  t.add(one<maybe<any_text>>("JWTFORT_ISSUER", c.issuer));
  t.add(many<any_text, false>("JWTFORT_AUDIENCE", c.audience));
  t.add(one<maybe<integer<0, 300>>>("JWTFORT_LEEWAY", c.leeway));
  t.add(setting::integer("JWTFORT_REFRESH_REUSE_GRACE", c.refresh_reuse_grace, 0, 300));
  t.add(setting::boolean("JWTFORT_ALLOW_WEAK_SECRET", c.allow_weak_secret));
  t.add(setting::text("JWTFORT_DATA_DIR", c.data_dir));
}

error invalid_value(std::string_view name, std::string_view reason, std::string_view value) {
  return setting(std::string(name), nullptr).invalid(reason, value);
}

// --- keys ------------------------------------------------------------------------------------

error named(errc code, std::string_view name, std::string_view reason) {
  return error(code, std::string(name) + ": " + std::string(reason));
}

// Key material given inline or in a file (not both), and the setting it came from.
struct material {
  std::string text;
  std::string_view name;
};

result<material> inline_or_file(std::string_view inline_name, const std::string& inline_text,
                                std::string_view file_name, const std::string& path) {
  if (path.empty()) return material{inline_text, inline_name};
  if (!inline_text.empty())
    return named(errc::invalid_configuration, file_name,
                 "cannot be set together with " + std::string(inline_name));
  auto text = read_text(path);
  if (!text)
    return named(errc::invalid_configuration, file_name,
                 text.error().message + ", got '" + path + "'");
  if (trim(*text).empty())
    return named(errc::invalid_configuration, file_name, "the file is empty, got '" + path + "'");
  return material{std::string(trim(*text)), file_name};
}

result<key_ring> ring_from_secret(const config& c) {
  auto secret = inline_or_file("AUTHJWT_SECRET_KEY", c.secret_key, "JWTFORT_SECRET_KEY_FILE",
                               c.secret_key_file);
  if (!secret) return secret.error();
  const std::string alg(to_string(c.alg));
  if (secret->text.empty())
    return named(errc::invalid_configuration, secret->name,
                 "must be set when AUTHJWT_ALGORITHM is " + alg);
  auto k = c.allow_weak_secret ? key::from_weak_secret_unsafe(secret->text, c.alg)
                               : key::from_secret(secret->text, c.alg);
  if (!k && k.code() == errc::weak_key) {
    const std::string bytes = alg == "HS256" ? "32" : alg == "HS384" ? "48" : "64";
    return named(errc::weak_key, secret->name,
                 "must be at least " + bytes + " bytes for " + alg +
                     " (JWTFORT_ALLOW_WEAK_SECRET=true accepts a weaker one, for migrations)");
  }
  if (!k) return named(k.code(), secret->name, k.error().message);
  return key_ring::from_key(std::move(*k));
}

result<key_ring> ring_from_pem(const config& c) {
  auto pem = inline_or_file("AUTHJWT_PRIVATE_KEY", c.private_key, "JWTFORT_PRIVATE_KEY_FILE",
                            c.private_key_file);
  if (!pem) return pem.error();
  if (pem->text.empty())
    return named(errc::invalid_configuration, pem->name,
                 "must be set when AUTHJWT_ALGORITHM is " + std::string(to_string(c.alg)) +
                     " (or JWTFORT_PRIVATE_KEY_FILE or JWTFORT_KEY_RING_FILE)");
  auto k = key::from_pem(pem->text, c.alg);
  if (!k) return named(k.code(), pem->name, k.error().message);
  auto pub = inline_or_file("AUTHJWT_PUBLIC_KEY", c.public_key, "JWTFORT_PUBLIC_KEY_FILE",
                            c.public_key_file);
  if (!pub) return pub.error();
  if (!pub->text.empty()) {
    auto p = key::from_pem(pub->text, c.alg);
    if (!p) return named(p.code(), pub->name, p.error().message);
    // Tokens signed by one half and checked with an unrelated other would all be refused.
    if (p->thumbprint() != k->thumbprint())
      return named(errc::invalid_key, pub->name,
                   "is not the public half of " + std::string(pem->name));
  }
  auto ring = key_ring::from_key(std::move(*k));
  if (!ring) return named(ring.code(), pem->name, ring.error().message);
  return ring;
}

result<key_ring> ring_from_file(const config& c) {
  auto jwks = inline_or_file({}, {}, "JWTFORT_KEY_RING_FILE", c.key_ring_file);
  if (!jwks) return jwks.error();
  auto ring = key_ring::from_jwks(jwks->text);
  if (!ring) return named(ring.code(), jwks->name, ring.error().message);
  return ring;
}

// Values a program assigned directly never went through a parser: run them through one now.
result<void> recheck(const config& c) {
  config scratch;
  settings_table table;
  scratch.add_settings(table);
  auto again = [&table](std::string_view name, setting_value v) {
    return table.find(name)->parse(v);
  };
  auto seconds = [](std::optional<std::int64_t> n, const char* none) {
    return setting_value{n ? std::to_string(*n) : none, {}};
  };
  for (const auto& ok : {
           again("AUTHJWT_TOKEN_LOCATION", {{}, c.token_location}),
           again("AUTHJWT_CSRF_METHODS", {{}, c.csrf_methods}),
           again("AUTHJWT_COOKIE_SAMESITE", {c.cookie_samesite.value_or(""), {}}),
           again("AUTHJWT_ACCESS_TOKEN_EXPIRES", seconds(c.access_token_expires, "false")),
           again("AUTHJWT_REFRESH_TOKEN_EXPIRES", seconds(c.refresh_token_expires, "false")),
           again("AUTHJWT_COOKIE_MAX_AGE", seconds(c.cookie_max_age, "")),
           again("AUTHJWT_DECODE_LEEWAY", seconds(c.decode_leeway, "")),
           again("JWTFORT_LEEWAY", seconds(c.leeway, "")),
           again("JWTFORT_REFRESH_REUSE_GRACE", seconds(c.refresh_reuse_grace, "")),
       })
    if (!ok) return ok;
  return {};
}

// The signing algorithm must be the active key's, and each accepted one some key's: a key serves
// one algorithm (RFC 8725 §3.1), so HS512 next to an HS256 secret would verify nothing.
result<void> check_algorithms(const config& c, const key_ring& ring) {
  const auto& keys = ring.keys().keys();
  std::string served;
  for (const key& k : keys)
    if (served.find(to_string(k.alg())) == std::string::npos)
      served += (served.empty() ? "" : ", ") + std::string(to_string(k.alg()));
  if (!ring.active().accepts(c.alg))
    return invalid_value("AUTHJWT_ALGORITHM",
                         "must match the active key of JWTFORT_KEY_RING_FILE (" + served + ")",
                         to_string(c.alg));
  for (algorithm a : c.decode_algorithms)
    if (std::none_of(keys.begin(), keys.end(), [a](const key& k) { return k.accepts(a); }))
      return invalid_value("AUTHJWT_DECODE_ALGORITHMS",
                           "must be the algorithm of a configured key (" + served + ")",
                           to_string(a));
  return {};
}

}  // namespace

result<config> config::from_environment() {
  return read_settings<config>([](settings_table& t) { return t.read_environment(); });
}

result<config> config::from_lookup(
    const std::function<std::optional<std::string>(std::string_view)>& lookup) {
  return read_settings<config>([&lookup](settings_table& t) { return t.read_lookup(lookup); });
}

result<config> config::from_file(const std::string& path) {
  return read_settings<config>([&path](settings_table& t) { return t.read_file(path); });
}

// In the order of docs/configuration.md, which is the order a lookup reads them in.
void config::add_settings(settings_table& table) {
  add_fastapi_jwt_auth_settings(*this, table);
  add_cookie_settings(*this, table);
  add_jwtfort_settings(*this, table);
}

result<void> config::validate() const {
  if (auto ok = recheck(*this); !ok) return ok;
  auto ring = make_key_ring();
  if (!ring) return ring.error();
  return check_algorithms(*this, *ring);
}

result<key_ring> config::make_key_ring() const {
  if (!key_ring_file.empty()) return ring_from_file(*this);
  if (family_of(alg) == key_family::hmac) return ring_from_secret(*this);
  return ring_from_pem(*this);
}

token_service_options config::make_service_options() const {
  token_service_options o;
  // Empty lets the service take the active key's algorithm: `alg`, as validate() checks, or its
  // other EdDSA name, which is the one the signer writes.
  o.algorithms = decode_algorithms;
  o.access_lifetime = access_token_expires;
  o.refresh_lifetime = refresh_token_expires;
  o.encode_issuer = encode_issuer ? encode_issuer : issuer;
  o.decode_issuer = decode_issuer ? decode_issuer : issuer;
  o.audiences = decode_audience;
  for (const auto& a : audience)
    if (std::find(o.audiences.begin(), o.audiences.end(), a) == o.audiences.end())
      o.audiences.push_back(a);
  o.leeway_seconds = leeway.value_or(decode_leeway);
  o.csrf_claim = cookie_csrf_protect && std::find(token_location.begin(), token_location.end(),
                                                  "cookies") != token_location.end();
  // fastapi-jwt-auth checks the denylist only when it is enabled.
  o.revocation_checks = denylist_enabled ? denylist_token_checks : std::vector<token_type>{};
  o.reuse_grace_seconds = refresh_reuse_grace;
  return o;
}

std::string config::store_url_or_default() const {
  return store_url.empty() ? "sqlite://" + data_dir + "/tokens.db" : store_url;
}

}  // namespace jwtfort
