#pragma once
/// `token_service`: the token life cycle of an API: access and refresh tokens, fresh tokens for
/// sensitive actions, revocation, and refresh-token rotation with reuse detection.
///
/// Tokens carry the claims fastapi-jwt-auth writes, so tokens flow both ways during a migration:
/// `sub`, `iat`, `nbf`, `jti`, `exp`, `type` ("access" or "refresh"), `fresh` (access), `iss`
/// (access, when configured), `aud` (when asked), `csrf` (when cookie CSRF is on) and `fam`:
/// the refresh family (the login) the token descends from. Every refresh token has one; an
/// access token has one when it was issued with a refresh token (`create_token_pair`, `refresh`),
/// so that revoking the family, on refresh-token reuse or logout, stops its access tokens too.
///
/// Example:
///   token_service_options o;
///   o.store = std::shared_ptr(*open_store("sqlite:///var/lib/jwtfort/tokens.db"));
///   auto service = token_service::create(*key_ring::from_key(*key::generate(algorithm::es256)),
///                                        std::move(o));
///   auto access = service->create_access_token({.subject = "alice", .fresh = true});
///   auto checked = service->require_fresh(*access);     // errc::fresh_token_required if not
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jwtfort/clock.hpp"
#include "jwtfort/export.hpp"
#include "jwtfort/key_ring.hpp"
#include "jwtfort/result.hpp"
#include "jwtfort/signer.hpp"
#include "jwtfort/store/token_store.hpp"
#include "jwtfort/token.hpp"
#include "jwtfort/verifier.hpp"

namespace jwtfort {
enum class token_type { access, refresh };

namespace detail {
template <class Tag, class Value, class ValueBytes>
class basic_verified_cache;
struct verified_token_bytes;
using verified_cache = basic_verified_cache<token_type, verified_token, verified_token_bytes>;
}  // namespace detail

/// "access" or "refresh", the value of the `type` claim.
JWTFORT_API std::string_view to_string(token_type type) noexcept;

struct token_service_options {
  /// Accepted algorithms; empty = the algorithm of the ring's active key.
  std::vector<algorithm> algorithms;
  /// Lifetimes in seconds. `std::nullopt` means tokens of that type carry no `exp` and never
  /// expire: possible, but only by this explicit choice.
  std::optional<std::int64_t> access_lifetime = 15 * 60;
  std::optional<std::int64_t> refresh_lifetime = 30 * 24 * 3600;
  /// `iss` written into access tokens, and the `iss` access tokens must carry (as
  /// fastapi-jwt-auth, refresh tokens neither carry nor check it).
  std::optional<std::string> encode_issuer;
  std::optional<std::string> decode_issuer;
  /// Accepted audiences; a token with an `aud` is refused when this is empty.
  std::vector<std::string> audiences;
  std::int64_t leeway_seconds = 0;
  /// Write a random `csrf` claim, for double-submit cookie protection.
  bool csrf_claim = false;
  /// Where revocations and refresh families live. Without a store the service is stateless:
  /// nothing can be revoked and refresh tokens cannot be rotated.
  std::shared_ptr<token_store> store;
  /// Which token types are checked against the store's revocations. Empty turns revocation
  /// off, and `revoke()` then refuses to run rather than pretend.
  std::vector<token_type> revocation_checks = {token_type::access, token_type::refresh};
  /// A refresh token presented again within this many seconds of its first use is a
  /// concurrent retry (two tabs refreshing at once), not reuse. 0 = no grace.
  std::int64_t reuse_grace_seconds = 0;
  std::size_t max_token_bytes = 8192;
  /// Remembers up to this many verified tokens by their exact text, so that a token sent again
  /// skips the signature check and the JSON parsing (an ES256 verify costs tens of µs). The time
  /// window (`exp`, `nbf`, `iat`, in whole seconds), the token type and revocation are still
  /// checked on every call. A token asked for twice is kept ahead of tokens seen once (segmented
  /// LRU), and an entry leaves when its token expires. 0 = off.
  std::size_t verified_cache_entries = 0;
  /// And at most this many bytes, estimated as the token text plus the remembered token (about
  /// twice the token size, plus some 300 bytes of bookkeeping per entry).
  std::size_t verified_cache_bytes = 16 * 1024 * 1024;
  jwtfort::clock clock = system_now;
};

/// What the verified-token cache has done since the service was created (copies of a service
/// share one cache), to watch its hit rate. All zero when the cache is off.
struct verified_cache_stats {
  std::uint64_t hits = 0;       ///< calls answered from the cache
  std::uint64_t misses = 0;     ///< calls that had to verify the token
  std::uint64_t evictions = 0;  ///< entries dropped to make room
  std::uint64_t expired = 0;    ///< entries dropped because their token expired
  std::uint64_t entries = 0;    ///< entries held now
  std::uint64_t bytes = 0;      ///< estimated bytes held now
};

/// What goes into a new token besides the service's own claims.
struct token_request {
  /// `sub`; required, never empty.
  std::string subject;
  /// `fresh` (access tokens only): true right after a password login.
  bool fresh = false;
  /// Lifetime in seconds; unset = the service default for the type.
  std::optional<std::int64_t> lifetime;
  /// No `exp` at all for this token. Explicit, never a default.
  bool never_expires = false;
  /// `aud`: one value is written as a string, several as an array.
  std::vector<std::string> audience;
  /// More claims, as a JSON object text. A reserved name (sub, iat, nbf, jti, exp, type, fresh,
  /// iss, aud, csrf, fam) is refused instead of silently overriding the service's value.
  std::string extra_claims_json;
  /// Header members beyond alg and kid.
  header_options header;
};

struct token_pair {
  std::string access_token;
  std::string refresh_token;
};

class JWTFORT_API token_service {
 public:
  /// Errors: invalid_configuration (lifetimes <= 0, leeway out of range, algorithms the ring
  /// cannot verify).
  static result<token_service> create(key_ring keys, token_service_options options);

