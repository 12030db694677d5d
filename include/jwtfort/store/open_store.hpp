#pragma once
/// Opening a store by URL (component `jwtfort::store_url`, which links every driver), as the
/// server, the command line tool and the Python package do with JWTFORT_STORE_URL.
#include <memory>
#include <string_view>

#include "jwtfort/export.hpp"
#include "jwtfort/result.hpp"
#include "jwtfort/store/token_store.hpp"

namespace jwtfort {

/// Opens a store from a URL:
/// - `memory://` — this process only, gone on exit;
/// - `sqlite:///var/lib/jwtfort/tokens.db` (absolute) or `sqlite://tokens.db` (relative) —
///   created when missing;
/// - `redis://[[user]:password@]host[:port][/db]` — port 6379 and db 0 by default.
/// Errors: invalid_configuration (unknown scheme, bad URL), store_unavailable (cannot open or
/// connect).
JWTFORT_API result<std::unique_ptr<token_store>> open_store(std::string_view url,
                                                            store_options options = {});

}  // namespace jwtfort
