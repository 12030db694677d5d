// src/service: component `service`: the token life cycle (this file, the verified-token cache),
// the settings table and the library's configuration (settings*.cpp, one loader per file format),
// and remote JWKS (the only libcurl). It may use core and the store interface, never a store
// driver; http, the server, the CLI and Python build on it.

#include "jwtfort/service/token_service.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include "service/verified_cache.hpp"

namespace jwtfort {
namespace {

// Claims the service writes itself; extra claims may not carry them (fastapi-jwt-auth merges
// user claims last, so `{"type": "refresh"}` there silently turns an access token into a
// refresh token).
constexpr std::array<std::string_view, 11> reserved_claims = {
    "sub", "iat", "nbf", "jti", "exp", "type", "fresh", "iss", "aud", "csrf", "fam"};

bool is_reserved(std::string_view name) {
  for (auto r : reserved_claims)
    if (r == name) return true;
  return false;
}

// The lifetime of the longest-lived token a service issues: nullopt when some never expire.
std::optional<std::int64_t> longest_lifetime(const token_service_options& o) {
  if (!o.access_lifetime || !o.refresh_lifetime) return std::nullopt;
  return std::max(*o.access_lifetime, *o.refresh_lifetime);
}

result<void> check_lifetime(std::optional<std::int64_t> seconds, std::string_view what) {
  if (seconds && *seconds <= 0)
    return error(errc::invalid_configuration, std::string(what) + " must be > 0 seconds");
  return {};
}

}  // namespace

std::string_view to_string(token_type type) noexcept {
  return type == token_type::access ? "access" : "refresh";
}

result<token_service> token_service::create(key_ring keys, token_service_options options) {
  if (auto ok = check_lifetime(options.access_lifetime, "access token lifetime"); !ok)
    return ok.error();
  if (auto ok = check_lifetime(options.refresh_lifetime, "refresh token lifetime"); !ok)
    return ok.error();
  if (options.reuse_grace_seconds < 0 || options.reuse_grace_seconds > 300)
    return error(errc::invalid_configuration, "refresh reuse grace must be 0..300 seconds");
  verifier_options v;
  v.algorithms = options.algorithms;
  if (v.algorithms.empty()) v.algorithms = {keys.active().alg()};
  v.keys = keys.keys();
  v.audiences = options.audiences;
  v.leeway_seconds = options.leeway_seconds;
  v.max_token_bytes = options.max_token_bytes;
  v.clock = options.clock;
  // `exp` is checked per token type below, since each type may be configured not to expire.
  v.required_claims = {"sub", "jti", "iat", "type"};
  auto verifier = verifier::create(std::move(v));
  if (!verifier) return verifier.error();
  auto signer = signer::create(keys.active());
  if (!signer) return signer.error();
  return token_service(std::move(keys), std::move(options), std::move(*verifier),
                       std::move(*signer));
}

token_service::token_service(key_ring keys, token_service_options options, jwtfort::verifier v,
                             jwtfort::signer s)
    : keys_(std::move(keys)),
      options_(std::move(options)),
      verifier_(std::move(v)),
      signer_(std::move(s)) {
  if (options_.verified_cache_entries > 0 && options_.verified_cache_bytes > 0)
    cache_ = std::make_shared<detail::verified_cache>(options_.verified_cache_entries,
                                                      options_.verified_cache_bytes);
}

verified_cache_stats token_service::cache_stats() const {
  return cache_ ? cache_->stats() : verified_cache_stats{};
}

result<std::string> token_service::create(token_type type, const token_request& request,
                                          std::string_view family, std::string_view jwt_id) const {
  if (request.subject.empty()) return error(errc::invalid_claim, "the subject is empty");
  if (request.lifetime && *request.lifetime <= 0)
    return error(errc::invalid_claim, "the token lifetime must be > 0 seconds");
  claims c;
  if (!request.extra_claims_json.empty()) {
    auto extra = claims::from_json(request.extra_claims_json);
    if (!extra) return error(errc::invalid_claim, "extra claims: " + extra.error().message);
    for (const auto& [name, value] : extra->members())
      if (is_reserved(name))
        return error(errc::invalid_claim, "extra claim \"" + name +
                                              "\" is reserved: it would "
                                              "override the service's own value");
    c = std::move(*extra);
  }
  auto jti = jwt_id.empty() ? random_uuid() : result<std::string>(std::string(jwt_id));
  if (!jti) return jti.error();
  const std::int64_t now = options_.clock();
  c.subject(request.subject).issued_at(now).not_before(now).jwt_id(*jti);
  auto lifetime = request.lifetime ? request.lifetime : lifetime_of(type);
  if (lifetime && !request.never_expires) c.expires_at(now + *lifetime);
  c.set("type", to_string(type));
  if (type == token_type::access) {
    c.set("fresh", request.fresh);
    if (options_.encode_issuer) c.issuer(*options_.encode_issuer);
    // An access token issued with a refresh token dies with its family.
    if (!family.empty()) c.set("fam", family);
  } else {
    // A refresh token alone starts a family named after itself.
    c.set("fam", family.empty() ? std::string_view(*jti) : family);
  }
  if (request.audience.size() == 1) c.audience(request.audience.front());
  if (request.audience.size() > 1) c.audience(request.audience);
  if (options_.csrf_claim) {
    auto csrf = random_uuid();
    if (!csrf) return csrf.error();
    c.set("csrf", *csrf);
  }
  return signer_.sign(c, request.header);
}

result<std::string> token_service::create_access_token(const token_request& request) const {
  return create(token_type::access, request, {});
}

result<std::string> token_service::create_refresh_token(const token_request& request) const {
  return create(token_type::refresh, request, {});
}

// The family is named after its refresh token, as one started by `create_refresh_token` is.
result<token_pair> token_service::create_token_pair(const token_request& request) const {
  auto family = random_uuid();
  if (!family) return family.error();
  auto access = create(token_type::access, request, *family);
  if (!access) return access.error();
  auto refresh = create(token_type::refresh, request, *family, *family);
  if (!refresh) return refresh.error();
  return token_pair{std::move(*access), std::move(*refresh)};
}

result<verified_token> token_service::require(std::string_view token, token_type type) const {
  const std::int64_t now = options_.clock();
  std::optional<verified_token> t;
  if (cache_) t = cache_->find(token, type, now);
  if (t) {
    if (auto ok = check_time_window(*t, now); !ok) return ok.error();
  } else {
    auto fresh = verify_as(token, type);
    if (!fresh) return fresh.error();
    if (cache_) cache_->insert(token, type, *fresh, cache_until(*fresh), now);
    t = std::move(*fresh);
  }
  if (auto ok = check_revocation(*t, type); !ok) return ok.error();
  return std::move(*t);
}

// What a cached token does not need again: the verifier, the type, and the claims the service
// requires. None of it depends on anything but the token's bytes and the service's options.
result<verified_token> token_service::verify_as(std::string_view token, token_type type) const {
  auto t = verifier_.verify(token);
  if (!t) return t.error();
  auto actual = t->string_claim("type");
  if (!actual || *actual != to_string(type))
    return error(errc::wrong_token_type, type == token_type::access
                                             ? "only access tokens are allowed"
                                             : "only refresh tokens are allowed");
  if (lifetime_of(type) && !t->expires_at())
    return error(errc::missing_claim, "the token has no exp");
  if (type == token_type::access && options_.decode_issuer) {
    if (!t->has_claim("iss")) return error(errc::missing_claim, "the token has no iss");
    if (t->issuer() != *options_.decode_issuer) return errc::invalid_issuer;
  }
  return t;
}

result<void> token_service::check_time_window(const verified_token& token, std::int64_t now) const {
  return detail::check_time_window(token, now, options_.leeway_seconds);
}

std::optional<std::int64_t> token_service::cache_until(const verified_token& token) const {
  return detail::cache_until(token, options_.leeway_seconds);
}

result<void> token_service::check_revocation(const verified_token& token, token_type type) const {
  if (!options_.store) return {};
  bool checked = false;
  for (auto t : options_.revocation_checks) checked |= t == type;
  if (!checked) return {};
  // Both types: an access token issued with a refresh token carries its family too.
  const std::optional<std::string> family = token.string_claim("fam");
  return options_.store->check({.jwt_id = token.jwt_id(),
                                .subject = token.subject(),
                                .issued_at = token.issued_at(),
                                .family = family ? std::string_view(*family) : std::string_view{}});
}

result<verified_token> token_service::require_access(std::string_view token) const {
  return require(token, token_type::access);
}

result<std::optional<verified_token>> token_service::optional_access(std::string_view token) const {
  if (token.empty()) return std::optional<verified_token>{};
  auto t = require(token, token_type::access);
  if (!t) return t.error();
  return std::optional<verified_token>(std::move(*t));
}

result<verified_token> token_service::require_fresh(std::string_view token) const {
  auto t = require(token, token_type::access);
  if (!t) return t.error();
  if (t->bool_claim("fresh") != true) return errc::fresh_token_required;
  return t;
}

result<verified_token> token_service::require_refresh(std::string_view token) const {
  return require(token, token_type::refresh);
}

result<void> token_service::recheck_access(const verified_token& token) const {
  if (auto ok = check_time_window(token, options_.clock()); !ok) return ok;
  return check_revocation(token, token_type::access);
}

std::optional<std::int64_t> token_service::lifetime_of(token_type type) const {
  return type == token_type::access ? options_.access_lifetime : options_.refresh_lifetime;
}

std::int64_t token_service::keep_until(std::optional<std::int64_t> lifetime) const {
  return lifetime ? options_.clock() + *lifetime + options_.leeway_seconds : keep_forever;
}

// A revoked family must outlast every token it may hold, access tokens included.
std::int64_t token_service::family_keep_until() const {
  return keep_until(longest_lifetime(options_));
}

// A record about `token` can go once the verifier would refuse the token anyway.
std::int64_t token_service::keep_until_expiry(const verified_token& token) const {
  return token.expires_at() ? *token.expires_at() + options_.leeway_seconds : keep_forever;
}

result<token_pair> token_service::refresh(std::string_view refresh_token) const {
  if (!options_.store)
    return error(errc::invalid_configuration, "refresh rotation needs a token store");
  auto old = require(refresh_token, token_type::refresh);
  if (!old) return old.error();
  // A refresh token from before rotation existed (fastapi-jwt-auth) starts its own family.
  auto family = old->string_claim("fam").value_or(std::string(old->jwt_id()));
  auto used = options_.store->use_refresh_token({.jwt_id = old->jwt_id(),
                                                 .family = family,
                                                 .expires_at = keep_until_expiry(*old),
                                                 .now = options_.clock(),
                                                 .grace_seconds = options_.reuse_grace_seconds,
                                                 .family_keep_until = family_keep_until()});
  if (!used) return used.error();

  // The new pair keeps what the login put in: audience and the application's own claims.
  token_request next{.subject = std::string(old->subject())};
  next.audience = old->string_list_claim("aud").value_or(std::vector<std::string>{});
  auto carried = claims::from_json(old->claims_json());
  if (!carried) return carried.error();
  for (auto r : reserved_claims) carried->erase(r);
  next.extra_claims_json = carried->to_json();
  auto access = create(token_type::access, next, family);
  if (!access) return access.error();
  auto refreshed = create(token_type::refresh, next, family);
  if (!refreshed) return refreshed.error();
  return token_pair{std::move(*access), std::move(*refreshed)};
}

result<void> token_service::require_revocation_store() const {
  if (!options_.store) return error(errc::invalid_configuration, "revocation needs a token store");
  if (options_.revocation_checks.empty())
    return error(errc::invalid_configuration,
                 "revocation checks are off, so a revocation would have no effect");
  return {};
}

result<void> token_service::revoke(const verified_token& token) const {
  if (auto ok = require_revocation_store(); !ok) return ok;
  if (auto ok = options_.store->revoke_token(token.jwt_id(), keep_until_expiry(token)); !ok)
    return ok;
  if (token.string_claim("type") != "refresh") return {};
  auto family = token.string_claim("fam").value_or(std::string(token.jwt_id()));
  return options_.store->revoke_family(family, family_keep_until());
}

result<void> token_service::revoke_subject(std::string_view subject) const {
  if (auto ok = require_revocation_store(); !ok) return ok;
  return options_.store->revoke_subject(subject, options_.clock(),
                                        keep_until(longest_lifetime(options_)));
}

}  // namespace jwtfort
