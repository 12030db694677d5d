#pragma once
/// Login throttling for the reference server: failed logins are counted per user name and per
/// client address over a sliding window, in memory, per instance (a restart forgets them; each
/// server process counts its own). Safe to call from several threads at once.
///
/// A login is refused while the user name has `per_user` failures, or the address
/// `per_address` failures, less than `window_seconds` old; it may go ahead again as soon as the
/// oldest of those leaves the window. A successful login clears the user's failures (not the
/// address's, so one good account does not reset an address that is guessing others).
///
/// Memory is bounded: at most `max_tracked_keys` user names and addresses together, each keeping
/// at most its limit of timestamps (failures within one second share one). Keys whose failures
/// all left the window are dropped as new failures come in; when the table is still full, the key
/// that failed least recently is forgotten. The trade-off: an attacker who makes 100000 distinct
/// names or addresses fail within one window can flush a victim's count and earn it a fresh
/// allowance; doing so costs 100000 Argon2 verifications (seconds to minutes of server time, and
/// the per-address limit asks for many addresses), while unbounded memory would let the same
/// flood exhaust the server. Password hashing, not this counter, is what makes guessing slow.
///
/// Example:
///   login_throttle throttle(5, 20, 60);
///   if (auto wait = throttle.retry_after(name, address)) return too_many(*wait);  // 429
///   if (auto who = users.authenticate(name, password)) throttle.record_success(name);
///   else throttle.record_failure(name, address);

#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "jwtfort/clock.hpp"

namespace jwtfort::server {

class login_throttle {
 public:
  /// How many user names and addresses are tracked at most.
  static constexpr std::size_t max_tracked_keys = 100000;
  /// Longer names and addresses are cut to this many bytes; no valid user name or address is so
  /// long, and a key can then not be used to fill memory.
  static constexpr std::size_t max_key_bytes = 256;

  /// `per_user` and `per_address` failures (each at least 1) are allowed per `window_seconds`
  /// (at least 1), e.g. the config's login_attempts_per_user, login_attempts_per_address and
  /// login_window. `clock` gives the time in seconds.
  login_throttle(std::int64_t per_user, std::int64_t per_address, std::int64_t window_seconds,
                 jwtfort::clock clock = system_now);

  /// Seconds to wait (1..window) when either limit is reached, nullopt when the attempt may go
  /// ahead. Example: `if (auto s = t.retry_after("alice", "10.0.0.1")) reply_429(*s);`
  std::optional<std::int64_t> retry_after(std::string_view user, std::string_view address) const;

  /// Counts one failed login against the user name and the address.
  void record_failure(std::string_view user, std::string_view address);

  /// A successful login clears the user's failures (not the address's).
  void record_success(std::string_view user);

  /// How many user names and addresses are tracked now, for tests and metrics.
  std::size_t tracked_keys() const;

 private:
  // Failures of one key: (second, failures in that second), oldest first, at most `limit` in
  // all; `position` is the key's place in `recency_`.
  struct entry {
    std::deque<std::pair<std::int64_t, std::int64_t>> failures;
    std::int64_t total = 0;
    std::list<const std::string*>::iterator position;
  };
  using table = std::unordered_map<std::string, entry>;

  std::int64_t limit_of(const std::string& key) const;
  std::optional<std::int64_t> wait_for(const std::string& key, std::int64_t now) const;
  void add_failure(const std::string& key, std::int64_t now);
  void drop_expired(std::int64_t now);
  void erase(table::iterator it);

  const std::int64_t per_user_;
  const std::int64_t per_address_;
  const std::int64_t window_;
  const jwtfort::clock clock_;
  mutable std::mutex mutex_;  // guards entries_ and recency_
  table entries_;
  // The keys of entries_ (whose nodes do not move), least recently failed first.
  std::list<const std::string*> recency_;
};

}  // namespace jwtfort::server
