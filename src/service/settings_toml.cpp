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

result<void> load_toml_table(file_loader& f, const toml::table& t, std::string_view table) {
  for (auto&& [key, node] : t) {
    const std::size_t line = node.source().begin.line;
    if (const toml::table* inner = node.as_table()) {
      auto prefix = f.table(key.str(), table, line);
      if (!prefix) return prefix.error();
      if (auto ok = load_toml_table(f, *inner, *prefix); !ok) return ok;
      continue;
    }
    setting_value v;
    if (const toml::array* array = node.as_array()) {
      v.items.emplace();
      for (const toml::node& item : *array) v.items->push_back(toml_text(item));
    } else {
      v.text = toml_text(node);
    }
    if (auto ok = f.apply(key.str(), table, v, line); !ok) return ok;
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
