// The settings table: rows, the converters of the common kinds, and the sources that are not a
// file format (the environment, a lookup function) plus the file loader every format feeds.
// All sources hand raw texts (or array items) to the rows, so a value means the same in an
// environment variable, a `.env` line, TOML and JSON.
#include "jwtfort/service/settings.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "service/settings_sources.hpp"

namespace jwtfort {
namespace detail {

std::string_view trim(std::string_view s) {
  constexpr std::string_view blanks = " \t\r\n\v\f";
  const auto first = s.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(blanks) - first + 1);
}

std::string folded(std::string_view s, bool upper) {
  std::string out(s);
  for (char& ch : out) {
    const auto u = static_cast<unsigned char>(ch);
    ch = static_cast<char>(upper ? std::toupper(u) : std::tolower(u));
  }
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

result<std::string> read_text(const std::string& path) {
  std::error_code ec;  // a directory opens and reads as empty: that would read as "no settings"
  if (std::filesystem::is_directory(path, ec))
    return error(errc::invalid_configuration, "cannot read the file (it is a directory)");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad())
    return error(errc::invalid_configuration,
                 "cannot read the file (" + std::string(std::strerror(errno)) + ")");
  return text.str();
}

// fastapi-jwt-auth's strings have min_anystr_length = 1.
result<std::string> nonempty_text(const setting& row, std::string_view v) {
  if (v.empty()) return row.invalid("must not be empty", v);
  return std::string(v);
}

result<bool> boolean(const setting& row, std::string_view v) {
  const std::string word = folded(v, false);
  if (word == "true" || word == "1" || word == "yes") return true;
  if (word == "false" || word == "0" || word == "no") return false;
  return row.invalid("expected true/false, 1/0 or yes/no", v);
}

result<std::int64_t> integer(const setting& row, std::string_view v, std::int64_t min,
                             std::int64_t max) {
  std::int64_t n = 0;
  const char* end = v.data() + v.size();
  if (v.empty() || std::from_chars(v.data(), end, n).ptr != end)
    return row.invalid("expected an integer", v);
  if (n < min && min == 1) return row.invalid("must be > 0", v);
  if (n < min || n > max)
    return row.invalid("must be " + std::to_string(min) + ".." + std::to_string(max), v);
  return n;
}

result<std::string> one_of(const setting& row, std::string_view v,
                           std::span<const std::string> allowed, bool upper) {
  std::string word = folded(v, upper), all;
  for (const std::string& a : allowed) {
    if (a == word) return word;
    all += (all.empty() ? "" : ", ") + a;
  }
  return row.invalid("must be one of " + all, v);
}

result<std::vector<std::string>> items_of(const setting& row, const setting_value& v) {
  const std::string_view text = trim(v.text);
  if (v.tables) return row.invalid("expected a list of values, not a list of tables", "[[...]]");
  std::vector<std::string> items;
  if (v.items) {
    items = *v.items;
  } else if (text.starts_with('[')) {
    auto parsed = json_string_array(text);
    if (!parsed) return row.invalid("expected a JSON array of strings", text);
    items = std::move(*parsed);
  } else {
    for (std::size_t start = 0; !text.empty() && start <= text.size();) {
      const std::size_t comma = std::min(text.find(',', start), text.size());
      items.emplace_back(text.substr(start, comma - start));
      start = comma + 1;
    }
  }
  for (auto& item : items) {
    item = std::string(trim(item));
    if (item.empty()) return row.invalid("has an empty item", v.items ? joined(*v.items) : text);
  }
  return items;
}

// --- files -----------------------------------------------------------------------------------

constexpr std::size_t prefix_size = 8;  // "AUTHJWT_" and "JWTFORT_"

bool has_prefix(std::string_view upper_name) {
  return upper_name.starts_with("AUTHJWT_") || upper_name.starts_with("JWTFORT_");
}

error file_loader::fail(std::size_t line, std::string_view message) const {
  const std::string place = line > 0 ? path_ + ":" + std::to_string(line) : path_;
  return error(errc::invalid_configuration, place + ": " + std::string(message));
}

// A file key: with or without its prefix, any case; inside a table, the table's prefix.
const setting* file_loader::find(std::string_view written, std::string_view table) const {
  const std::string key = folded(written, true);
  std::string_view prefix = table;
  std::string_view field = key;
  if (has_prefix(key)) {
    if (!table.empty() && !key.starts_with(table)) return nullptr;
    prefix = std::string_view(key).substr(0, prefix_size);
    field.remove_prefix(prefix_size);
  }
  for (const setting& row : table_.rows()) {
    const std::string_view name = row.name();
    if (name.substr(prefix_size) == field && (prefix.empty() || name.starts_with(prefix)))
      return &row;
  }
  return nullptr;
}

result<void> file_loader::apply(std::string_view key, std::string_view table,
                                const setting_value& v, std::size_t line) {
  const setting* row = find(key, table);
  if (row == nullptr) return fail(line, std::string(key) + ": unknown setting");
  if (std::find(seen_.begin(), seen_.end(), row) != seen_.end())
    return fail(line, row->name() + ": set twice");
  seen_.push_back(row);
  if (auto ok = row->parse(v); !ok) return fail(line, ok.error().message);
  return {};
}

result<std::string> file_loader::table(std::string_view key, std::string_view outer,
                                       std::size_t line) {
  std::string prefix = folded(key, true) + "_";
  if (!outer.empty() || (prefix != "AUTHJWT_" && prefix != "JWTFORT_"))
    return fail(line, std::string(key) + ": unknown table (expected authjwt or jwtfort)");
  if (std::find(tables_.begin(), tables_.end(), prefix) != tables_.end())
    return fail(line, std::string(key) + ": set twice");
  tables_.push_back(prefix);
  return prefix;
}

}  // namespace detail

