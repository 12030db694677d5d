#pragma once
/// The SQLite store driver (component `jwtfort::sqlite`): revocations and refresh-token uses in
/// one database file, shared by the threads and processes that open it.
#include <memory>
#include <string>

#include "jwtfort/export.hpp"
#include "jwtfort/result.hpp"
#include "jwtfort/store/token_store.hpp"

namespace jwtfort {

/// A store in the SQLite database file at `path` (WAL mode, synchronous=FULL), created when
/// missing (its directory must exist). Safe to share between threads and processes.
/// A new file is created with mode 0600 whatever the umask (SQLite gives its -wal and -shm files
/// the same mode). An existing file, and a -wal or -shm left behind, lose any permission of other
/// users (chmod o-rwx); the group's permissions stay, so accounts of one group can share a store.
/// Errors: store_unavailable (cannot open, not a regular file, open to other users and owned by
/// another account, not a jwtfort database, disk error).
JWTFORT_API result<std::unique_ptr<token_store>> open_sqlite_store(const std::string& path,
                                                                   store_options options = {});

}  // namespace jwtfort
