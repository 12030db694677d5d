#pragma once
/// `settings_table`: named settings, each with the parser that writes it into a program's
/// variable, and the sources that fill them: the process environment, a lookup function, or a
/// file (TOML, JSON or `.env`). `config` puts the library's AUTHJWT_*/JWTFORT_* settings in a
/// table (`config::add_settings`); a program adds its own JWTFORT_* rows next to them and reads
/// the whole set at once, with the same value syntax, the same messages ("NAME: reason, got
/// 'value'", "<path>:<line>: ...") and the same refusal of unknown names.
///
/// Example: a program with one setting of its own.
///   struct my_settings : config {
///     std::int64_t workers = 4;
///   };
///   my_settings s;
///   settings_table table;
///   s.add_settings(table);  // the library's rows, writing into `s`
///   table.add(setting::integer("JWTFORT_WORKERS", s.workers, 1, 64));
///   if (auto ok = table.read_environment(); !ok) { log(ok.error().message); return 2; }
///
/// A row refers to its variable: the table must not outlive it, and reading writes through it.
/// docs/configuration.md describes the value syntax of each kind.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jwtfort/error.hpp"
#include "jwtfort/export.hpp"
#include "jwtfort/result.hpp"

namespace jwtfort {

struct setting_field;

/// A setting as a source gives it: one text (an environment variable, a `.env` line, a TOML or
/// JSON scalar), the items of a TOML/JSON array, or the tables of a TOML array of tables
/// (`[[jwtfort.name]]`) or of a JSON array of objects.
struct setting_value {
  std::string text;
  std::optional<std::vector<std::string>> items;
  /// Each table's keys as written, in order, with their values (a text or a list, never a
  /// table); only a file gives tables.
  std::optional<std::vector<std::vector<setting_field>>> tables;
};

/// One key of a table in a list of tables, and the file line it is on (0: unknown).
struct setting_field {
  std::string key;
  setting_value value;
  std::size_t line = 0;
};

/// A name -> value lookup (nullopt = not set), e.g. over a map in a test.
using settings_lookup = std::function<std::optional<std::string>(std::string_view)>;

/// One row of a settings table: the environment name (`AUTHJWT_*` or `JWTFORT_*`, upper case)
/// and the parser that checks a value and stores it.
class JWTFORT_API setting {
 public:
  /// Checks `value` and stores it; on a bad value, returns `row.invalid(...)`.
  using parser = std::function<result<void>(const setting& row, const setting_value& value)>;

  /// A `secret` setting's value never appears in a message.
  setting(std::string name, parser parse, bool secret = false);

  const std::string& name() const noexcept { return name_; }
  bool secret() const noexcept { return secret_; }
  result<void> parse(const setting_value& value) const { return parse_(*this, value); }

  /// invalid_configuration "NAME: reason, got 'value'"; without the value for a secret.
  error invalid(std::string_view reason, std::string_view value) const;

  // Rows for the common kinds; the value is trimmed, the messages are the library's.
  /// Any text but an empty one.
  static setting text(std::string name, std::string& target);
  /// A decimal integer in min..max.
  static setting integer(std::string name, std::int64_t& target, std::int64_t min,
                         std::int64_t max);
  /// true/false, 1/0 or yes/no, any case.
  static setting boolean(std::string name, bool& target);
  /// One of `allowed` (lower case), any case; stored lower case.
  static setting one_of(std::string name, std::string& target, std::vector<std::string> allowed);
  /// A list: a TOML/JSON array, a JSON array of strings in one text (as pydantic settings read
  /// lists from the environment), or comma-separated items; each item trimmed and not empty. An
  /// empty value is the empty list.
  static setting list(std::string name, std::vector<std::string>& target);

 private:
  std::string name_;
  parser parse_;
  bool secret_;
};

/// The settings a program reads, and the sources that read them.
class JWTFORT_API settings_table {
 public:
  /// Adds a row. Its name starts with AUTHJWT_ or JWTFORT_ and is not in the table yet.
  void add(setting row);
  /// The row named exactly `name`, or nullptr.
  const setting* find(std::string_view name) const noexcept;
  const std::vector<setting>& rows() const noexcept { return rows_; }

  /// Reads the process environment. Any other AUTHJWT_*/JWTFORT_* variable (in any case) is an
  /// error, and its value is not shown: it may be a misspelt secret.
  /// Errors: invalid_configuration.
  result<void> read_environment() const;
  /// Reads each row's name from `lookup`, in the order of the table.
  /// Errors: invalid_configuration.
  result<void> read_lookup(const settings_lookup& lookup) const;
  /// Reads a file; the format comes from the extension: `.toml`, `.json`, or `.env` (also any
  /// other name). A key may be written without its prefix and in any case; TOML and JSON may
  /// group keys in `authjwt` and `jwtfort` tables. Unknown keys and keys given twice are errors.
  /// Errors: invalid_configuration, whose message starts with "<path>:<line>: ".
  result<void> read_file(const std::string& path) const;

 private:
  std::vector<setting> rows_;
};

/// A settings struct (one with `add_settings(settings_table&)`, such as `config`) read from one
/// source: `read` is given the struct's table and calls one of its read_ functions.
template <class Settings, class Read>
result<Settings> read_settings(Read read) {
  Settings settings;
  settings_table table;
  settings.add_settings(table);
  if (auto ok = read(table); !ok) return ok.error();
  return settings;
}

}  // namespace jwtfort
