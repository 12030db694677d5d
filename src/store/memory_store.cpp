// The in-memory store: the index is the whole store. For tests and single-process services.
#include <mutex>
#include <unordered_map>

#include "store/indexed_store.hpp"
#include "store/periodic_task.hpp"

namespace jwtfort {
namespace {

using store_detail::revocation;

class memory_store final : public store_detail::indexed_store {
 public:
  explicit memory_store(store_options options)
      : indexed_store(std::move(options)),
        purge_(options_.purge_interval, [this] { (void)purge_expired(options_.clock()); }) {}

  result<refresh_verdict> use_refresh_token(const refresh_use& use) override {
    if (use.jwt_id.empty() || use.family.empty())
      return error(errc::invalid_claim, "a refresh token needs a jti and a family");
    std::lock_guard lock(mutex_);
    if (index_.is_revoked({.jwt_id = use.jwt_id, .family = use.family})) return errc::revoked;
    auto [it, first] = used_.try_emplace(std::string(use.jwt_id), used{use.now, use.expires_at});
    if (first) return refresh_verdict::first_use;
    // Grace 0 means none: even a retry in the same second is reuse.
    if (use.grace_seconds > 0 && use.now - it->second.at <= use.grace_seconds)
      return refresh_verdict::within_grace;
    index_.apply(
        {store_detail::revocation_kind::family, std::string(use.family), 0, use.family_keep_until});
    return error(errc::token_reused, "refresh token reused: its family is revoked");
  }

  result<std::size_t> purge_expired(std::int64_t now) override {
    std::size_t removed = index_.purge(now);
    std::lock_guard lock(mutex_);
    removed += std::erase_if(used_, [now](const auto& kv) { return kv.second.keep_until < now; });
    return removed;
  }

  result<store_stats> stats() const override {
    store_stats s = index_.counts();
    std::lock_guard lock(mutex_);
    s.used_refresh_tokens = used_.size();
    return s;
  }

 protected:
  result<void> persist(const revocation&) override { return {}; }

 private:
  struct used {
    std::int64_t at;
    std::int64_t keep_until;
  };
  mutable std::mutex mutex_;  // guards used_ and makes use-then-revoke one step
  std::unordered_map<std::string, used> used_;
  store_detail::periodic_task purge_;  // last: stopped before the members it reads go away
};

}  // namespace

std::unique_ptr<token_store> make_memory_store(store_options options) {
  return std::make_unique<memory_store>(std::move(options));
}

}  // namespace jwtfort
