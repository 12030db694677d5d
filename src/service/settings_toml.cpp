// The TOML format of settings files, read with toml++: the one file that includes it.
#include <toml++/toml.h>

#include <sstream>

#include "service/settings_sources.hpp"

namespace jwtfort::detail {
namespace {

std::string toml_text(const toml::node& node) {
  if (const auto* s = node.as_string()) return s->get();
  std::ostringstream out;  // numbers, booleans and dates as TOML writes them
  node.visit([&out](const auto& n) { out << n; });
  return out.str();
}

// A key's value inside a table of a list of tables: a text or a list, never a table.
result<setting_value> toml_value(file_loader& f, std::string_view key, const toml::node& node) {
  setting_value v;
  if (node.is_table() || node.is_array_of_tables())
    return f.fail(node.source().begin.line, std::string(key) + ": a table cannot hold a table");
  if (const toml::array* array = node.as_array()) {
    v.items.emplace();
    for (const toml::node& item : *array) v.items->push_back(toml_text(item));
  } else {
    v.text = toml_text(node);
  }
  return v;
}

// `[[name]]` or `name = [{...}, {...}]`: every item a table.
result<setting_value> toml_tables(file_loader& f, std::string_view key, const toml::array& array) {
  setting_value v;
  v.tables.emplace();
  for (const toml::node& item : array) {
    const toml::table* table = item.as_table();
    if (table == nullptr)
      return f.fail(item.source().begin.line, std::string(key) + ": mixes tables and values");
    auto& fields = v.tables->emplace_back();
    for (auto&& [name, node] : *table) {
      auto value = toml_value(f, name.str(), node);
      if (!value) return value.error();
      fields.push_back({std::string(name.str()), std::move(*value), node.source().begin.line});
    }
  }
  return v;
}

result<void> load_toml_table(file_loader& f, const toml::table& t, std::string_view table) {
  for (auto&& [key, node] : t) {
    const std::size_t line = node.source().begin.line;
    if (const toml::table* inner = node.as_table()) {
      auto prefix = f.table(key.str(), table, line);
      if (!prefix) return prefix.error();
      if (auto ok = load_toml_table(f, *inner, *prefix); !ok) return ok;
      continue;
    }
    const toml::array* array = node.as_array();
    const bool tables = array != nullptr && !array->empty() && array->front().is_table();
    auto v = tables ? toml_tables(f, key.str(), *array) : toml_value(f, key.str(), node);
    if (!v) return v.error();
    if (auto ok = f.apply(key.str(), table, *v, line); !ok) return ok;
  }
  return {};
}

}  // namespace

result<void> load_toml(file_loader& f, std::string_view text, const std::string& path) {
  try {  // toml++ is built with exceptions; none may leave the library
    return load_toml_table(f, toml::parse(text, path), "");
  } catch (const toml::parse_error& e) {
    return f.fail(e.source().begin.line, "syntax error: " + std::string(e.description()));
  }
}

}  // namespace jwtfort::detail
