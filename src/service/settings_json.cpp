// The JSON format of settings files, read with simdjson: the one settings file that includes it.
#include <simdjson.h>

#include <algorithm>

#include "service/settings_sources.hpp"

namespace jwtfort::detail {
namespace {

// simdjson's on-demand parser reads the text in order, so where it stops is where the error is.
class json_loader {
 public:
  json_loader(file_loader& f, std::string_view text) : f_(f), text_(text) {}

  result<void> load() {
    simdjson::ondemand::document doc;
    simdjson::ondemand::object top;
    if (auto e = parser_.iterate(text_).get(doc)) return syntax(e);
    if (auto e = doc.get_object().get(top))
      return e == simdjson::INCORRECT_TYPE ? f_.fail(1, "syntax error: expected a JSON object")
                                           : syntax(e);
    doc_ = &doc;  // from here on, the parser's position is the error's
    if (auto ok = object(top, ""); !ok) return ok;
    if (auto more = doc.current_location(); !more.error())
      return f_.fail(line_of(more.value_unsafe()), "syntax error: text after the JSON object");
    return {};
  }

 private:
  using json_type = simdjson::ondemand::json_type;

  std::size_t line_of(const char* p) const {
    const char* begin = text_.data();
    return 1 + static_cast<std::size_t>(std::count(begin, p, '\n'));
  }

  // Found before any position exists: the first line that ends inside a string.
  std::size_t line_of_open_string() const {
    const std::string_view text(text_.data(), text_.size());
    bool open = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (open && text[i] == '\\')
        ++i;
      else if (text[i] == '"')
        open = !open;
      else if (text[i] == '\n' && open)
        return line_of(text.data() + i);
    }
    return line_of(text.data() + text.size());
  }

  error syntax(simdjson::error_code e) {
    const std::string_view text(text_.data(), text_.size());
    std::size_t line = 0;
    if (e == simdjson::UNCLOSED_STRING || e == simdjson::UNESCAPED_CHARS) {
      line = line_of_open_string();
    } else if (e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) {
      line = line_of(text.data() + trim(text).size());  // the text ends too early
    } else if (doc_ != nullptr) {
      if (auto at = doc_->current_location(); !at.error()) line = line_of(at.value_unsafe());
    }
    return f_.fail(line, std::string("syntax error: ") + simdjson::error_message(e));
  }

  // An object's member read up to its value, in the parser's order: the key's line, the key
  // unescaped, the value and its type.
  struct member {
    std::size_t line = 0;
    std::string_view key;
    simdjson::ondemand::value value;
    json_type type = json_type::null;
  };

  result<member> read_member(simdjson::simdjson_result<simdjson::ondemand::field> element) {
    simdjson::ondemand::field field;
    member m;
    if (auto e = std::move(element).get(field)) return syntax(e);
    m.line = line_of(field.key().raw());
    if (auto e = field.unescaped_key().get(m.key)) return syntax(e);
    m.value = field.value();
    if (auto e = m.value.type().get(m.type)) return syntax(e);
    return m;
  }

  // Strings unescaped, numbers and booleans as written, null as an empty value; a container
  // inside an array becomes a text its converter refuses.
  result<void> scalar(simdjson::ondemand::value v, json_type type, std::string& out) {
    std::string_view s;
    bool b = false;
    simdjson::error_code e = simdjson::SUCCESS;
    if (type == json_type::string) {
      e = v.get_string().get(s);
      out = s;
    } else if (type == json_type::boolean) {
      e = v.get_bool().get(b);
      out = b ? "true" : "false";
    } else if (type == json_type::null) {
      if (v.is_null().get(b) || !b) e = simdjson::N_ATOM_ERROR;  // `nul` is not null
    } else {
      out = type == json_type::number ? trim(v.raw_json_token()) : "[...]";
    }
    if (e) return syntax(e);
    return {};
  }

  // A nested object is a table ("authjwt" or "jwtfort"): its members are read with its prefix.
  result<void> nested(simdjson::ondemand::value v, std::string_view key, std::string_view outer,
                      std::size_t line) {
    simdjson::ondemand::object inner;
    auto prefix = f_.table(key, outer, line);
    if (!prefix) return prefix.error();
    if (auto e = v.get_object().get(inner)) return syntax(e);
    return object(inner, *prefix);
  }

  // An array of values (items) or of objects (tables, each a list of fields); not both.
  result<void> list(simdjson::ondemand::value v, std::string_view key, setting_value& out) {
    simdjson::ondemand::array array;
    if (auto e = v.get_array().get(array)) return syntax(e);
    for (auto element : array) {
      simdjson::ondemand::value item;
      json_type type;
      if (auto e = element.get(item)) return syntax(e);
      if (auto e = item.type().get(type)) return syntax(e);
      const bool is_table = type == json_type::object;
      if (!out.items && !out.tables) {
        if (is_table)
          out.tables.emplace();
        else
          out.items.emplace();
      }
      if (is_table != out.tables.has_value()) {
        const std::size_t line = line_of(item.raw_json_token().data());
        return f_.fail(line, std::string(key) + ": mixes tables and values");
      }
      auto ok = is_table ? table(item, out.tables->emplace_back())
                         : scalar(item, type, out.items->emplace_back());
      if (!ok) return ok;
    }
    if (!out.items && !out.tables) out.items.emplace();  // [] is the empty list
    return {};
  }

  // One object of an array of objects: its members are texts or lists, never objects.
  result<void> table(simdjson::ondemand::value v, std::vector<setting_field>& fields) {
    simdjson::ondemand::object o;
    if (auto e = v.get_object().get(o)) return syntax(e);
    for (auto element : o) {
      auto m = read_member(std::move(element));
      if (!m) return m.error();
      if (m->type == json_type::object)
        return f_.fail(m->line, std::string(m->key) + ": a table cannot hold a table");
      setting_field& out = fields.emplace_back(setting_field{std::string(m->key), {}, m->line});
      auto read = m->type == json_type::array ? list(m->value, m->key, out.value)
                                              : scalar(m->value, m->type, out.value.text);
      if (!read) return read;
      if (out.value.tables)
        return f_.fail(m->line, std::string(m->key) + ": a table cannot hold a table");
    }
    return {};
  }

  result<void> object(simdjson::ondemand::object o, std::string_view table) {
    for (auto element : o) {
      auto m = read_member(std::move(element));
      if (!m) return m.error();
      if (m->type == json_type::object) {
        if (auto ok = nested(m->value, m->key, table, m->line); !ok) return ok;
        continue;
      }
      setting_value raw;
      auto read = m->type == json_type::array ? list(m->value, m->key, raw)
                                              : scalar(m->value, m->type, raw.text);
      if (!read) return read;
      if (auto ok = f_.apply(m->key, table, raw, m->line); !ok) return ok;
    }
    return {};
  }

  file_loader& f_;
  simdjson::padded_string text_;
  simdjson::ondemand::parser parser_;
  simdjson::ondemand::document* doc_ = nullptr;
};

}  // namespace

result<void> load_json(file_loader& f, std::string_view text) {
  return json_loader(f, text).load();
}

// pydantic settings read list fields from the environment as JSON, so `["a","b"]` is a list too.
std::optional<std::vector<std::string>> json_string_array(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::array array;
  if (parser.parse(text.data(), text.size()).get(array)) return std::nullopt;
  std::vector<std::string> out;
  for (simdjson::dom::element e : array) {
    std::string_view item;
    if (e.get_string().get(item)) return std::nullopt;
    out.emplace_back(item);
  }
  return out;
}

}  // namespace jwtfort::detail
