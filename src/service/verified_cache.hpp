#pragma once
// A bounded memory of tokens that passed verification, by their exact text, so that a client
// sending the same token on every request pays for the signature check and the JSON parsing
// once (as Envoy's jwt_authn cache does). Only what depends on the token's bytes alone is
// remembered: the signature, the header, the claims' types, the token type and issuer. The
// caller still checks the time window and revocation on every hit.
//
// Eviction is a segmented LRU, per shard: a new token enters a probation list and moves to a
// protected list when it is asked for again. Clients send the same token on every request, so
// the working set lives in the protected list, while tokens seen once (logins, refreshes, a
// flood of distinct tokens) churn through probation and leave without pushing it out. No
// library in reach does this with a byte bound and an expiry, and it is a hundred lines.
//
// Bounded in entries and in estimated bytes (a token may be 8 KiB). An entry leaves when its
// token expires: a lookup drops an expired entry, and an insert first sweeps its shard of expired
// entries, at most once per clock second, so a full shard never evicts a live token while an
// expired one stays. Time is the caller's `now` (the service clock, in seconds).
//
// Sharded: each shard is a mutex, its lists and an index, so threads rarely wait on each other.
//
// What an entry holds is a parameter: the token service remembers a verified_token under its
// token_type, the trusted issuers an issuer_identity under the generation of the key set that
// verified it. A lookup answers only when the entry's tag equals the one asked for.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "jwtfort/error.hpp"
#include "jwtfort/result.hpp"
#include "jwtfort/service/token_service.hpp"
#include "jwtfort/token.hpp"

namespace jwtfort::detail {

// The time window a remembered token must still be in (RFC 7519 §4.1.4-4.1.6, with leeway), as
// the verifier checks it but on the whole seconds the verified token keeps. A fractional `exp`
// still ends where the verifier ends it: the entry leaves at `cache_until`, and the token is
// verified afresh in its last second.
inline result<void> check_time_window(const verified_token& token, std::int64_t now,
                                      std::int64_t leeway) {
  if (token.expires_at() && now >= *token.expires_at() + leeway)
    return error(errc::expired, "token has expired");
  if (token.not_before() && now + leeway < *token.not_before())
    return error(errc::not_yet_valid, "token is not valid yet");
  if (token.issued_at() && *token.issued_at() > now + leeway)
    return error(errc::issued_in_future, "token was issued in the future");
  return {};
}

// The first second `check_time_window` refuses the token for its `exp`: from then on an entry
// is dead weight. None for a token without `exp`.
inline std::optional<std::int64_t> cache_until(const verified_token& token, std::int64_t leeway) {
  const auto exp = token.expires_at();
  if (!exp) return std::nullopt;
  if (*exp > std::numeric_limits<std::int64_t>::max() - leeway) return std::nullopt;
  return *exp + leeway;
}

// The remembered token's one buffer (the decoded header and claims, about three quarters of the
// text) and its copies of kid, sub, iss and jti.
struct verified_token_bytes {
  std::size_t operator()(const verified_token& v) const noexcept {
    return v.header_json().size() + v.claims_json().size() + v.key_id().size() +
           v.subject().size() + v.issuer().size() + v.jwt_id().size();
  }
};

/// `Value` is what a hit returns, `Tag` what it must have been stored under, `ValueBytes` a
/// stateless callable estimating the heap bytes of a Value.
template <class Tag, class Value, class ValueBytes>
class basic_verified_cache {
 public:
  /// At most `max_entries` entries and `max_bytes` estimated bytes in all.
  basic_verified_cache(std::size_t max_entries, std::size_t max_bytes)
      : shard_count_(shards_for(max_entries, max_bytes)),
        shards_(std::make_unique<shard[]>(shard_count_)) {
    for (std::size_t i = 0; i < shard_count_; ++i) {
      shards_[i].max_entries = share(max_entries, i);
      shards_[i].max_bytes = share(max_bytes, i);
    }
  }

  /// A copy of the remembered value when `token` verified before under `tag` and has not expired
  /// at `now`. An expired entry is dropped.
  std::optional<Value> find(std::string_view token, const Tag& tag, std::int64_t now) {
    shard& s = shard_of(token);
    std::lock_guard lock(s.mutex);
    auto it = s.index.find(token);
    if (it == s.index.end()) {
      ++s.misses;
      return std::nullopt;
    }
    const node_iterator n = it->second;
    if (n->has_expired(now)) {
      s.remove(n);
      ++s.expired;
      ++s.misses;
      return std::nullopt;
    }
    if (n->tag != tag) {
      ++s.misses;
      return std::nullopt;
    }
    ++s.hits;
    s.promote(n);
    return n->verified;
  }

  /// Remembers `verified` under `tag` until `expires_at` (the first second the caller would refuse
  /// it; none = until evicted). A token already expired at `now`, or too large for a shard, is not
  /// kept.
  void insert(std::string_view token, const Tag& tag, const Value& verified,
              std::optional<std::int64_t> expires_at, std::int64_t now) {
    if (expires_at && *expires_at <= now) return;
    const std::size_t bytes = estimated_bytes(token, verified);
    shard& s = shard_of(token);
    std::lock_guard lock(s.mutex);
    if (s.max_entries == 0 || bytes > s.max_bytes) return;
    if (auto it = s.index.find(token); it != s.index.end()) s.remove(it->second);
    s.sweep(now);
    while (s.entries() + 1 > s.max_entries || s.bytes + bytes > s.max_bytes) {
      s.remove(s.probation.empty() ? std::prev(s.protected_.end()) : std::prev(s.probation.end()));
      ++s.evictions;
    }
    s.probation.push_front(node{std::string(token), tag, verified, expires_at, bytes, false});
    s.index.emplace(s.probation.front().token, s.probation.begin());
    s.bytes += bytes;
  }

