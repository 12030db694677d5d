#pragma once
/// The Redis store driver (component `jwtfort::redis`): state shared by every process that
/// points at the same server.
#include <memory>
#include <string>

#include "jwtfort/export.hpp"
#include "jwtfort/result.hpp"
#include "jwtfort/store/token_store.hpp"

namespace jwtfort {

/// Where a Redis server is.
struct redis_endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  int database = 0;
  std::string username;  ///< ACL user (Redis 6+); empty = default user
  std::string password;  ///< empty = no AUTH
};

/// A store on a Redis server, with a local replica of its revocations kept current through
/// pub/sub and fully re-read after every reconnect. Errors: store_unavailable (first connection
/// failed), invalid_configuration (bad database number).
JWTFORT_API result<std::unique_ptr<token_store>> open_redis_store(redis_endpoint endpoint,
                                                                  store_options options = {});

}  // namespace jwtfort
