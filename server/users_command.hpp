#pragma once
/// `jwtfort-server users ...`: managing the user accounts of a data directory from a shell.
///
///   jwtfort-server users add NAME [--role ROLE]... [--data-dir DIR] [--config FILE]
///   jwtfort-server users list [--data-dir DIR] [--config FILE]
///   jwtfort-server users remove NAME [--data-dir DIR] [--config FILE]
///
/// Example:
///   printf '%s\n' "$PASSWORD" | jwtfort-server users add alice --role admin --role user
///   jwtfort-server users list          # alice<TAB>admin,user

#include <iosfwd>
#include <span>
#include <string_view>

namespace jwtfort::server {

/// Runs the `users` command. `args` are the words after "users" (options as `--name VALUE` or
/// `--name=VALUE`, anywhere; `--` ends them). The settings come from `--config FILE`
/// (`server_settings::from_file`), else from the environment (`from_environment`); `--data-dir`
/// overrides the data directory. `add` reads the password from the first line of `in` (a
/// trailing CR is dropped) and creates the data directory if needed; `list` and `remove` need an
/// existing users database. `list` prints `NAME<TAB>role1,role2` lines sorted by name; `add` and
/// `remove` print one line saying what they did. Errors go to `err` as
/// `error: <wire name>: <message>` (`error: usage: ...` and the synopsis for a bad command line).
/// Returns the exit code: 0 done, 1 the operation failed (the user exists, no such user, the
/// database cannot be used), 2 usage or configuration error (bad arguments, settings, name,
/// role or password, unusable data directory, no database).
int run_users_command(std::span<const std::string_view> args, std::istream& in, std::ostream& out,
                      std::ostream& err);

}  // namespace jwtfort::server
