#include "json.hpp"

#include <simdjson.h>

#include <charconv>
#include <cstddef>

namespace jwtfort::server::json {
namespace {

// Bytes in a well-formed UTF-8 sequence starting at `s[0]` (RFC 3629 §4), or 0 when it is not
// one: overlongs, surrogates and code points above U+10FFFF included.
std::size_t utf8_sequence(std::string_view s) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto continuation = [&](std::size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
  const unsigned char lead = b(0);
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (lead == 0xE0 && b(1) < 0xA0) return 0;  // overlong
    if (lead == 0xED && b(1) > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (lead == 0xF0 && b(1) < 0x90) return 0;  // overlong
    if (lead == 0xF4 && b(1) > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

void append_escaped_ascii(std::string& out, char c) {
  static constexpr char hex[] = "0123456789abcdef";
  const auto u = static_cast<unsigned char>(c);
  switch (c) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: break;
  }
  if (u < 0x20 || u == 0x7f) {
    out.append("\\u00").append(1, hex[u >> 4]).append(1, hex[u & 15]);
  } else {
    out += c;
  }
}

}  // namespace

void append_string(std::string& out, std::string_view value) {
  out += '"';
  while (!value.empty()) {
    const std::size_t n = utf8_sequence(value);
    if (n == 1) {
      append_escaped_ascii(out, value.front());
    } else if (n == 0) {
      out += "\\ufffd";
    } else {
      out.append(value.substr(0, n));
    }
    value.remove_prefix(n == 0 ? 1 : n);
  }
  out += '"';
}

void object::key(std::string_view name) {
  if (out_.size() > 1) out_ += ',';
  append_string(out_, name);
  out_ += ':';
}

object& object::text(std::string_view name, std::string_view value) {
  key(name);
  append_string(out_, value);
  return *this;
}

object& object::number(std::string_view name, std::int64_t value) {
  key(name);
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out_.append(digits, end);
  return *this;
}

object& object::number_or_null(std::string_view name, std::optional<std::int64_t> value) {
  return value ? number(name, *value) : null(name);
}

object& object::boolean(std::string_view name, bool value) {
  key(name);
  out_ += value ? "true" : "false";
  return *this;
}

object& object::null(std::string_view name) {
  key(name);
  out_ += "null";
  return *this;
}

object& object::texts(std::string_view name, std::span<const std::string> values) {
  key(name);
  out_ += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out_ += ',';
    append_string(out_, values[i]);
  }
  out_ += ']';
  return *this;
}

std::string object::str() {
  out_ += '}';
  return std::move(out_);
}

std::optional<std::string> read_object(std::string_view body, std::span<const member> members) {
  // One parser per thread: its buffers are reused from request to request.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element document;
  if (parser.parse(body.data(), body.size()).get(document) != simdjson::SUCCESS)
    return "body: invalid JSON";
  simdjson::dom::object fields;
  if (document.get_object().get(fields) != simdjson::SUCCESS) return "body: expected a JSON object";

  std::vector<bool> seen(members.size(), false);
  for (const auto field : fields) {
    for (std::size_t i = 0; i < members.size(); ++i) {
      const member& m = members[i];
      if (field.key != m.name) continue;
      const std::string where(m.name);
      if (seen[i]) return where + ": given more than once";
      seen[i] = true;
      if (m.text != nullptr) {
        std::string_view value;
        if (field.value.get_string().get(value) != simdjson::SUCCESS)
          return where + ": expected a string";
        m.text->assign(value);
      } else if (m.flag != nullptr) {
        bool value = false;
        if (field.value.get_bool().get(value) != simdjson::SUCCESS)
          return where + ": expected a boolean";
        *m.flag = value;
      }
    }
  }
  for (std::size_t i = 0; i < members.size(); ++i)
    if (members[i].required && !seen[i]) return std::string(members[i].name) + ": field required";
  return std::nullopt;
}

}  // namespace jwtfort::server::json
