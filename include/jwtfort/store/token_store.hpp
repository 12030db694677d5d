#pragma once
/// `token_store`: where revocations and refresh-token families live, shared by every verifier of
/// an application (and, with SQLite or Redis, by every process).
///
/// Three kinds of revocation are kept, each until a time after which it can no longer matter
/// (the tokens it stops would have expired by then):
/// - a token, by its `jti`, until its `exp`;
/// - a subject: every token of that `sub` issued at or before a time ("log out everywhere");
/// - a refresh family: every token descended from one login (the refresh tokens, and the access
///   tokens issued with them).
///
/// `check()` is the per-request path. Every store answers it from an in-process index, so it
/// costs no I/O; the persistent stores keep that index current (SQLite by reading other
/// processes' commits, Redis through pub/sub) and report `store_unavailable` when they cannot
/// vouch for it, so an outage is never read as "not revoked".
///
/// Example:
///   auto store = open_store("sqlite:///var/lib/jwtfort/tokens.db");  // store/open_store.hpp
///   if (!store) return store.error();
///   (*store)->revoke_token(token.jwt_id(), *token.expires_at());
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "jwtfort/clock.hpp"
#include "jwtfort/export.hpp"
#include "jwtfort/result.hpp"

namespace jwtfort {

/// "Keep this record forever": for tokens that carry no `exp`.
inline constexpr std::int64_t keep_forever = std::numeric_limits<std::int64_t>::max();

/// What the revocation check reads from a verified token. Empty views mean "absent".
struct revocation_query {
  std::string_view jwt_id;                ///< `jti`
  std::string_view subject;               ///< `sub`
  std::optional<std::int64_t> issued_at;  ///< `iat`; absent counts as issued before any revocation
  std::string_view family;                ///< `fam` (refresh tokens, access tokens of a pair)
};

/// One presentation of a refresh token for rotation.
struct refresh_use {
  std::string_view jwt_id;         ///< the presented token's `jti`
  std::string_view family;         ///< its family (`fam`, or its own `jti` for a legacy token)
  std::int64_t expires_at = 0;     ///< its `exp`, or `keep_forever`
  std::int64_t now = 0;            ///< the service's clock
  std::int64_t grace_seconds = 0;  ///< a second use this soon after the first is not reuse
  /// How long a family revoked for reuse stays revoked: when the newest token the family can
  /// hold expires (now + the longer of the access and refresh lifetimes), or `keep_forever`.
  std::int64_t family_keep_until = 0;
};

/// How a refresh token presentation was accepted.
enum class refresh_verdict {
  first_use,     ///< the token had never been used: rotate
  within_grace,  ///< a concurrent retry inside the grace window: rotate again
};

/// Record counts, for `jwtfort store stats`.
struct store_stats {
  std::size_t revoked_tokens = 0;
  std::size_t revoked_subjects = 0;
  std::size_t revoked_families = 0;
  std::size_t used_refresh_tokens = 0;
};

class JWTFORT_API token_store {
 public:
  virtual ~token_store();

  /// Revokes the token `jwt_id` until `keep_until` (its `exp`). Returns once the revocation is
  /// durable in the store and visible to this process's `check()`.
  /// Errors: invalid_claim (empty id), store_unavailable.
  virtual result<void> revoke_token(std::string_view jwt_id, std::int64_t keep_until) = 0;

  /// Revokes every token of `subject` whose `iat` is at or before `issued_before`. The record is
  /// kept until `keep_until` (when the longest-lived such token expires). A later call moves the
  /// time forward, never back. Errors: invalid_claim (empty subject), store_unavailable.
  virtual result<void> revoke_subject(std::string_view subject, std::int64_t issued_before,
                                      std::int64_t keep_until) = 0;

  /// Revokes every token of `family` (any token whose `fam` it is) until `keep_until`.
  /// Errors: invalid_claim (empty family), store_unavailable.
  virtual result<void> revoke_family(std::string_view family, std::int64_t keep_until) = 0;

  /// The per-request check. Succeeds when nothing revokes the token.
  /// Errors: revoked; store_unavailable when the store cannot vouch for its answer (unless the
  /// store was opened with `fail_open`).
  virtual result<void> check(const revocation_query& query) const = 0;

  /// Records that a refresh token was presented, atomically across threads and processes:
  /// first use, or a retry within `grace_seconds` of the first use, is accepted; any other
  /// second use revokes the whole family (RFC 9700 §4.14.2) and is reported.
  /// Errors: token_reused, revoked (the family was revoked before), store_unavailable.
  virtual result<refresh_verdict> use_refresh_token(const refresh_use& use) = 0;

  /// Deletes records whose `keep_until` is before `now`. Stores also do this on their own
  /// every `store_options::purge_interval`. Returns how many records were removed.
  /// Errors: store_unavailable.
  virtual result<std::size_t> purge_expired(std::int64_t now) = 0;

  /// Record counts. Errors: store_unavailable.
  virtual result<store_stats> stats() const = 0;
};

/// Options shared by every store.
struct store_options {
  /// Answer `check()` with "not revoked" when the store cannot vouch for its index. Unsafe: a
  /// revocation made elsewhere during an outage is not honoured. Off by default (fail closed).
  bool fail_open = false;
  /// How often expired records are purged in the background; 0 turns the background purge off.
  std::chrono::milliseconds purge_interval{std::chrono::minutes(10)};
  /// SQLite: how often commits made by other processes are read into the index. This is the
  /// staleness bound between processes sharing one database file.
  std::chrono::milliseconds sync_interval{20};
  /// Redis: how long one command (or a connection attempt) may take before the store counts
  /// as unavailable; the subscriber also sends a PING this often to notice a silent peer.
  std::chrono::milliseconds redis_timeout{500};
  /// Redis: prefix of every key and of the pub/sub channel, so applications can share a server.
  std::string redis_prefix = "jwtfort:";
  /// Where "now" comes from for background purges.
  jwtfort::clock clock = system_now;
};

/// A store that lives in this process's memory only.
JWTFORT_API std::unique_ptr<token_store> make_memory_store(store_options options = {});

}  // namespace jwtfort
