#pragma once
// src/store: the token stores. token_store's shared half (this file, revocation_index,
// memory_store: component `store`), one driver per client library (sqlite_store.cpp: `sqlite`,
// redis_store.cpp: `redis`) and the URL opener over both (store_url.cpp: `store_url`). It may
// use the core's public headers; the service, the server, the CLI and Python use it through
// include/jwtfort/store/.
//
// The part every store shares: revocations go to the backend first, then into the in-process
// index that answers `check()`; a store that cannot vouch for its index says so.
#include <atomic>

#include "jwtfort/store/token_store.hpp"
#include "store/revocation_index.hpp"

namespace jwtfort::store_detail {

class indexed_store : public token_store {
 public:
  result<void> revoke_token(std::string_view jwt_id, std::int64_t keep_until) final;
  result<void> revoke_subject(std::string_view subject, std::int64_t issued_before,
                              std::int64_t keep_until) final;
  result<void> revoke_family(std::string_view family, std::int64_t keep_until) final;
  result<void> check(const revocation_query& query) const final;

 protected:
  explicit indexed_store(store_options options) : options_(std::move(options)) {}

  // Makes `r` durable in the backend; the index is updated by the caller afterwards.
  virtual result<void> persist(const revocation& r) = 0;

  // False while the index may miss revocations made elsewhere (backend unreachable, resync
  // pending); `check()` then fails closed unless `fail_open`.
  void set_current(bool current) { current_.store(current, std::memory_order_release); }
  bool is_current() const { return current_.load(std::memory_order_acquire); }

  const store_options options_;
  revocation_index index_;

 private:
  result<void> record(revocation r);
  std::atomic<bool> current_{true};
};

}  // namespace jwtfort::store_detail
