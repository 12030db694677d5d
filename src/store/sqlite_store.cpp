// PLACEHOLDER: replaced by the SQLite store implementation.
#include "jwtfort/store/token_store.hpp"
namespace jwtfort {
result<std::unique_ptr<token_store>> open_sqlite_store(const std::string&, store_options) {
  return error(errc::store_unavailable, "SQLite store not built yet");
}
}  // namespace jwtfort
