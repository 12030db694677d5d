#pragma once
// The in-process index every store answers `check()` from. Persistent stores feed it from their
// own writes, from other processes' writes (SQLite polling, Redis pub/sub) and from full re-reads.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "jwtfort/store/token_store.hpp"

namespace jwtfort::store_detail {

enum class revocation_kind : char { token = 't', subject = 's', family = 'f' };

// One revocation record, as stored, published and indexed.
struct revocation {
  revocation_kind kind = revocation_kind::token;
  std::string name;                // jti, sub or family id
  std::int64_t issued_before = 0;  // subjects only
  std::int64_t keep_until = 0;

  friend bool operator==(const revocation&, const revocation&) = default;
};

// Checks that a revocation names something; the stores' shared argument check.
result<void> validate(const revocation& r);

class revocation_index {
 public:
  // Adds or merges a record. Merging keeps the later `issued_before` and `keep_until`, so records
  // arriving twice or out of order (a write echoed by pub/sub, a resync racing an event) agree.
  void apply(const revocation& r);
  // Replaces everything with `records`, e.g. after a full re-read of the store.
  void replace_all(const std::vector<revocation>& records);
  bool is_revoked(const revocation_query& q) const;
  // Removes records whose keep_until is before `now`; returns how many.
  std::size_t purge(std::int64_t now);
  std::vector<revocation> snapshot() const;
  store_stats counts() const;

 private:
  struct entry {
    std::int64_t issued_before;
    std::int64_t keep_until;
  };
  struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  using table = std::unordered_map<std::string, entry, text_hash, std::equal_to<>>;

  table& table_for(revocation_kind kind);
  void merge(const revocation& r);

  mutable std::shared_mutex mutex_;
  // Lets `is_revoked` skip the lock while nothing is revoked, the common state.
  std::atomic<std::size_t> size_{0};
  table tokens_, subjects_, families_;
};

}  // namespace jwtfort::store_detail
