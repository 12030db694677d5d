// The users database on SQLite. This is the only file of the server that includes <sqlite3.h>.
// Statements are prepared per call: a login spends tens of milliseconds in Argon2, next to which
// preparing a statement (microseconds) does not count, and the code stays simple.
#include "users.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <system_error>
#include <thread>

#include "password.hpp"

namespace jwtfort::server {
namespace {

// 'jwtu' in PRAGMA application_id marks a users database (the token store is 'jwtf'), so neither
// file can be opened as the other; user_version is the schema version.
constexpr std::int64_t application_id = 0x6a777475;
constexpr std::int64_t schema_version = 1;
// How long a statement waits for another process's write lock before giving up.
constexpr int busy_timeout_ms = 5000;
constexpr std::size_t max_name_bytes = 64;
constexpr std::size_t min_password_bytes = 8;

// Roles are stored joined by commas, which no role may contain.
const std::string schema_sql =
    "BEGIN IMMEDIATE;"
    "CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY NOT NULL,"
    " password_hash TEXT NOT NULL, roles TEXT NOT NULL) WITHOUT ROWID;"
    "PRAGMA application_id = " +
    std::to_string(application_id) + ";PRAGMA user_version = " + std::to_string(schema_version) +
    ";COMMIT;";

result<void> check_token(std::string_view value, std::string_view what, std::string_view extra) {
  if (value.empty()) return error(errc::invalid_configuration, std::string(what) + " is empty");
  if (value.size() > max_name_bytes)
    return error(errc::invalid_configuration, std::string(what) + " is longer than " +
                                                  std::to_string(max_name_bytes) + " bytes");
  auto allowed = [extra](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           extra.find(c) != std::string_view::npos;
  };
  if (!std::all_of(value.begin(), value.end(), allowed)) {
    std::string shown;
    for (char c : extra) shown += std::string(" ") + c;
    return error(errc::invalid_configuration,
                 std::string(what) + " may only hold A-Z a-z 0-9" + shown);
  }
  return {};
}

std::string join_roles(const std::vector<std::string>& roles) {
  std::string text;
  for (const auto& r : roles) text += (text.empty() ? "" : ",") + r;
  return text;
}

std::vector<std::string> split_roles(std::string_view text) {
  std::vector<std::string> roles;
  while (!text.empty()) {
    auto comma = text.find(',');
    roles.emplace_back(text.substr(0, comma));
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
  }
  return roles;
}

using db_ptr = std::unique_ptr<sqlite3, decltype([](sqlite3* db) { sqlite3_close_v2(db); })>;

// One prepared statement, its parameters bound in order; finalized when it goes.
class statement {
 public:
  statement(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement() { sqlite3_finalize(s_); }

  statement& bind(std::string_view text) {
    if (rc_ == SQLITE_OK)
      rc_ = sqlite3_bind_text64(s_, ++bound_, text.empty() ? "" : text.data(), text.size(),
                                SQLITE_STATIC, SQLITE_UTF8);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return rc_ == SQLITE_OK ? sqlite3_step(s_) : rc_; }
  std::string text(int col) const {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : "";
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(s_, col); }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_ = SQLITE_OK;
  int bound_ = 0;
};

// Names SQLite's reason; never a bound value, so no password or hash reaches a message.
error failure(sqlite3* db, const std::string& path, std::string_view what) {
  return {errc::store_unavailable, "users database " + path + ": " + std::string(what) + ": " +
                                       sqlite3_errmsg(db) + " (code " +
                                       std::to_string(sqlite3_extended_errcode(db)) + ")"};
}

// SQLite creates a database file with the process umask's mode, typically 0644; a file of
// password hashes is created 0600 first instead, whatever the umask, and SQLite copies the
// database's mode to its -wal and -shm files. An existing file keeps the mode its owner gave it.
// No descriptor is opened: closing one would drop the POSIX locks that another connection of
// this process holds on the same file, which SQLite relies on.
result<void> create_private(const std::string& path) {
  auto failed = [&path](int reason) {
    return error(errc::store_unavailable,
                 "users database " + path + ": " + std::system_category().message(reason));
  };
  if (::mknod(path.c_str(), S_IFREG | 0600, 0) != 0) {
    if (errno == EEXIST) return {};
    return failed(errno);
  }
  if (::chmod(path.c_str(), 0600) != 0) return failed(errno);
  return {};
}

// One statement reads the marks and whether the file has any table, so a schema being created
// by another process is seen whole or not at all. An empty file becomes ours; anything else that
// is not ours is refused before anything is written to it.
result<bool> is_new(sqlite3* db, const std::string& path) {
  statement s(db,
              "SELECT (SELECT application_id FROM pragma_application_id),"
              " (SELECT user_version FROM pragma_user_version),"
              " (SELECT count(*) FROM sqlite_master)");
  if (s.step() != SQLITE_ROW) return failure(db, path, "reading the database header");
  auto app = s.integer(0), version = s.integer(1);
  if (app == 0 && version == 0 && s.integer(2) == 0) return true;
  if (app != application_id)
    return error(errc::store_unavailable,
                 "users database " + path + " is not a jwtfort users database");
  if (version != schema_version)
    return error(errc::store_unavailable,
                 "users database " + path + " has schema version " + std::to_string(version) +
                     "; this jwtfort-server reads version " + std::to_string(schema_version));
  return false;
}

// Leaving rollback-journal mode needs every other connection off the file for a moment, and
// SQLite does not wait for that through the busy handler: retry for as long as the busy timeout.
result<void> use_wal(sqlite3* db, const std::string& path) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  for (;;) {
    statement s(db, "PRAGMA journal_mode = WAL");
    int rc = s.step();
    if (rc == SQLITE_ROW && s.text(0) == "wal") return {};
    if (rc == SQLITE_ROW)
      return error(errc::store_unavailable, "users database " + path + " cannot use WAL");
    if ((rc & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() > deadline)
      return failure(db, path, "switching to WAL");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

result<void> prepare_schema(sqlite3* db, const std::string& path) {
  auto fresh = is_new(db, path);
  if (!fresh) return fresh.error();
  // Idempotent, so processes creating the file at the same time agree.
  if (*fresh && sqlite3_exec(db, schema_sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
    return failure(db, path, "creating the schema");
  if (auto ok = use_wal(db, path); !ok) return ok;
  // FULL syncs the WAL on every commit: a user reported added or removed stays so.
  if (sqlite3_exec(db, "PRAGMA synchronous = FULL", nullptr, nullptr, nullptr) != SQLITE_OK)
    return failure(db, path, "setting synchronous");
  return {};
}

result<db_ptr> open_connection(const std::string& path) {
  if (auto ok = create_private(path); !ok) return ok.error();
  sqlite3* raw = nullptr;
  // NOMUTEX: the store's own mutex serializes every use of the connection.
  int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  db_ptr db(raw);  // a failed open still returns a handle to close
  if (rc != SQLITE_OK) return failure(raw, path, "opening");
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  if (auto ok = prepare_schema(raw, path); !ok) return ok.error();
  return db;
}

}  // namespace

result<void> check_user_name(std::string_view name) {
  return check_token(name, "user name", "._@-");
}

result<void> check_role(std::string_view role) { return check_token(role, "role", "._:-"); }

result<void> check_roles(const std::vector<std::string>& roles) {
  for (auto r = roles.begin(); r != roles.end(); ++r) {
    if (auto ok = check_role(*r); !ok) return ok;
    if (std::find(roles.begin(), r, *r) != r)
      return error(errc::invalid_configuration, "role '" + *r + "' is given twice");
  }
  return {};
}

result<void> check_password(std::string_view password) {
  if (password.size() < min_password_bytes)
    return error(errc::invalid_configuration,
                 "password is shorter than " + std::to_string(min_password_bytes) + " bytes");
  if (password.size() > max_password_bytes)
    return error(errc::invalid_configuration,
                 "password is longer than " + std::to_string(max_password_bytes) + " bytes");
  return {};
}

struct user_store::impl {
  mutable std::mutex mutex;  // serializes the connection
  db_ptr db;
  std::string path;

  error failed(std::string_view what) const { return failure(db.get(), path, what); }
};

user_store::user_store(std::unique_ptr<impl> state) : impl_(std::move(state)) {}
user_store::user_store(user_store&&) noexcept = default;
user_store& user_store::operator=(user_store&&) noexcept = default;
user_store::~user_store() = default;

result<user_store> user_store::open(const std::string& path) {
  auto db = open_connection(path);
  if (!db) return db.error();
  auto state = std::make_unique<impl>();
  state->db = std::move(*db);
  state->path = path;
  return user_store(std::move(state));
}

result<void> user_store::add(std::string_view name, std::string_view password,
                             const std::vector<std::string>& roles) {
  if (auto ok = check_user_name(name); !ok) return ok;
  if (auto ok = check_roles(roles); !ok) return ok;
  if (auto ok = check_password(password); !ok) return ok;
  auto phc = hash_password(password);  // before the lock: Argon2 takes its time
  if (!phc) return phc.error();
  std::lock_guard lock(impl_->mutex);
  // The primary key decides a race between two adds of one name; the loser changes nothing.
  statement s(impl_->db.get(),
              "INSERT INTO users (name, password_hash, roles) VALUES (?1, ?2, ?3)"
              " ON CONFLICT (name) DO NOTHING");
  if (s.bind(name).bind(*phc).bind(join_roles(roles)).step() != SQLITE_DONE)
    return impl_->failed("adding a user");
  if (sqlite3_changes(impl_->db.get()) == 0)
    return error(errc::invalid_configuration, "user '" + std::string(name) + "' already exists");
  return {};
}

result<void> user_store::set_password(std::string_view name, std::string_view password) {
  if (auto ok = check_user_name(name); !ok) return ok;
  if (auto ok = check_password(password); !ok) return ok;
  auto phc = hash_password(password);  // before the lock: Argon2 takes its time
  if (!phc) return phc.error();
  std::lock_guard lock(impl_->mutex);
  statement s(impl_->db.get(), "UPDATE users SET password_hash = ?1 WHERE name = ?2");
  if (s.bind(*phc).bind(name).step() != SQLITE_DONE) return impl_->failed("changing a password");
  if (sqlite3_changes(impl_->db.get()) == 0)
    return error(errc::invalid_configuration, "no user '" + std::string(name) + "'");
  return {};
}

result<void> user_store::remove(std::string_view name) {
  if (auto ok = check_user_name(name); !ok) return ok;
  std::lock_guard lock(impl_->mutex);
  statement s(impl_->db.get(), "DELETE FROM users WHERE name = ?1");
  if (s.bind(name).step() != SQLITE_DONE) return impl_->failed("removing a user");
  if (sqlite3_changes(impl_->db.get()) == 0)
    return error(errc::invalid_configuration, "no user '" + std::string(name) + "'");
  return {};
}

result<std::vector<user>> user_store::list() const {
  std::lock_guard lock(impl_->mutex);
  // The default BINARY collation orders by bytes, as std::string compares.
  statement s(impl_->db.get(), "SELECT name, roles FROM users ORDER BY name");
  std::vector<user> users;
  int rc = SQLITE_OK;
  while ((rc = s.step()) == SQLITE_ROW) users.push_back({s.text(0), split_roles(s.text(1))});
  if (rc != SQLITE_DONE) return impl_->failed("listing users");
  return users;
}

result<std::size_t> user_store::count() const {
  std::lock_guard lock(impl_->mutex);
  statement s(impl_->db.get(), "SELECT count(*) FROM users");
  if (s.step() != SQLITE_ROW) return impl_->failed("counting users");
  return static_cast<std::size_t>(s.integer(0));
}

result<user> user_store::authenticate(std::string_view name, std::string_view password) const {
  std::optional<std::string> phc;
  user found{std::string(name), {}};
  if (check_user_name(name)) {  // a malformed name cannot exist: no query, same cost below
    std::lock_guard lock(impl_->mutex);
    statement s(impl_->db.get(), "SELECT password_hash, roles FROM users WHERE name = ?1");
    int rc = s.bind(name).step();
    if (rc == SQLITE_ROW) {
      phc = s.text(0);
      found.roles = split_roles(s.text(1));
    } else if (rc != SQLITE_DONE) {
      return impl_->failed("reading a user");
    }
  }
  // Outside the lock: one Argon2 verification per attempt, known name or not.
  if (!phc) {
    verify_dummy_password(password);
    return errc::invalid_credentials;
  }
  if (!verify_password(*phc, password)) return errc::invalid_credentials;
  return found;
}

}  // namespace jwtfort::server
