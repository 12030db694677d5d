// PLACEHOLDER: replaced by the Redis store implementation.
#include "jwtfort/store/token_store.hpp"
namespace jwtfort {
result<std::unique_ptr<token_store>> open_redis_store(redis_endpoint, store_options) {
  return error(errc::store_unavailable, "Redis store not built yet");
}
}  // namespace jwtfort
