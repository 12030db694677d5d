// The SQLite store: one database file shared by the processes of an application. Revocations are
// an append-only log ordered by `seq`, so a process catches up on the others' commits by reading
// the rows after the last one it saw, whenever `PRAGMA data_version` says another connection
// wrote. This is the only file that includes <sqlite3.h>.
#include "jwtfort/store/sqlite_store.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include "store/indexed_store.hpp"
#include "store/periodic_task.hpp"

namespace jwtfort {
namespace {

using store_detail::revocation;
using store_detail::revocation_kind;

// 'jwtf' in PRAGMA application_id marks the file as ours; user_version is the schema version.
constexpr std::int64_t application_id = 0x6a777466;
constexpr std::int64_t schema_version = 1;
// How long a statement waits for another process's write lock before reporting the store down.
constexpr int busy_timeout_ms = 5000;

const std::string schema_sql =
    "BEGIN IMMEDIATE;"
    "CREATE TABLE IF NOT EXISTS revocations (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " kind TEXT NOT NULL, name TEXT NOT NULL, issued_before INTEGER NOT NULL,"
    " keep_until INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS revocations_by_name ON revocations (kind, name);"
    "CREATE TABLE IF NOT EXISTS used_refresh_tokens (jti TEXT PRIMARY KEY, family TEXT NOT NULL,"
    " used_at INTEGER NOT NULL, keep_until INTEGER NOT NULL);"
    "PRAGMA application_id = " +
    std::to_string(application_id) + ";PRAGMA user_version = " + std::to_string(schema_version) +
    ";COMMIT;";

// The statements, prepared once per connection (PERSISTENT) and reused; `sql` indexes them.
// clang-format off
enum class sql : std::size_t { begin, commit, rollback, data_version, rows_after, append,
  refresh_revoked, mark_used, used_at, purge_revocations, purge_used, counts, count_ };
// clang-format on
constexpr auto sql_text = std::to_array<const char*>({
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
    "PRAGMA data_version",
    "SELECT seq, kind, name, issued_before, keep_until FROM revocations"
    " WHERE seq > ?1 ORDER BY seq",
    "INSERT INTO revocations (kind, name, issued_before, keep_until) VALUES (?1, ?2, ?3, ?4)",
    "SELECT 1 FROM revocations WHERE (kind = 'family' AND name = ?1) OR"
    " (kind = 'token' AND name = ?2) LIMIT 1",
    "INSERT OR IGNORE INTO used_refresh_tokens (jti, family, used_at, keep_until)"
    " VALUES (?1, ?2, ?3, ?4)",
    "SELECT used_at FROM used_refresh_tokens WHERE jti = ?1",
    "DELETE FROM revocations WHERE keep_until < ?1",
    "DELETE FROM used_refresh_tokens WHERE keep_until < ?1",
    "SELECT (SELECT count(DISTINCT name) FROM revocations WHERE kind = 'token'),"
    " (SELECT count(DISTINCT name) FROM revocations WHERE kind = 'subject'),"
    " (SELECT count(DISTINCT name) FROM revocations WHERE kind = 'family'),"
    " (SELECT count(*) FROM used_refresh_tokens)",
});
static_assert(sql_text.size() == static_cast<std::size_t>(sql::count_));

const char* kind_text(revocation_kind kind) {
  switch (kind) {
    case revocation_kind::subject: return "subject";
    case revocation_kind::family: return "family";
    case revocation_kind::token: break;
  }
  return "token";
}

// One execution of a prepared statement. Names bind as blobs with their length, so any byte
// (NUL included) round-trips; kinds bind as text to match the SQL literals. The destructor
// resets the statement, which ends its read snapshot so an idle statement never pins the WAL.
class cursor {
 public:
  template <class... Args>
  explicit cursor(sqlite3_stmt* s, const Args&... args) : s_(s) {
    [[maybe_unused]] int i = 0;
    ((rc_ = rc_ == SQLITE_OK ? bind(++i, args) : rc_), ...);
  }
  cursor(const cursor&) = delete;
  cursor& operator=(const cursor&) = delete;
  ~cursor() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return rc_ == SQLITE_OK ? sqlite3_step(s_) : rc_; }
  std::int64_t integer(int col) const { return sqlite3_column_int64(s_, col); }
  std::string bytes(int col) const {
    const void* data = sqlite3_column_blob(s_, col);
    auto size = static_cast<std::size_t>(sqlite3_column_bytes(s_, col));
    return data ? std::string(static_cast<const char*>(data), size) : std::string();
  }