  verified_cache_stats stats() const {
    verified_cache_stats out;
    for (std::size_t i = 0; i < shard_count_; ++i) {
      const shard& s = shards_[i];
      std::lock_guard lock(s.mutex);
      out.hits += s.hits;
      out.misses += s.misses;
      out.evictions += s.evictions;
      out.expired += s.expired;
      out.entries += s.entries();
      out.bytes += s.bytes;
    }
    return out;
  }

 private:
  static constexpr std::size_t max_shards = 16;
  // A shard holds at least this much, so a small cache stays one LRU rather than sixteen tiny
  // ones, and the largest token (8 KiB of text, about twice that remembered) fits a shard.
  static constexpr std::size_t min_shard_entries = 64;
  static constexpr std::size_t min_shard_bytes = 256 * 1024;
  // Percent of a shard's entries and bytes the protected list may take; the rest is probation,
  // where a new token must be asked for again before it is evicted.
  static constexpr std::size_t protected_percent = 80;

  struct node {
    std::string token;
    Tag tag;
    Value verified;
    std::optional<std::int64_t> expires_at;
    std::size_t bytes;
    bool is_protected;

    bool has_expired(std::int64_t now) const { return expires_at && *expires_at <= now; }
  };
  using node_list = std::list<node>;
  using node_iterator = node_list::iterator;

  // Transparent, so that a lookup by string_view builds no std::string. Not noexcept on
  // purpose: libstdc++ then keeps each key's hash in its index node (as it does for
  // std::hash<std::string>), so a lookup walking a bucket compares stored hashes instead of
  // hashing, and comparing, the token text of every entry it passes, cold memory once the cache
  // is larger than the CPU's caches. libc++ keeps the hash whatever the functor says.
  struct hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  struct shard {
    mutable std::mutex mutex;
    node_list probation, protected_;  // most recently used first
    // Keys view the nodes' own token text, which list nodes never move.
    std::unordered_map<std::string_view, node_iterator, hash, std::equal_to<>> index;
    std::size_t max_entries = 0, max_bytes = 0;
    std::size_t bytes = 0, protected_bytes = 0;
    std::int64_t swept_at = std::numeric_limits<std::int64_t>::min();
    std::uint64_t hits = 0, misses = 0, evictions = 0, expired = 0;

    std::size_t entries() const noexcept { return probation.size() + protected_.size(); }

    void remove(node_iterator n) {
      index.erase(std::string_view(n->token));
      bytes -= n->bytes;
      if (n->is_protected) {
        protected_bytes -= n->bytes;
        protected_.erase(n);
      } else {
        probation.erase(n);
      }
    }

    // A second use: to the front of the protected list, whose least recent entries go back to
    // probation once it is over its share.
    void promote(node_iterator n) {
      if (n->is_protected) {
        protected_.splice(protected_.begin(), protected_, n);
        return;
      }
      protected_.splice(protected_.begin(), probation, n);
      n->is_protected = true;
      protected_bytes += n->bytes;
      while (!protected_.empty() && (protected_.size() * 100 > max_entries * protected_percent ||
                                     protected_bytes * 100 > max_bytes * protected_percent)) {
        const node_iterator last = std::prev(protected_.end());
        last->is_protected = false;
        protected_bytes -= last->bytes;
        probation.splice(probation.begin(), protected_, last);
      }
    }

    // Once per clock second: no entry is inserted already expired, so after a sweep at `now`
    // nothing in the shard expires before `now + 1`.
    void sweep(std::int64_t now) {
      if (now <= swept_at) return;
      swept_at = now;
      for (node_list* list : {&probation, &protected_}) {
        for (auto n = list->begin(); n != list->end();) {
          const node_iterator next = std::next(n);
          if (n->has_expired(now)) {
            remove(n);
            ++expired;
          }
          n = next;
        }
      }
    }
  };

  static std::size_t shards_for(std::size_t max_entries, std::size_t max_bytes) {
    return std::clamp<std::size_t>(
        std::min(max_entries / min_shard_entries, max_bytes / min_shard_bytes), 1, max_shards);
  }

  // Shard i's part of `total`; the parts add up to exactly `total`.
  std::size_t share(std::size_t total, std::size_t i) const noexcept {
    return total / shard_count_ + (i < total % shard_count_ ? 1 : 0);
  }

  shard& shard_of(std::string_view token) const noexcept {
    const std::size_t h = hash{}(token);
    // The high bits: the index's buckets are chosen by the low ones.
    return shards_[((h >> 32) ^ (h >> 16)) % shard_count_];
  }

  // The key text, the value's heap bytes, and the fixed parts: the node with its list links,
  // the index entry with its bucket.
  static std::size_t estimated_bytes(std::string_view token, const Value& v) {
    constexpr std::size_t fixed = sizeof(node) + 2 * sizeof(void*) +
                                  sizeof(std::pair<const std::string_view, node_iterator>) +
                                  4 * sizeof(void*);
    return fixed + token.size() + ValueBytes{}(v);
  }

  std::size_t shard_count_;
  std::unique_ptr<shard[]> shards_;
};

/// The token service's: verified tokens under their token type.
using verified_cache = basic_verified_cache<token_type, verified_token, verified_token_bytes>;

}  // namespace jwtfort::detail
