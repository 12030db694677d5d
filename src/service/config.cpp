// Settings from the environment, a lookup function or a file. One table maps every name to the
// parser of its field; all sources hand raw texts (or array items) to that table, so a value
// means the same in an environment variable, a `.env` line, TOML and JSON.
#include "jwtfort/config.hpp"

#include <simdjson.h>
#include <toml++/toml.h>
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
#include <type_traits>

namespace jwtfort {
namespace {

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

// A setting as a source gives it: one text, or the items of a TOML/JSON array.
struct raw_value {
  std::string text;
  std::optional<std::vector<std::string>> items;
};

struct setting;
using parse_fn = result<void> (*)(config&, const setting&, const raw_value&);

struct setting {
  std::string_view name;  // the environment name, e.g. "AUTHJWT_SECRET_KEY"
  parse_fn parse;
  bool secret = false;  // the value never appears in a message
};

error invalid(const setting& s, std::string_view reason, std::string_view value) {
  std::string message = std::string(s.name) + ": " + std::string(reason);
  if (!s.secret) message += ", got '" + std::string(value) + "'";
  return error(errc::invalid_configuration, std::move(message));
}

// --- converters: one trimmed text -> one value ----------------------------------------------

result<std::string> any_text(const setting&, std::string_view v) { return std::string(v); }

// fastapi-jwt-auth's strings have min_anystr_length = 1.
result<std::string> text(const setting& s, std::string_view v) {
  if (v.empty()) return invalid(s, "must not be empty", v);
  return std::string(v);
}

result<std::string> url(const setting& s, std::string_view v) {
  if (!v.empty() && !v.starts_with("https://") && !v.starts_with("http://"))
    return invalid(s, "expected an https:// URL", v);
  return std::string(v);
}

result<bool> boolean(const setting& s, std::string_view v) {
  const std::string word = folded(v, false);
  if (word == "true" || word == "1" || word == "yes") return true;
  if (word == "false" || word == "0" || word == "no") return false;
  return invalid(s, "expected true/false, 1/0 or yes/no", v);
}

// A lifetime or max-age beyond this is a typo, and keeps `now + seconds` far from overflowing.
constexpr std::int64_t max_seconds = 100LL * 365 * 86400;

template <std::int64_t Lo, std::int64_t Hi>
result<std::int64_t> integer(const setting& s, std::string_view v) {
  std::int64_t n = 0;
  const char* end = v.data() + v.size();
  if (v.empty() || std::from_chars(v.data(), end, n).ptr != end)
    return invalid(s, "expected an integer", v);
  if (n < Lo && Lo == 1) return invalid(s, "must be > 0", v);
  if (n < Lo || n > Hi)
    return invalid(s, "must be " + std::to_string(Lo) + ".." + std::to_string(Hi), v);
  return n;
}

result<std::optional<std::int64_t>> expiry(const setting& s, std::string_view v) {
  const std::string word = folded(v, false);
  if (word == "false") return std::optional<std::int64_t>();
  // As fastapi-jwt-auth ("only accept value False"): `true` names no lifetime at all.
  if (word == "true") return invalid(s, "only false (no exp) is accepted as a boolean", v);
  if (v.empty() || v.find_first_not_of("-0123456789") != std::string_view::npos)
    return invalid(s, "expected seconds or false", v);
  auto n = integer<1, max_seconds>(s, v);
  if (!n) return n.error();
  return std::optional<std::int64_t>(*n);
}

// An optional setting: an empty value leaves it unset.
template <auto Convert>
auto maybe(const setting& s, std::string_view v)
    -> result<std::optional<std::remove_cvref_t<decltype(*Convert(s, v))>>> {
  using value_type = std::remove_cvref_t<decltype(*Convert(s, v))>;
  if (v.empty()) return std::optional<value_type>();
  auto x = Convert(s, v);
  if (!x) return x.error();
  return std::optional<value_type>(std::move(*x));
}

constexpr std::string_view locations[] = {"headers", "cookies"};
constexpr std::string_view samesites[] = {"strict", "lax", "none"};
constexpr std::string_view log_formats[] = {"json", "off"};
constexpr std::string_view methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"};

template <const auto& Allowed, bool Upper = false>
result<std::string> one_of(const setting& s, std::string_view v) {
  std::string word = folded(v, Upper), all;
  for (std::string_view a : Allowed) {
    if (a == word) return word;
    all += (all.empty() ? "" : ", ") + std::string(a);
  }
  return invalid(s, "must be one of " + all, v);
}

result<token_type> token_kind(const setting& s, std::string_view v) {
  const std::string word = folded(v, false);
  if (word == "access") return token_type::access;
  if (word == "refresh") return token_type::refresh;
  return invalid(s, "must be one of access, refresh", v);
}

result<algorithm> jws_algorithm(const setting& s, std::string_view v) {
  if (auto alg = algorithm_from_string(v)) return *alg;
  return invalid(s, "expected a JWS algorithm name such as HS256, RS256, ES256 or EdDSA", v);
}

// --- setters: raw value -> field -------------------------------------------------------------

template <auto Field, auto Convert>
result<void> one(config& c, const setting& s, const raw_value& v) {
  if (v.items) return invalid(s, "expected one value, not a list", joined(*v.items));
  auto x = Convert(s, trim(v.text));
  if (!x) return x.error();
  c.*Field = std::move(*x);
  return {};
}

// pydantic settings read list fields from the environment as JSON, so `["a","b"]` is a list too.
std::optional<std::vector<std::string>> json_strings(std::string_view text) {
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

result<std::vector<std::string>> items_of(const setting& s, const raw_value& v) {
  const std::string_view text = trim(v.text);
  std::vector<std::string> items;
  if (v.items) {
    items = *v.items;
  } else if (text.starts_with('[')) {
    auto parsed = json_strings(text);
    if (!parsed) return invalid(s, "expected a JSON array of strings", text);
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
    if (item.empty()) return invalid(s, "has an empty item", v.items ? joined(*v.items) : text);
  }
  return items;
}

template <auto Field, auto Convert, bool Required>
result<void> many(config& c, const setting& s, const raw_value& v) {
  auto texts = items_of(s, v);
  if (!texts) return texts.error();
  if (Required && texts->empty()) return invalid(s, "must not be empty", v.text);
  std::remove_reference_t<decltype(c.*Field)> out;
  for (const auto& t : *texts) {
    auto x = Convert(s, t);
    if (!x) return x.error();
    out.push_back(std::move(*x));
  }
  c.*Field = std::move(out);
  return {};
}

using cfg = config;
// clang-format off
constexpr setting settings[] = {
  {"AUTHJWT_TOKEN_LOCATION", many<&cfg::token_location, one_of<locations>, true>},
  {"AUTHJWT_SECRET_KEY", one<&cfg::secret_key, any_text>, true},
  {"AUTHJWT_PUBLIC_KEY", one<&cfg::public_key, any_text>},
  {"AUTHJWT_PRIVATE_KEY", one<&cfg::private_key, any_text>, true},
  {"AUTHJWT_ALGORITHM", one<&cfg::alg, jws_algorithm>},
  {"AUTHJWT_DECODE_ALGORITHMS", many<&cfg::decode_algorithms, jws_algorithm, false>},
  {"AUTHJWT_DECODE_LEEWAY", one<&cfg::decode_leeway, integer<0, 300>>},
  {"AUTHJWT_ENCODE_ISSUER", one<&cfg::encode_issuer, maybe<any_text>>},
  {"AUTHJWT_DECODE_ISSUER", one<&cfg::decode_issuer, maybe<any_text>>},
  {"AUTHJWT_DECODE_AUDIENCE", many<&cfg::decode_audience, any_text, false>},
  {"AUTHJWT_DENYLIST_ENABLED", one<&cfg::denylist_enabled, boolean>},
  {"AUTHJWT_DENYLIST_TOKEN_CHECKS", many<&cfg::denylist_token_checks, token_kind, true>},
  {"AUTHJWT_HEADER_NAME", one<&cfg::header_name, text>},
  {"AUTHJWT_HEADER_TYPE", one<&cfg::header_type, any_text>},
  {"AUTHJWT_ACCESS_TOKEN_EXPIRES", one<&cfg::access_token_expires, expiry>},
  {"AUTHJWT_REFRESH_TOKEN_EXPIRES", one<&cfg::refresh_token_expires, expiry>},
  {"AUTHJWT_ACCESS_COOKIE_KEY", one<&cfg::access_cookie_key, text>},
  {"AUTHJWT_REFRESH_COOKIE_KEY", one<&cfg::refresh_cookie_key, text>},
  {"AUTHJWT_ACCESS_COOKIE_PATH", one<&cfg::access_cookie_path, text>},
  {"AUTHJWT_REFRESH_COOKIE_PATH", one<&cfg::refresh_cookie_path, text>},
  {"AUTHJWT_COOKIE_MAX_AGE", one<&cfg::cookie_max_age, maybe<integer<1, max_seconds>>>},
  {"AUTHJWT_COOKIE_DOMAIN", one<&cfg::cookie_domain, maybe<any_text>>},
  {"AUTHJWT_COOKIE_SECURE", one<&cfg::cookie_secure, boolean>},
  {"AUTHJWT_COOKIE_SAMESITE", one<&cfg::cookie_samesite, maybe<one_of<samesites>>>},
  {"AUTHJWT_COOKIE_CSRF_PROTECT", one<&cfg::cookie_csrf_protect, boolean>},
  {"AUTHJWT_ACCESS_CSRF_COOKIE_KEY", one<&cfg::access_csrf_cookie_key, text>},
  {"AUTHJWT_REFRESH_CSRF_COOKIE_KEY", one<&cfg::refresh_csrf_cookie_key, text>},
  {"AUTHJWT_ACCESS_CSRF_COOKIE_PATH", one<&cfg::access_csrf_cookie_path, text>},
  {"AUTHJWT_REFRESH_CSRF_COOKIE_PATH", one<&cfg::refresh_csrf_cookie_path, text>},
  {"AUTHJWT_ACCESS_CSRF_HEADER_NAME", one<&cfg::access_csrf_header_name, text>},
  {"AUTHJWT_REFRESH_CSRF_HEADER_NAME", one<&cfg::refresh_csrf_header_name, text>},
  {"AUTHJWT_CSRF_METHODS", many<&cfg::csrf_methods, one_of<methods, true>, true>},
  {"JWTFORT_STORE_URL", one<&cfg::store_url, text>},
  {"JWTFORT_STORE_FAIL_OPEN", one<&cfg::store_fail_open, boolean>},
  {"JWTFORT_SECRET_KEY_FILE", one<&cfg::secret_key_file, any_text>},
  {"JWTFORT_PRIVATE_KEY_FILE", one<&cfg::private_key_file, any_text>},
  {"JWTFORT_PUBLIC_KEY_FILE", one<&cfg::public_key_file, any_text>},
  {"JWTFORT_KEY_RING_FILE", one<&cfg::key_ring_file, any_text>},
  {"JWTFORT_JWKS_URL", one<&cfg::jwks_url, url>},
  {"JWTFORT_ISSUER", one<&cfg::issuer, maybe<any_text>>},
  {"JWTFORT_AUDIENCE", many<&cfg::audience, any_text, false>},
  {"JWTFORT_LEEWAY", one<&cfg::leeway, maybe<integer<0, 300>>>},
  {"JWTFORT_REFRESH_REUSE_GRACE", one<&cfg::refresh_reuse_grace, integer<0, 300>>},
  {"JWTFORT_ALLOW_WEAK_SECRET", one<&cfg::allow_weak_secret, boolean>},
  {"JWTFORT_DATA_DIR", one<&cfg::data_dir, text>},
  {"JWTFORT_LISTEN", one<&cfg::listen, text>},
  {"JWTFORT_THREADS", one<&cfg::threads, integer<0, 256>>},
  {"JWTFORT_LOGIN_ATTEMPTS_PER_USER", one<&cfg::login_attempts_per_user, integer<1, 100000>>},
  {"JWTFORT_LOGIN_ATTEMPTS_PER_ADDRESS", one<&cfg::login_attempts_per_address, integer<1, 100000>>},
  {"JWTFORT_LOGIN_WINDOW", one<&cfg::login_window, integer<1, 86400>>},
  {"JWTFORT_TRUST_FORWARDED_FOR", one<&cfg::trust_forwarded_for, boolean>},
  {"JWTFORT_LOG", one<&cfg::log, one_of<log_formats>>},
  {"JWTFORT_MAX_CONNECTIONS", one<&cfg::max_connections, integer<0, 1000000>>},
  {"JWTFORT_MAX_CONNECTIONS_PER_ADDRESS", one<&cfg::max_connections_per_address, integer<0, 1000000>>},
  {"JWTFORT_HEADER_TIMEOUT", one<&cfg::header_timeout, integer<1, 300>>},
  {"JWTFORT_IDLE_TIMEOUT", one<&cfg::idle_timeout, integer<1, 3600>>},
  {"JWTFORT_VERIFIED_CACHE_ENTRIES", one<&cfg::verified_cache_entries, integer<0, 16777216>>},
  {"JWTFORT_VERIFIED_CACHE_BYTES", one<&cfg::verified_cache_bytes, integer<0, 68719476736>>},
};
// clang-format on

constexpr std::size_t prefix_size = 8;  // "AUTHJWT_" and "JWTFORT_"

const setting* find_exact(std::string_view name) {
  for (const setting& s : settings)
    if (s.name == name) return &s;
  return nullptr;
}

// A file key: with or without its prefix, any case; inside a table, the table's prefix.
const setting* find_in_file(std::string_view written, std::string_view table) {
  const std::string key = folded(written, true);
  std::string_view prefix = table;
  std::string_view field = key;
  if (key.starts_with("AUTHJWT_") || key.starts_with("JWTFORT_")) {
    if (!table.empty() && !key.starts_with(table)) return nullptr;
    prefix = std::string_view(key).substr(0, prefix_size);
    field.remove_prefix(prefix_size);
  }
  for (const setting& s : settings)
    if (s.name.substr(prefix_size) == field && (prefix.empty() || s.name.starts_with(prefix)))
      return &s;
  return nullptr;
}

// Every AUTHJWT_*/JWTFORT_* variable must be a setting: a misspelt name would otherwise keep the
// default without a word. Values are not shown: the variable may be a misspelt secret.
result<void> check_environment_names() {
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view name(*entry);
    name = name.substr(0, name.find('='));
    const std::string upper = folded(name, true);
    if (!upper.starts_with("AUTHJWT_") && !upper.starts_with("JWTFORT_")) continue;
    if (find_exact(name) != nullptr) continue;
    const std::string reason = find_exact(upper) != nullptr
                                   ? "environment names are upper case, expected " + upper
                                   : "unknown setting";
    return error(errc::invalid_configuration, std::string(name) + ": " + reason);
  }
  return {};
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

// --- files -----------------------------------------------------------------------------------

// Applies the settings of one file, with the place of each for messages.
class file_loader {
 public:
  explicit file_loader(std::string path) : path_(std::move(path)) {}

  error fail(std::size_t line, std::string_view message) const {
    const std::string place = line > 0 ? path_ + ":" + std::to_string(line) : path_;
    return error(errc::invalid_configuration, place + ": " + std::string(message));
  }

  result<void> apply(std::string_view key, std::string_view table, const raw_value& v,
                     std::size_t line) {
    const setting* s = find_in_file(key, table);
    if (s == nullptr) return fail(line, std::string(key) + ": unknown setting");
    if (std::find(seen_.begin(), seen_.end(), s) != seen_.end())
      return fail(line, std::string(s->name) + ": set twice");
    seen_.push_back(s);
    if (auto ok = s->parse(config_, *s, v); !ok) return fail(line, ok.error().message);
    return {};
  }

  // The prefix the table `key` stands for: only top-level [authjwt] and [jwtfort] exist.
  result<std::string> table(std::string_view key, std::string_view outer, std::size_t line) {
    std::string prefix = folded(key, true) + "_";
    if (!outer.empty() || (prefix != "AUTHJWT_" && prefix != "JWTFORT_"))
      return fail(line, std::string(key) + ": unknown table (expected authjwt or jwtfort)");
    if (std::find(tables_.begin(), tables_.end(), prefix) != tables_.end())
      return fail(line, std::string(key) + ": set twice");
    tables_.push_back(prefix);
    return prefix;
  }

  config& value() { return config_; }

 private:
  std::string path_;
  config config_;
  std::vector<const setting*> seen_;
  std::vector<std::string> tables_;
};

// KEY=VALUE lines as python-dotenv reads them, without variable expansion: `#` comments,
// `export `, '…' taken as is, "…" with \n \t \" \\ escapes; quoted values may span lines.
result<void> load_env(file_loader& f, std::string_view text) {
  std::size_t line = 1;
  for (std::size_t pos = 0; pos < text.size(); ++line) {
    const std::size_t first_line = line;
    std::size_t eol = std::min(text.find('\n', pos), text.size());
    std::string_view entry = trim(text.substr(pos, eol - pos));
    pos = eol + 1;
    if (entry.empty() || entry.front() == '#') continue;
    if (entry.starts_with("export ")) entry = trim(entry.substr(7));
    const std::size_t eq = entry.find('=');
    if (eq == std::string_view::npos || trim(entry.substr(0, eq)).empty())
      return f.fail(line, "syntax error: expected KEY=VALUE");
    const std::string_view key = trim(entry.substr(0, eq));
    std::string_view rest = trim(entry.substr(eq + 1));
    raw_value v;
    if (rest.empty() || (rest.front() != '"' && rest.front() != '\'')) {
      const std::size_t comment = rest.find(" #");
      v.text = trim(rest.substr(0, comment));
    } else {
      const char quote = rest.front();
      std::size_t i = static_cast<std::size_t>(rest.data() - text.data()) + 1;
      for (; i < text.size() && text[i] != quote; ++i) {
        char ch = text[i];
        if (quote == '"' && ch == '\\' && i + 1 < text.size() &&
            std::string_view("nt\"\\").find(text[i + 1]) != std::string_view::npos) {
          ch = text[++i];
          ch = ch == 'n' ? '\n' : ch == 't' ? '\t' : ch;
        }
        if (text[i] == '\n') ++line;
        v.text += ch;
      }
      if (i >= text.size()) return f.fail(first_line, "syntax error: unterminated quote");
      eol = std::min(text.find('\n', i), text.size());
      const std::string_view after = trim(text.substr(i + 1, eol - i - 1));
      if (!after.empty() && after.front() != '#')
        return f.fail(line, "syntax error: unexpected text after the closing quote");
      pos = eol + 1;
    }
    if (auto ok = f.apply(key, "", v, first_line); !ok) return ok;
  }
  return {};
}

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
    raw_value v;
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

result<void> load_toml(file_loader& f, std::string_view text, const std::string& path) {
  try {  // toml++ is built with exceptions; none may leave the library
    return load_toml_table(f, toml::parse(text, path), "");
  } catch (const toml::parse_error& e) {
    return f.fail(e.source().begin.line, "syntax error: " + std::string(e.description()));
  }
}

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

  error syntax(simdjson::error_code e) {
    const std::string_view text(text_.data(), text_.size());
    std::size_t line = 0;
    if (e == simdjson::UNCLOSED_STRING || e == simdjson::UNESCAPED_CHARS) {
      // Found before any position exists: the first line that ends inside a string.
      bool open = false;
      for (std::size_t i = 0; i < text.size() && line == 0; ++i) {
        if (open && text[i] == '\\')
          ++i;
        else if (text[i] == '"')
          open = !open;
        else if (text[i] == '\n' && open)
          line = line_of(text.data() + i);
      }
      if (line == 0) line = line_of(text.data() + text.size());
    } else if (e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) {
      line = line_of(text.data() + trim(text).size());  // the text ends too early
    } else if (doc_ != nullptr) {
      if (auto at = doc_->current_location(); !at.error()) line = line_of(at.value_unsafe());
    }
    return f_.fail(line, std::string("syntax error: ") + simdjson::error_message(e));
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

  result<void> object(simdjson::ondemand::object o, std::string_view table) {
    for (auto member : o) {
      simdjson::ondemand::field field;
      std::string_view key;
      simdjson::ondemand::json_type type;
      if (auto e = std::move(member).get(field)) return syntax(e);
      const std::size_t line = line_of(field.key().raw());
      if (auto e = field.unescaped_key().get(key)) return syntax(e);
      simdjson::ondemand::value v = field.value();
      if (auto e = v.type().get(type)) return syntax(e);
      raw_value raw;
      if (type == json_type::object) {
        simdjson::ondemand::object inner;
        auto prefix = f_.table(key, table, line);
        if (!prefix) return prefix.error();
        if (auto e = v.get_object().get(inner)) return syntax(e);
        if (auto ok = object(inner, *prefix); !ok) return ok;
        continue;
      }
      if (type == json_type::array) {
        simdjson::ondemand::array array;
        if (auto e = v.get_array().get(array)) return syntax(e);
        raw.items.emplace();
        for (auto element : array) {
          simdjson::ondemand::value item;
          if (auto e = element.get(item)) return syntax(e);
          if (auto e = item.type().get(type)) return syntax(e);
          if (auto ok = scalar(item, type, raw.items->emplace_back()); !ok) return ok;
        }
      } else if (auto ok = scalar(v, type, raw.text); !ok) {
        return ok;
      }
      if (auto ok = f_.apply(key, table, raw, line); !ok) return ok;
    }
    return {};
  }

  file_loader& f_;
  simdjson::padded_string text_;
  simdjson::ondemand::parser parser_;
  simdjson::ondemand::document* doc_ = nullptr;
};

// --- keys ------------------------------------------------------------------------------------

error named(errc code, std::string_view name, std::string_view reason) {
  return error(code, std::string(name) + ": " + std::string(reason));
}

// Key material given inline or in a file (not both), and the setting it came from.
struct material {
  std::string text;
  std::string_view name;
};

result<material> inline_or_file(std::string_view inline_name, const std::string& inline_text,
                                std::string_view file_name, const std::string& path) {
  if (path.empty()) return material{inline_text, inline_name};
  if (!inline_text.empty())
    return named(errc::invalid_configuration, file_name,
                 "cannot be set together with " + std::string(inline_name));
  auto text = read_text(path);
  if (!text)
    return named(errc::invalid_configuration, file_name,
                 text.error().message + ", got '" + path + "'");
  if (trim(*text).empty())
    return named(errc::invalid_configuration, file_name, "the file is empty, got '" + path + "'");
  return material{std::string(trim(*text)), file_name};
}

result<key_ring> ring_from_secret(const config& c) {
  auto secret = inline_or_file("AUTHJWT_SECRET_KEY", c.secret_key, "JWTFORT_SECRET_KEY_FILE",
                               c.secret_key_file);
  if (!secret) return secret.error();
  const std::string alg(to_string(c.alg));
  if (secret->text.empty())
    return named(errc::invalid_configuration, secret->name,
                 "must be set when AUTHJWT_ALGORITHM is " + alg);
  auto k = c.allow_weak_secret ? key::from_weak_secret_unsafe(secret->text, c.alg)
                               : key::from_secret(secret->text, c.alg);
  if (!k && k.code() == errc::weak_key) {
    const std::string bytes = alg == "HS256" ? "32" : alg == "HS384" ? "48" : "64";
    return named(errc::weak_key, secret->name,
                 "must be at least " + bytes + " bytes for " + alg +
                     " (JWTFORT_ALLOW_WEAK_SECRET=true accepts a weaker one, for migrations)");
  }
  if (!k) return named(k.code(), secret->name, k.error().message);
  return key_ring::from_key(std::move(*k));
}

result<key_ring> ring_from_pem(const config& c) {
  auto pem = inline_or_file("AUTHJWT_PRIVATE_KEY", c.private_key, "JWTFORT_PRIVATE_KEY_FILE",
                            c.private_key_file);
  if (!pem) return pem.error();
  if (pem->text.empty())
    return named(errc::invalid_configuration, pem->name,
                 "must be set when AUTHJWT_ALGORITHM is " + std::string(to_string(c.alg)) +
                     " (or JWTFORT_PRIVATE_KEY_FILE or JWTFORT_KEY_RING_FILE)");
  auto k = key::from_pem(pem->text, c.alg);
  if (!k) return named(k.code(), pem->name, k.error().message);
  auto pub = inline_or_file("AUTHJWT_PUBLIC_KEY", c.public_key, "JWTFORT_PUBLIC_KEY_FILE",
                            c.public_key_file);
  if (!pub) return pub.error();
  if (!pub->text.empty()) {
    auto p = key::from_pem(pub->text, c.alg);
    if (!p) return named(p.code(), pub->name, p.error().message);
    // Tokens signed by one half and checked with an unrelated other would all be refused.
    if (p->thumbprint() != k->thumbprint())
      return named(errc::invalid_key, pub->name,
                   "is not the public half of " + std::string(pem->name));
  }
  auto ring = key_ring::from_key(std::move(*k));
  if (!ring) return named(ring.code(), pem->name, ring.error().message);
  return ring;
}

result<key_ring> ring_from_file(const config& c) {
  auto jwks = inline_or_file({}, {}, "JWTFORT_KEY_RING_FILE", c.key_ring_file);
  if (!jwks) return jwks.error();
  auto ring = key_ring::from_jwks(jwks->text);
  if (!ring) return named(ring.code(), jwks->name, ring.error().message);
  return ring;
}

// Values a program assigned directly never went through a parser: run them through one now.
result<void> recheck(const config& c) {
  config scratch;
  auto again = [&scratch](std::string_view name, raw_value v) {
    const setting& s = *find_exact(name);
    return s.parse(scratch, s, v);
  };
  auto seconds = [](std::optional<std::int64_t> n, const char* none) {
    return raw_value{n ? std::to_string(*n) : none, {}};
  };
  for (const auto& ok : {
           again("AUTHJWT_TOKEN_LOCATION", {{}, c.token_location}),
           again("AUTHJWT_CSRF_METHODS", {{}, c.csrf_methods}),
           again("AUTHJWT_COOKIE_SAMESITE", {c.cookie_samesite.value_or(""), {}}),
           again("AUTHJWT_ACCESS_TOKEN_EXPIRES", seconds(c.access_token_expires, "false")),
           again("AUTHJWT_REFRESH_TOKEN_EXPIRES", seconds(c.refresh_token_expires, "false")),
           again("AUTHJWT_COOKIE_MAX_AGE", seconds(c.cookie_max_age, "")),
           again("AUTHJWT_DECODE_LEEWAY", seconds(c.decode_leeway, "")),
           again("JWTFORT_LEEWAY", seconds(c.leeway, "")),
           again("JWTFORT_REFRESH_REUSE_GRACE", seconds(c.refresh_reuse_grace, "")),
       })
    if (!ok) return ok;
  return {};
}

// The signing algorithm must be the active key's, and each accepted one some key's: a key serves
// one algorithm (RFC 8725 §3.1), so HS512 next to an HS256 secret would verify nothing.
result<void> check_algorithms(const config& c, const key_ring& ring) {
  const auto& keys = ring.keys().keys();
  std::string served;
  for (const key& k : keys)
    if (served.find(to_string(k.alg())) == std::string::npos)
      served += (served.empty() ? "" : ", ") + std::string(to_string(k.alg()));
  if (!ring.active().accepts(c.alg))
    return invalid(*find_exact("AUTHJWT_ALGORITHM"),
                   "must match the active key of JWTFORT_KEY_RING_FILE (" + served + ")",
                   to_string(c.alg));
  for (algorithm a : c.decode_algorithms)
    if (std::none_of(keys.begin(), keys.end(), [a](const key& k) { return k.accepts(a); }))
      return invalid(*find_exact("AUTHJWT_DECODE_ALGORITHMS"),
                     "must be the algorithm of a configured key (" + served + ")", to_string(a));
  return {};
}

}  // namespace

result<config> config::from_environment() {
  if (auto ok = check_environment_names(); !ok) return ok.error();
  return from_lookup([](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
}

result<config> config::from_lookup(
    const std::function<std::optional<std::string>(std::string_view)>& lookup) {
  config c;
  for (const setting& s : settings)
    if (auto value = lookup(s.name))
      if (auto ok = s.parse(c, s, raw_value{*value, {}}); !ok) return ok.error();
  return c;
}

result<config> config::from_file(const std::string& path) {
  auto text = read_text(path);
  if (!text) return error(errc::invalid_configuration, path + ": " + text.error().message);
  file_loader f(path);
  const std::string ext = folded(std::filesystem::path(path).extension().string(), false);
  auto loaded = ext == ".toml"   ? load_toml(f, *text, path)
                : ext == ".json" ? json_loader(f, *text).load()
                                 : load_env(f, *text);
  if (!loaded) return loaded.error();
  return std::move(f.value());
}

result<void> config::validate() const {
  if (auto ok = recheck(*this); !ok) return ok;
  auto ring = make_key_ring();
  if (!ring) return ring.error();
  return check_algorithms(*this, *ring);
}

result<key_ring> config::make_key_ring() const {
  if (!key_ring_file.empty()) return ring_from_file(*this);
  if (family_of(alg) == key_family::hmac) return ring_from_secret(*this);
  return ring_from_pem(*this);
}

token_service_options config::make_service_options() const {
  token_service_options o;
  // Empty lets the service take the active key's algorithm: `alg`, as validate() checks, or its
  // other EdDSA name, which is the one the signer writes.
  o.algorithms = decode_algorithms;
  o.access_lifetime = access_token_expires;
  o.refresh_lifetime = refresh_token_expires;
  o.encode_issuer = encode_issuer ? encode_issuer : issuer;
  o.decode_issuer = decode_issuer ? decode_issuer : issuer;
  o.audiences = decode_audience;
  for (const auto& a : audience)
    if (std::find(o.audiences.begin(), o.audiences.end(), a) == o.audiences.end())
      o.audiences.push_back(a);
  o.leeway_seconds = leeway.value_or(decode_leeway);
  o.csrf_claim = cookie_csrf_protect && std::find(token_location.begin(), token_location.end(),
                                                  "cookies") != token_location.end();
  // fastapi-jwt-auth checks the denylist only when it is enabled.
  o.revocation_checks = denylist_enabled ? denylist_token_checks : std::vector<token_type>{};
  o.reuse_grace_seconds = refresh_reuse_grace;
  return o;
}

std::string config::store_url_or_default() const {
  return store_url.empty() ? "sqlite://" + data_dir + "/tokens.db" : store_url;
}

}  // namespace jwtfort