// --- rows ------------------------------------------------------------------------------------

setting::setting(std::string name, parser parse, bool secret)
    : name_(std::move(name)), parse_(std::move(parse)), secret_(secret) {}

error setting::invalid(std::string_view reason, std::string_view value) const {
  std::string message = name_ + ": " + std::string(reason);
  if (!secret_) message += ", got '" + std::string(value) + "'";
  return error(errc::invalid_configuration, std::move(message));
}

setting setting::text(std::string name, std::string& target) {
  return detail::single(std::move(name), target, detail::nonempty_text);
}

setting setting::integer(std::string name, std::int64_t& target, std::int64_t min,
                         std::int64_t max) {
  return detail::single(std::move(name), target,
                        [min, max](const setting& row, std::string_view v) {
                          return detail::integer(row, v, min, max);
                        });
}

setting setting::boolean(std::string name, bool& target) {
  return detail::single(std::move(name), target, detail::boolean);
}

setting setting::one_of(std::string name, std::string& target, std::vector<std::string> allowed) {
  return detail::single(std::move(name), target,
                        [allowed = std::move(allowed)](const setting& row, std::string_view v) {
                          return detail::one_of(row, v, allowed);
                        });
}

setting setting::list(std::string name, std::vector<std::string>& target) {
  auto parse = [&target](const setting& row, const setting_value& v) -> result<void> {
    auto items = detail::items_of(row, v);
    if (!items) return items.error();
    target = std::move(*items);
    return {};
  };
  return setting(std::move(name), std::move(parse));
}

// --- the table and its sources ---------------------------------------------------------------

void settings_table::add(setting row) { rows_.push_back(std::move(row)); }

const setting* settings_table::find(std::string_view name) const noexcept {
  for (const setting& row : rows_)
    if (row.name() == name) return &row;
  return nullptr;
}

// Every AUTHJWT_*/JWTFORT_* variable must be a setting: a misspelt name would otherwise keep the
// default without a word. Values are not shown: the variable may be a misspelt secret.
result<void> settings_table::read_environment() const {
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view name(*entry);
    name = name.substr(0, name.find('='));
    const std::string upper = detail::folded(name, true);
    if (!detail::has_prefix(upper) || find(name) != nullptr) continue;
    const std::string reason = find(upper) != nullptr
                                   ? "environment names are upper case, expected " + upper
                                   : "unknown setting";
    return error(errc::invalid_configuration, std::string(name) + ": " + reason);
  }
  return read_lookup([](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
}

result<void> settings_table::read_lookup(const settings_lookup& lookup) const {
  for (const setting& row : rows_)
    if (auto value = lookup(row.name()))
      if (auto ok = row.parse(setting_value{*value, {}}); !ok) return ok;
  return {};
}

result<void> settings_table::read_file(const std::string& path) const {
  auto text = detail::read_text(path);
  if (!text) return error(errc::invalid_configuration, path + ": " + text.error().message);
  detail::file_loader f(*this, path);
  const std::string ext = detail::folded(std::filesystem::path(path).extension().string(), false);
  if (ext == ".toml") return detail::load_toml(f, *text, path);
  if (ext == ".json") return detail::load_json(f, *text);
  return detail::load_env(f, *text);
}

}  // namespace jwtfort
