// The `.env` format of settings files: no parser library, python-dotenv's rules.
#include <algorithm>

#include "service/settings_sources.hpp"

namespace jwtfort::detail {
namespace {

// Where the reader is in the text, and on which line.
struct cursor {
  std::string_view text;
  std::size_t pos = 0;
  std::size_t line = 1;
};

// The value quoted from `open` (the index of its quote), which may span lines: '…' as is, "…"
// with \n \t \" \\ escapes. Moves the cursor past the line of the closing quote.
result<std::string> quoted(const file_loader& f, cursor& at, std::size_t open,
                           std::size_t first_line) {
  const std::string_view text = at.text;
  const char quote = text[open];
  std::string out;
  std::size_t i = open + 1;
  for (; i < text.size() && text[i] != quote; ++i) {
    char ch = text[i];
    if (quote == '"' && ch == '\\' && i + 1 < text.size() &&
        std::string_view("nt\"\\").find(text[i + 1]) != std::string_view::npos) {
      ch = text[++i];
      ch = ch == 'n' ? '\n' : ch == 't' ? '\t' : ch;
    }
    if (text[i] == '\n') ++at.line;
    out += ch;
  }
  if (i >= text.size()) return f.fail(first_line, "syntax error: unterminated quote");
  const std::size_t eol = std::min(text.find('\n', i), text.size());
  const std::string_view after = trim(text.substr(i + 1, eol - i - 1));
  if (!after.empty() && after.front() != '#')
    return f.fail(at.line, "syntax error: unexpected text after the closing quote");
  at.pos = eol + 1;
  return out;
}

}  // namespace

// KEY=VALUE lines as python-dotenv reads them, without variable expansion: `#` comments,
// `export `, quoted values (see `quoted`), an unquoted value ends at " #".
result<void> load_env(file_loader& f, std::string_view text) {
  for (cursor at{text}; at.pos < text.size(); ++at.line) {
    const std::size_t first_line = at.line;
    const std::size_t eol = std::min(text.find('\n', at.pos), text.size());
    std::string_view entry = trim(text.substr(at.pos, eol - at.pos));
    at.pos = eol + 1;
    if (entry.empty() || entry.front() == '#') continue;
    if (entry.starts_with("export ")) entry = trim(entry.substr(7));
    const std::size_t eq = entry.find('=');
    if (eq == std::string_view::npos || trim(entry.substr(0, eq)).empty())
      return f.fail(at.line, "syntax error: expected KEY=VALUE");
    const std::string_view rest = trim(entry.substr(eq + 1));
    setting_value v;
    if (rest.empty() || (rest.front() != '"' && rest.front() != '\'')) {
      v.text = trim(rest.substr(0, rest.find(" #")));
    } else {
      auto value = quoted(f, at, static_cast<std::size_t>(rest.data() - text.data()), first_line);
      if (!value) return value.error();
      v.text = std::move(*value);
    }
    if (auto ok = f.apply(trim(entry.substr(0, eq)), "", v, first_line); !ok) return ok;
  }
  return {};
}

}  // namespace jwtfort::detail