 private:
  int bind(int i, std::int64_t v) { return sqlite3_bind_int64(s_, i, v); }
  int bind(int i, const char* text) { return sqlite3_bind_text(s_, i, text, -1, SQLITE_STATIC); }
  int bind(int i, std::string_view v) {  // a null data() would bind NULL, not an empty blob
    return sqlite3_bind_blob64(s_, i, v.data() ? v.data() : "", v.size(), SQLITE_STATIC);
  }
  sqlite3_stmt* s_;
  int rc_ = SQLITE_OK;
};

using db_ptr = std::unique_ptr<sqlite3, decltype([](sqlite3* db) { sqlite3_close_v2(db); })>;
using stmt_ptr =
    std::unique_ptr<sqlite3_stmt, decltype([](sqlite3_stmt* s) { sqlite3_finalize(s); })>;

// The connection and its prepared statements, declared after the handle so they are finalized
// before it closes.
struct connection {
  db_ptr db;
  std::array<stmt_ptr, sql_text.size()> statements;

  template <class... Args>
  cursor query(sql id, const Args&... args) const {
    return cursor(statements[static_cast<std::size_t>(id)].get(), args...);
  }
  // Whether a query returns a row.
  template <class... Args>
  result<bool> any_row(sql id, const char* what, const Args&... args) const {
    int rc = query(id, args...).step();
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return failure(rc, what);
    return rc == SQLITE_ROW;
  }
  // Runs a statement that returns no rows.
  template <class... Args>
  result<void> run(sql id, const char* what, const Args&... args) const {
    if (auto ok = any_row(id, what, args...); !ok) return ok.error();
    return {};
  }
  // Names the SQLite error; never a bound value, so no token reaches a message.
  error failure(int rc, std::string_view what) const {
    return {errc::store_unavailable, "SQLite store: " + std::string(what) + ": " +
                                         sqlite3_errmsg(db.get()) + " (code " + std::to_string(rc) +
                                         ")"};
  }
  int changes() const { return sqlite3_changes(db.get()); }
};

// BEGIN IMMEDIATE takes the write lock up front (waiting up to the busy timeout), so a read
// inside it sees the newest commit and cannot fail later with SQLITE_BUSY_SNAPSHOT. Rolled back
// unless committed.
class transaction {
 public:
  explicit transaction(const connection& c) : c_(c), begun_(c.run(sql::begin, "begin")) {}
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction() {
    if (begun_ && !committed_) (void)c_.run(sql::rollback, "rollback");
  }
  const result<void>& begun() const { return begun_; }
  result<void> commit() {
    auto ok = c_.run(sql::commit, "commit");
    committed_ = ok.has_value();
    return ok;
  }

 private:
  const connection& c_;
  result<void> begun_;
  bool committed_ = false;
};

// The first column of the first row as text ("" when there is none); for setup statements.
result<std::string> scalar(const connection& c, const char* text, const char* what) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(c.db.get(), text, -1, &raw, nullptr);
  stmt_ptr s(raw);
  if (rc == SQLITE_OK) rc = sqlite3_step(raw);
  if (rc == SQLITE_DONE) return std::string();
  if (rc != SQLITE_ROW) return c.failure(rc, what);
  auto value = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
  return std::string(value ? value : "");
}

