#pragma once
/// The reference server's user accounts: a name, an Argon2id password hash (password.hpp) and
/// roles, in a SQLite file of their own (`<data_dir>/users.db`), apart from the token store.
///
/// Names are 1..64 bytes of `A-Z a-z 0-9 . _ @ -` and compared byte for byte ("Alice" and
/// "alice" are two users). Roles are 1..64 bytes of `A-Z a-z 0-9 . _ : -`. Passwords are 8..1024
/// bytes.
///
/// Example:
///   auto users = user_store::open(data_dir + "/users.db");
///   if (!users) return users.error();
///   if (auto ok = users->add("alice", password, {"admin"}); !ok) return ok.error();
///   auto who = users->authenticate("alice", attempt);   // errc::invalid_credentials if wrong

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jwtfort/result.hpp"

namespace jwtfort::server {

/// An account as the server sees it after a login: never the password hash.
struct user {
  std::string name;
  std::vector<std::string> roles;

  friend bool operator==(const user&, const user&) = default;
};

/// Checks a user name. Errors: invalid_configuration ("user name is empty", "user name is longer
/// than 64 bytes", "user name may only hold A-Z a-z 0-9 . _ @ -").
result<void> check_user_name(std::string_view name);
/// Checks a role. Errors: invalid_configuration ("role is empty", "role is longer than 64 bytes",
/// "role may only hold A-Z a-z 0-9 . _ : -").
result<void> check_role(std::string_view role);
/// Checks the roles of a new user: each as `check_role`, none twice. Errors: invalid_configuration
/// (as `check_role`; "role 'x' is given twice").
result<void> check_roles(const std::vector<std::string>& roles);
/// Checks a new password's length; it is never shown. Errors: invalid_configuration ("password
/// is shorter than 8 bytes", "password is longer than 1024 bytes").
result<void> check_password(std::string_view password);

/// The users database. Movable; every member may be called from several threads at once. One
/// connection serves an instance, behind a mutex held only for the SQL statements: Argon2 runs
/// outside it, so concurrent logins hash in parallel. Instances (and processes) sharing the file
/// see each other's changes at once.
class user_store {
 public:
  /// Opens or creates the users database: a file created with mode 0600 (SQLite gives its -wal
  /// and -shm files the same mode), in WAL mode, marked by its own `application_id` and schema
  /// `user_version`. Errors: store_unavailable (cannot open or create, another kind of file, a
  /// newer schema), naming the path and SQLite's reason.
  /// Example: `auto users = user_store::open("jwtfort-data/users.db");`
  static result<user_store> open(const std::string& path);

  user_store(user_store&&) noexcept;
  user_store& operator=(user_store&&) noexcept;
  ~user_store();

  /// Adds a user with its password hashed by `hash_password`. Roles keep their order; a user may
  /// have none. Errors: invalid_configuration (a bad name, roles or password: see the check_*
  /// functions; "user 'x' already exists"), internal_error (hashing), store_unavailable.
  /// Example: `users.add("alice", "correct horse", {"admin", "user"})`
  result<void> add(std::string_view name, std::string_view password,
                   const std::vector<std::string>& roles);

  /// Replaces the password of an existing user with a hash of `password`, checked by
  /// `check_password` as for `add`. Errors: invalid_configuration (a bad name or password; "no
  /// user 'x'"), internal_error (hashing), store_unavailable.
  /// Example: `users.set_password("alice", "a new correct horse")`
  result<void> set_password(std::string_view name, std::string_view password);

  /// Removes a user. Errors: invalid_configuration (a bad name; "no user 'x'"),
  /// store_unavailable.
  result<void> remove(std::string_view name);

  /// Every user, sorted by name (byte order). Errors: store_unavailable.
  result<std::vector<user>> list() const;

  /// How many users there are. Errors: store_unavailable.
  result<std::size_t> count() const;

  /// The user when `name` exists and `password` matches its hash. An unknown (or malformed) name
  /// costs the same Argon2 verification as a wrong password (`verify_dummy_password`), and both
  /// give the same error, so neither the answer nor its timing tells which names exist.
  /// Errors: invalid_credentials, store_unavailable (the database cannot be read).
  /// Example: `auto who = users.authenticate(form.user, form.password);`
  result<user> authenticate(std::string_view name, std::string_view password) const;

 private:
  struct impl;
  explicit user_store(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

}  // namespace jwtfort::server
