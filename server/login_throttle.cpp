// A sliding-window log per key: exact "retry after" times at the cost of up to `limit` timestamps
// per key. Failures in the same second share one timestamp, so a burst costs one slot.
#include "login_throttle.hpp"

#include <algorithm>
#include <iterator>

namespace jwtfort::server {
namespace {

// User names and addresses share one table; the first byte keeps them apart.
std::string user_key(std::string_view user) {
  return 'u' + std::string(user.substr(0, login_throttle::max_key_bytes));
}

std::string address_key(std::string_view address) {
  return 'a' + std::string(address.substr(0, login_throttle::max_key_bytes));
}

}  // namespace

login_throttle::login_throttle(std::int64_t per_user, std::int64_t per_address,
                               std::int64_t window_seconds, jwtfort::clock clock)
    : per_user_(std::max<std::int64_t>(1, per_user)),
      per_address_(std::max<std::int64_t>(1, per_address)),
      window_(std::max<std::int64_t>(1, window_seconds)),
      clock_(std::move(clock)) {}

std::optional<std::int64_t> login_throttle::retry_after(std::string_view user,
                                                        std::string_view address) const {
  const std::int64_t now = clock_();
  std::lock_guard lock(mutex_);
  auto by_user = wait_for(user_key(user), now), by_address = wait_for(address_key(address), now);
  if (!by_user) return by_address;
  if (!by_address) return by_user;
  return std::max(*by_user, *by_address);
}

void login_throttle::record_failure(std::string_view user, std::string_view address) {
  const std::int64_t now = clock_();
  std::lock_guard lock(mutex_);
  drop_expired(now);
  add_failure(user_key(user), now);
  add_failure(address_key(address), now);
}

void login_throttle::record_success(std::string_view user) {
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(user_key(user)); it != entries_.end()) erase(it);
}

std::size_t login_throttle::tracked_keys() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::int64_t login_throttle::limit_of(const std::string& key) const {
  return key.front() == 'u' ? per_user_ : per_address_;
}

// A failure at second t counts while now < t + window. With k failures in the window and a limit
// of n, the attempt waits until the (k - n + 1)-th oldest of them leaves it.
std::optional<std::int64_t> login_throttle::wait_for(const std::string& key,
                                                     std::int64_t now) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  const auto& failures = it->second.failures;
  auto live = std::find_if(failures.begin(), failures.end(),
                           [&](const auto& f) { return f.first + window_ > now; });
  std::int64_t in_window = 0;
  for (auto f = live; f != failures.end(); ++f) in_window += f->second;
  const std::int64_t limit = limit_of(key);
  if (in_window < limit) return std::nullopt;
  std::int64_t to_leave = in_window - limit + 1;
  for (auto f = live; f != failures.end(); ++f) {
    to_leave -= f->second;
    // A clock that stepped back could make the wait longer than the window: cap it there.
    if (to_leave <= 0) return std::clamp<std::int64_t>(f->first + window_ - now, 1, window_);
  }
  return window_;  // not reached: the counts add up to in_window
}

void login_throttle::add_failure(const std::string& key, std::int64_t now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= max_tracked_keys) erase(entries_.find(*recency_.front()));
    it = entries_.emplace(key, entry{}).first;
    it->second.position = recency_.insert(recency_.end(), &it->first);
  } else {
    recency_.splice(recency_.end(), recency_, it->second.position);  // now the most recent
  }
  entry& e = it->second;
  while (!e.failures.empty() && e.failures.front().first + window_ <= now) {
    e.total -= e.failures.front().second;
    e.failures.pop_front();
  }
  // `>=` also folds a failure from a clock that stepped back into the newest second.
  if (!e.failures.empty() && e.failures.back().first >= now)
    ++e.failures.back().second;
  else
    e.failures.emplace_back(now, 1);
  // Only the newest `limit` failures can decide a wait, so older ones need no memory.
  for (++e.total; e.total > limit_of(key); --e.total)
    if (--e.failures.front().second == 0) e.failures.pop_front();
}

// Keys are in order of their last failure, so the expired ones are at the front.
void login_throttle::drop_expired(std::int64_t now) {
  while (!recency_.empty()) {
    auto it = entries_.find(*recency_.front());
    if (it->second.failures.back().first + window_ > now) return;
    erase(it);
  }
}

void login_throttle::erase(table::iterator it) {
  recency_.erase(it->second.position);
  entries_.erase(it);
}

}  // namespace jwtfort::server
