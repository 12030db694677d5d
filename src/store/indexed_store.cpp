#include "store/indexed_store.hpp"

namespace jwtfort {

token_store::~token_store() = default;

namespace store_detail {

result<void> indexed_store::record(revocation r) {
  if (auto ok = validate(r); !ok) return ok;
  if (auto ok = persist(r); !ok) return ok;
  index_.apply(r);
  return {};
}

result<void> indexed_store::revoke_token(std::string_view jwt_id, std::int64_t keep_until) {
  return record({revocation_kind::token, std::string(jwt_id), 0, keep_until});
}

result<void> indexed_store::revoke_subject(std::string_view subject, std::int64_t issued_before,
                                           std::int64_t keep_until) {
  return record({revocation_kind::subject, std::string(subject), issued_before, keep_until});
}

result<void> indexed_store::revoke_family(std::string_view family, std::int64_t keep_until) {
  return record({revocation_kind::family, std::string(family), 0, keep_until});
}

result<void> indexed_store::check(const revocation_query& query) const {
  // A revocation the index holds is certain even while the backend is away.
  if (index_.is_revoked(query)) return errc::revoked;
  if (!is_current() && !options_.fail_open)
    return error(errc::store_unavailable, "the token store cannot confirm revocations right now");
  return {};
}

}  // namespace store_detail
}  // namespace jwtfort