// A file is ours when it carries our application id and schema version; an empty database (a
// new file) becomes ours. Anything else is refused before anything is written to it. One
// statement reads all three values, so a schema another process is creating is seen whole or
// not at all.
result<bool> is_new(const connection& c, const std::string& path) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(c.db.get(),
                              "SELECT (SELECT application_id FROM pragma_application_id),"
                              " (SELECT user_version FROM pragma_user_version),"
                              " (SELECT count(*) FROM sqlite_master)",
                              -1, &raw, nullptr);
  stmt_ptr s(raw);
  if (rc == SQLITE_OK) rc = sqlite3_step(raw);
  if (rc != SQLITE_ROW) return c.failure(rc, "reading the database header");
  auto app = sqlite3_column_int64(raw, 0), version = sqlite3_column_int64(raw, 1);
  if (app == 0 && version == 0 && sqlite3_column_int64(raw, 2) == 0) return true;
  if (app != application_id)
    return error(errc::store_unavailable, "SQLite store: " + path + " is not a jwtfort database");
  if (version != schema_version)
    return error(errc::store_unavailable,
                 "SQLite store: " + path + " has schema version " + std::to_string(version) +
                     "; this jwtfort reads version " + std::to_string(schema_version));
  return false;
}

// Leaving rollback-journal mode needs every other connection off the file for a moment, and
// SQLite does not wait for that through the busy handler: processes opening a new file together
// would fail. Retry for as long as the busy timeout.
result<void> use_wal(const connection& c, const std::string& path) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  for (;;) {
    auto mode = scalar(c, "PRAGMA journal_mode = WAL", "switching to WAL");
    if (mode && *mode == "wal") return {};
    if (mode) return error(errc::store_unavailable, "SQLite store: " + path + " cannot use WAL");
    if ((sqlite3_errcode(c.db.get()) & 0xff) != SQLITE_BUSY ||
        std::chrono::steady_clock::now() > deadline)
      return mode.error();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

result<void> prepare_schema(const connection& c, const std::string& path) {
  auto is_new_file = is_new(c, path);
  if (!is_new_file) return is_new_file.error();
  // Idempotent, so processes creating the file at the same time agree.
  if (*is_new_file &&
      sqlite3_exec(c.db.get(), schema_sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
    return c.failure(sqlite3_errcode(c.db.get()), "creating the schema");
  if (auto ok = use_wal(c, path); !ok) return ok;
  // FULL syncs the WAL on every commit: a revocation reported done survives power loss.
  auto sync = scalar(c, "PRAGMA synchronous = FULL", "setting synchronous");
  if (!sync) return sync.error();
  return {};
}

error os_failure(const std::string& path, std::string_view what, int errno_value) {
  return {errc::store_unavailable,
          "SQLite store: " + std::string(what) + " " + path + ": " + std::strerror(errno_value)};
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Removes the permissions of other users from an existing file; the owner's and the group's
// stay as they were set, so accounts of one group can share a store. A file we may not narrow
// (another account owns it) is refused rather than used while others can read it.
result<void> narrow(const std::string& path, const struct stat& st) {
  if (!S_ISREG(st.st_mode))
    return error(errc::store_unavailable, "SQLite store: " + path + " is not a regular file");
  if ((st.st_mode & S_IRWXO) == 0) return {};
  if (::chmod(path.c_str(), st.st_mode & 07770) == 0) return {};
  const int reason = errno;
  return error(errc::store_unavailable, "SQLite store: " + path + " is open to other users (mode " +
                                            octal_mode(st.st_mode) + ") and cannot be narrowed (" +
                                            std::strerror(reason) + "); run chmod o-rwx " + path);
}

// SQLite would create the database with the umask's mode, typically 0644, and gives its -wal
// and -shm files the database's mode. The file names subjects and token ids, so it is created
// here first, with mode 0600 whatever the umask; an existing one, and companions left by a
// process that did not close, lose the permissions of other users (see `narrow`).
// No descriptor is opened: closing one would drop the POSIX locks that another connection of
// this process holds on the same file, which SQLite relies on.
result<void> make_private(const std::string& path) {
  if (::mknod(path.c_str(), S_IFREG | 0600, 0) == 0) {
    if (::chmod(path.c_str(), 0600) != 0) return os_failure(path, "setting the mode of", errno);
    return {};
  }
  if (errno != EEXIST) return os_failure(path, "creating", errno);
  for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
      if (errno == ENOENT && file != path) continue;  // no companion: nothing to narrow
      return os_failure(file, "reading the mode of", errno);
    }
    if (auto ok = narrow(file, st); !ok) return ok;
  }
  return {};
}

result<connection> open_connection(const std::string& path) {
  if (auto ok = make_private(path); !ok) return ok.error();
  connection c;
  sqlite3* raw = nullptr;
  // NOMUTEX: the store's own mutex serializes every use of the connection.
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  c.db.reset(raw);  // a failed open still returns a handle to close
  if (rc != SQLITE_OK) return c.failure(rc, "opening " + path);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  if (auto ok = prepare_schema(c, path); !ok) return ok.error();
  for (std::size_t i = 0; i < sql_text.size(); ++i) {
    sqlite3_stmt* s = nullptr;
    rc = sqlite3_prepare_v3(raw, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    c.statements[i].reset(s);
    if (rc != SQLITE_OK) return c.failure(rc, "preparing statements");
  }
  return c;
}

// Which file a path names right now, to notice the database being deleted or replaced.
struct file_id {
  dev_t device;
  ino_t inode;
  friend bool operator==(const file_id&, const file_id&) = default;
};

std::optional<file_id> identify(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return file_id{st.st_dev, st.st_ino};
}

class sqlite_store final : public store_detail::indexed_store {
 public:
  sqlite_store(connection c, std::string path, file_id file, store_options options)
      : indexed_store(std::move(options)),
        conn_(std::move(c)),
        path_(std::move(path)),
        file_(file),
        sync_(options_.sync_interval, [this] { sync(); }),
        purge_(options_.purge_interval, [this] { (void)purge_expired(options_.clock()); }) {}

  // Reads every record into the index; the store is usable once this succeeded.
  result<void> load() {
    std::lock_guard lock(mutex_);
    return catch_up();
  }

  result<refresh_verdict> use_refresh_token(const refresh_use& use) override {
    if (use.jwt_id.empty() || use.family.empty())
      return error(errc::invalid_claim, "a refresh token needs a jti and a family");
    std::lock_guard lock(mutex_);
    if (auto ok = check_file(); !ok) return ok.error();
    // One transaction holding the write lock: two processes presenting the same token are
    // serialized, so exactly one of them sees a first use.
    transaction tx(conn_);
    if (!tx.begun()) return tx.begun().error();
    auto revoked =
        conn_.any_row(sql::refresh_revoked, "checking the family", use.family, use.jwt_id);
    if (!revoked) return revoked.error();
    if (*revoked) return errc::revoked;
    if (auto ok = conn_.run(sql::mark_used, "recording a refresh token use", use.jwt_id, use.family,
                            use.now, use.expires_at);
        !ok)
      return ok.error();
    if (conn_.changes() == 0) return second_use(tx, use);
    if (auto ok = tx.commit(); !ok) return ok.error();
    return refresh_verdict::first_use;
  }

  result<std::size_t> purge_expired(std::int64_t now) override {
    std::lock_guard lock(mutex_);
    transaction tx(conn_);
    if (!tx.begun()) return tx.begun().error();
    std::size_t removed = 0;
    for (sql id : {sql::purge_revocations, sql::purge_used}) {
      if (auto ok = conn_.run(id, "purging expired records", now); !ok) return ok.error();
      removed += static_cast<std::size_t>(conn_.changes());
    }
    if (auto ok = tx.commit(); !ok) return ok.error();
    index_.purge(now);
    return removed;
  }

  result<store_stats> stats() const override {
    std::lock_guard lock(mutex_);
    auto c = conn_.query(sql::counts);
    if (int rc = c.step(); rc != SQLITE_ROW) return conn_.failure(rc, "counting records");
    auto count = [&c](int col) { return static_cast<std::size_t>(c.integer(col)); };
    return store_stats{count(0), count(1), count(2), count(3)};
  }

 protected:
  result<void> persist(const revocation& r) override {
    std::lock_guard lock(mutex_);
    if (auto ok = check_file(); !ok) return ok;
    transaction tx(conn_);
    if (!tx.begun()) return tx.begun();
    auto seq = append(r);
    if (!seq) return seq.error();
    if (auto ok = tx.commit(); !ok) return ok;
    saw_own(*seq);
    return {};
  }

 private:
  // The token was used before: a retry within the grace window, or reuse, which revokes the
  // family in the same transaction (RFC 9700 §4.14.2). Grace 0 means no retry is forgiven.
  result<refresh_verdict> second_use(transaction& tx, const refresh_use& use) {
    auto c = conn_.query(sql::used_at, use.jwt_id);
    if (int rc = c.step(); rc != SQLITE_ROW)
      return conn_.failure(rc, "reading a refresh token use");
    if (use.grace_seconds > 0 && use.now - c.integer(0) <= use.grace_seconds)
      return refresh_verdict::within_grace;  // nothing written: the rollback is a no-op
    revocation family{revocation_kind::family, std::string(use.family), 0, use.family_keep_until};
    auto seq = append(family);
    if (!seq) return seq.error();
    if (auto ok = tx.commit(); !ok) return ok.error();
    saw_own(*seq);
    index_.apply(family);
    return error(errc::token_reused, "refresh token reused: its family is revoked");
  }

  result<std::int64_t> append(const revocation& r) {
    if (auto ok = conn_.run(sql::append, "writing a revocation", kind_text(r.kind),
                            std::string_view(r.name), r.issued_before, r.keep_until);
        !ok)
      return ok.error();
    return sqlite3_last_insert_rowid(conn_.db.get());
  }

  // Our own row needs no re-reading, but skipping past it is only safe when no other process's
  // row came in between; AUTOINCREMENT leaves no gaps, so "next in line" proves that.
  void saw_own(std::int64_t seq) {
    if (seq == last_seq_ + 1) last_seq_ = seq;
  }

  void sync() {
    std::lock_guard lock(mutex_);
    set_current(catch_up().has_value());
  }

  // A deleted or replaced file still answers through our open descriptor, but the other
  // processes now use another file: what we read or write there is no longer shared.
  result<void> check_file() const {
    if (identify(path_) == file_) return {};
    return error(errc::store_unavailable, "SQLite store: " + path_ + " was removed or replaced");
  }

  // Reads the rows other processes committed since the last call.
  result<void> catch_up() {
    if (auto ok = check_file(); !ok) return ok;
    std::int64_t version = 0;
    {
      auto c = conn_.query(sql::data_version);
      if (int rc = c.step(); rc != SQLITE_ROW) return conn_.failure(rc, "reading data_version");
      version = c.integer(0);
    }
    if (version == data_version_) return {};
    auto c = conn_.query(sql::rows_after, last_seq_);
    int rc = SQLITE_OK;
    while ((rc = c.step()) == SQLITE_ROW) {
      last_seq_ = c.integer(0);
      if (auto r = decode(c)) index_.apply(*r);
    }
    if (rc != SQLITE_DONE) return conn_.failure(rc, "reading revocations");
    data_version_ = version;  // only now: a failed read is retried on the next tick
    return {};
  }

  static std::optional<revocation> decode(const cursor& c) {
    const std::string kind = c.bytes(1);
    for (auto k : {revocation_kind::token, revocation_kind::subject, revocation_kind::family})
      if (kind == kind_text(k)) return revocation{k, c.bytes(2), c.integer(3), c.integer(4)};
    return std::nullopt;  // a kind from a newer schema; user_version keeps those out
  }

  mutable std::mutex mutex_;  // serializes the connection; guards last_seq_ and data_version_
  connection conn_;
  std::int64_t last_seq_ = 0;       // every row up to here is in index_
  std::int64_t data_version_ = -1;  // as of the last complete read; -1 forces the first
  const std::string path_;
  const file_id file_;
  // Last, so they stop before what they use is destroyed; the connection closes after them.
  store_detail::periodic_task sync_;
  store_detail::periodic_task purge_;
};

}  // namespace

result<std::unique_ptr<token_store>> open_sqlite_store(const std::string& path,
                                                       store_options options) {
  auto conn = open_connection(path);
  if (!conn) return conn.error();
  // SQLite's own absolute spelling, so a later chdir() does not change which file is watched.
  const char* name = sqlite3_db_filename(conn->db.get(), "main");
  std::string file = name ? name : "";
  auto id = identify(file);
  if (!id) return error(errc::store_unavailable, "SQLite store: " + path + " is not a file");
  auto store = std::make_unique<sqlite_store>(std::move(*conn), file, *id, std::move(options));
  if (auto ok = store->load(); !ok) return ok.error();
  return std::unique_ptr<token_store>(std::move(store));
}

}  // namespace jwtfort
