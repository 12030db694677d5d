#include "store/revocation_index.hpp"

#include <algorithm>
#include <mutex>

namespace jwtfort::store_detail {

result<void> validate(const revocation& r) {
  if (r.name.empty()) {
    switch (r.kind) {
      case revocation_kind::token: return error(errc::invalid_claim, "the token has no jti");
      case revocation_kind::subject: return error(errc::invalid_claim, "the subject is empty");
      case revocation_kind::family: return error(errc::invalid_claim, "the family id is empty");
    }
  }
  return {};
}

revocation_index::table& revocation_index::table_for(revocation_kind kind) {
  switch (kind) {
    case revocation_kind::subject: return subjects_;
    case revocation_kind::family: return families_;
    case revocation_kind::token: break;
  }
  return tokens_;
}

void revocation_index::merge(const revocation& r) {
  auto [it, inserted] = table_for(r.kind).try_emplace(r.name, entry{r.issued_before, r.keep_until});
  if (!inserted) {
    it->second.issued_before = std::max(it->second.issued_before, r.issued_before);
    it->second.keep_until = std::max(it->second.keep_until, r.keep_until);
  }
}

void revocation_index::apply(const revocation& r) {
  std::unique_lock lock(mutex_);
  merge(r);
  size_.store(tokens_.size() + subjects_.size() + families_.size(), std::memory_order_release);
}

void revocation_index::replace_all(const std::vector<revocation>& records) {
  std::unique_lock lock(mutex_);
  tokens_.clear();
  subjects_.clear();
  families_.clear();
  for (const auto& r : records) merge(r);
  size_.store(tokens_.size() + subjects_.size() + families_.size(), std::memory_order_release);
}

bool revocation_index::is_revoked(const revocation_query& q) const {
  if (size_.load(std::memory_order_acquire) == 0) return false;
  std::shared_lock lock(mutex_);
  if (!q.jwt_id.empty() && tokens_.find(q.jwt_id) != tokens_.end()) return true;
  if (!q.family.empty() && families_.find(q.family) != families_.end()) return true;
  if (!q.subject.empty()) {
    auto it = subjects_.find(q.subject);
    // A token issued in the same second as "log out everywhere" is revoked too: iat has whole
    // seconds, and letting it through could keep a session the user meant to end.
    if (it != subjects_.end() && (!q.issued_at || *q.issued_at <= it->second.issued_before))
      return true;
  }
  return false;
}

std::size_t revocation_index::purge(std::int64_t now) {
  std::unique_lock lock(mutex_);
  std::size_t removed = 0;
  for (table* t : {&tokens_, &subjects_, &families_})
    removed += std::erase_if(*t, [now](const auto& kv) { return kv.second.keep_until < now; });
  size_.store(tokens_.size() + subjects_.size() + families_.size(), std::memory_order_release);
  return removed;
}

std::vector<revocation> revocation_index::snapshot() const {
  std::shared_lock lock(mutex_);
  std::vector<revocation> out;
  out.reserve(tokens_.size() + subjects_.size() + families_.size());
  auto add = [&out](const table& t, revocation_kind kind) {
    for (const auto& [name, e] : t) out.push_back({kind, name, e.issued_before, e.keep_until});
  };
  add(tokens_, revocation_kind::token);
  add(subjects_, revocation_kind::subject);
  add(families_, revocation_kind::family);
  return out;
}

store_stats revocation_index::counts() const {
  std::shared_lock lock(mutex_);
  return {tokens_.size(), subjects_.size(), families_.size(), 0};
}

}  // namespace jwtfort::store_detail
