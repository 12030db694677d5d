#pragma once
// What the settings table (settings.cpp), the library's rows (config.cpp) and the file formats
// share: text helpers, the converters from one trimmed text to a value, and the loader each file
// format feeds. Every format has a file of its own (settings_dotenv.cpp, settings_toml.cpp,
// settings_json.cpp), so each external parser is included by one file only.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jwtfort/result.hpp"
#include "jwtfort/service/settings.hpp"

namespace jwtfort::detail {

std::string_view trim(std::string_view s);
std::string folded(std::string_view s, bool upper);
std::string joined(const std::vector<std::string>& items);
/// The whole file. Errors: invalid_configuration "cannot read the file (<reason>)".
result<std::string> read_text(const std::string& path);

// --- converters: one trimmed text -> one value, refusing with `row.invalid` -----------------

result<std::string> nonempty_text(const setting& row, std::string_view v);
result<bool> boolean(const setting& row, std::string_view v);
result<std::int64_t> integer(const setting& row, std::string_view v, std::int64_t min,
                             std::int64_t max);
/// `v` folded to lower (or upper) case, when it is one of `allowed`.
result<std::string> one_of(const setting& row, std::string_view v,
                           std::span<const std::string> allowed, bool upper = false);

/// The items of a list value: a TOML/JSON array, a JSON array of strings in one text, or
/// comma-separated items; each trimmed, none empty.
result<std::vector<std::string>> items_of(const setting& row, const setting_value& v);

/// A row taking one value: `convert(row, trimmed text)` -> result<T>, stored in `target`.
template <class T, class Convert>
setting single(std::string name, T& target, Convert convert, bool secret = false) {
  auto parse = [&target, convert](const setting& row, const setting_value& v) -> result<void> {
    if (v.items) return row.invalid("expected one value, not a list", joined(*v.items));
    if (v.tables) return row.invalid("expected one value, not a list of tables", "[[...]]");
    auto x = convert(row, trim(v.text));
    if (!x) return x.error();
    target = std::move(*x);
    return {};
  };
  return setting(std::move(name), std::move(parse), secret);
}

// --- files -----------------------------------------------------------------------------------

// Applies the keys of one file to a table, with the place of each for messages.
class file_loader {
 public:
  file_loader(const settings_table& table, std::string path)
      : table_(table), path_(std::move(path)) {}

  /// invalid_configuration "<path>:<line>: <message>" ("<path>: " without a line).
  error fail(std::size_t line, std::string_view message) const;
  /// Parses the value of `key` (written in the file, in `table` when not empty) into its row.
  result<void> apply(std::string_view key, std::string_view table, const setting_value& v,
                     std::size_t line);
  /// The prefix the table `key` stands for: only top-level [authjwt] and [jwtfort] exist.
  result<std::string> table(std::string_view key, std::string_view outer, std::size_t line);

 private:
  const setting* find(std::string_view written, std::string_view table) const;

  const settings_table& table_;
  std::string path_;
  std::vector<const setting*> seen_;
  std::vector<std::string> tables_;
};

/// KEY=VALUE lines as python-dotenv reads them (settings_dotenv.cpp).
result<void> load_env(file_loader& f, std::string_view text);
/// TOML, with toml++ (settings_toml.cpp).
result<void> load_toml(file_loader& f, std::string_view text, const std::string& path);
/// JSON, with simdjson's on-demand parser (settings_json.cpp).
result<void> load_json(file_loader& f, std::string_view text);
/// `text` as a JSON array of strings, or nullopt (settings_json.cpp): pydantic settings read a
/// list from one environment variable that way.
std::optional<std::vector<std::string>> json_string_array(std::string_view text);

}  // namespace jwtfort::detail