  /// Errors: invalid_claim (empty subject, reserved or ill-formed extra claims, bad lifetime),
  /// invalid_header, internal_error.
  result<std::string> create_access_token(const token_request& request) const;
  /// As `create_access_token`; the token starts a new refresh family. `fresh` is ignored.
  result<std::string> create_refresh_token(const token_request& request) const;
  /// A login: an access token (`fresh` as asked) and a refresh token that start a new family
  /// together, named after the refresh token's `jti`, so that the family's revocation reaches
  /// the access token as well. Errors: those of `create_access_token`.
  result<token_pair> create_token_pair(const token_request& request) const;

  /// An access token. Errors: the verifier's; wrong_token_type (a refresh token); missing_claim;
  /// invalid_issuer; revoked (the token, its subject or its family); store_unavailable.
  result<verified_token> require_access(std::string_view token) const;
  /// No token (empty) is anonymous (nullopt); a token that is there must be a valid access token.
  result<std::optional<verified_token>> optional_access(std::string_view token) const;
  /// An access token with `fresh: true`. Errors: those of `require_access`,
  /// fresh_token_required.
  result<verified_token> require_fresh(std::string_view token) const;
  /// A refresh token. Errors: the verifier's; wrong_token_type (an access token);
  /// missing_claim; revoked (the token or its family); store_unavailable.
  result<verified_token> require_refresh(std::string_view token) const;
  /// For a connection that outlives the request it was opened with: checks again that an access
  /// token `require_access` accepted earlier is still inside its validity window and not
  /// revoked. Costs no I/O (the store's in-process check).
  /// Errors: expired; revoked; store_unavailable.
  result<void> recheck_access(const verified_token& token) const;

  /// Rotation: spends the refresh token and returns a new access token (not fresh) and a new
  /// refresh token, both of the same family, with the same subject, audience and extra claims.
  /// Presenting a spent refresh token again (outside the grace window) revokes its family: its
  /// refresh tokens and the access tokens issued with them.
  /// Errors: those of `require_refresh`, token_reused, invalid_configuration (no store).
  result<token_pair> refresh(std::string_view refresh_token) const;

  /// Revokes one token until its `exp`; a refresh token takes its whole family with it (the
  /// family's access tokens included). An access token goes alone.
  /// Errors: invalid_configuration (no store, revocation checks off), store_unavailable.
  result<void> revoke(const verified_token& token) const;
  /// Revokes every token of `subject` issued up to now ("log out everywhere").
  /// Errors: invalid_configuration, invalid_claim (empty subject), store_unavailable.
  result<void> revoke_subject(std::string_view subject) const;

  /// The verified-token cache's counters (`verified_cache_entries`).
  verified_cache_stats cache_stats() const;

  const key_ring& keys() const noexcept { return keys_; }
  const token_service_options& options() const noexcept { return options_; }

 private:
  token_service(key_ring keys, token_service_options options, jwtfort::verifier v,
                jwtfort::signer s);
  // `family`: the `fam` to write (empty: none on an access token, a new one on a refresh token);
  // `jwt_id`: the `jti` (empty: a new random one).
  result<std::string> create(token_type type, const token_request& request, std::string_view family,
                             std::string_view jwt_id = {}) const;
  result<verified_token> require(std::string_view token, token_type type) const;
  result<verified_token> verify_as(std::string_view token, token_type type) const;
  result<void> check_time_window(const verified_token& token, std::int64_t now) const;
  std::optional<std::int64_t> cache_until(const verified_token& token) const;
  result<void> check_revocation(const verified_token& token, token_type type) const;
  result<void> require_revocation_store() const;
  std::optional<std::int64_t> lifetime_of(token_type type) const;
  std::int64_t keep_until(std::optional<std::int64_t> lifetime) const;
  std::int64_t keep_until_expiry(const verified_token& token) const;
  std::int64_t family_keep_until() const;

  key_ring keys_;
  token_service_options options_;
  jwtfort::verifier verifier_;
  jwtfort::signer signer_;
  std::shared_ptr<detail::verified_cache> cache_;  // shared by copies of the service
};

}  // namespace jwtfort
