#include "jwtfort/claims.hpp"

#include <charconv>
#include <cmath>

#include "core/json.hpp"
#include "crypto/crypto.hpp"

namespace jwtfort {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

result<claims> claims::from_json(std::string_view object_json) {
  auto o = json::parse_object(json::slot::scratch, object_json, json::claims_limits);
  if (!o) return o.error();
  claims c;
  for (auto field : *o)
    c.members_.emplace_back(std::string(field.name), json::to_text(field.value));
  return c;
}

claims& claims::put(std::string_view name, std::string json_value) {
  for (auto& [n, v] : members_)
    if (n == name) {
      v = std::move(json_value);
      return *this;
    }
  members_.emplace_back(std::string(name), std::move(json_value));
  return *this;
}

claims& claims::set(std::string_view name, std::string_view value) {
  std::string text;
  append_json_string(text, value);
  return put(name, std::move(text));
}

claims& claims::set(std::string_view name, std::int64_t value) {
  return put(name, std::to_string(value));
}

claims& claims::set(std::string_view name, double value) {
  // JSON has no NaN or infinity; such a value becomes null rather than an unparsable token.
  if (!std::isfinite(value)) return put(name, "null");
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return put(name, std::string(buf, end));
}

claims& claims::set(std::string_view name, bool value) {
  return put(name, value ? "true" : "false");
}

claims& claims::audience(const std::vector<std::string>& aud) {
  std::string text = "[";
  for (const auto& a : aud) {
    if (text.size() > 1) text += ',';
    append_json_string(text, a);
  }
  text += ']';
  return put("aud", std::move(text));
}

result<std::string> random_uuid() {
  // A version 4 UUID, the form fastapi-jwt-auth issues, so jti values look alike across issuers.
  unsigned char b[16];
  if (!crypto::random_bytes(b)) return error(errc::internal_error, "the OS random source failed");
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static constexpr char hex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id += '-';
    id += hex[b[i] >> 4];
    id += hex[b[i] & 15];
  }
  return id;
}

claims& claims::random_jwt_id() {
  if (auto id = random_uuid()) jwt_id(*id);
  return *this;
}

result<void> claims::set_json(std::string_view name, std::string_view json_value) {
  auto v = json::parse_value(json::slot::scratch, json_value, json::claims_limits);
  if (!v) return v.error();
  put(name, json::to_text(*v));
  return {};
}

bool claims::contains(std::string_view name) const noexcept {
  for (const auto& m : members_)
    if (m.first == name) return true;
  return false;
}

void claims::erase(std::string_view name) {
  std::erase_if(members_, [name](const auto& m) { return m.first == name; });
}

std::string_view claims::json_of(std::string_view name) const noexcept {
  for (const auto& m : members_)
    if (m.first == name) return m.second;
  return {};
}

std::optional<std::string> claims::string_value(std::string_view name) const {
  const std::string_view text = json_of(name);
  if (text.empty()) return std::nullopt;
  auto v = json::parse_value(json::slot::scratch, text, json::claims_limits);
  if (!v) return std::nullopt;
  auto s = v->as_string();
  if (!s) return std::nullopt;
  return std::string(*s);
}

std::string claims::to_json() const {
  std::string out = "{";
  for (const auto& [name, value] : members_) {
    if (out.size() > 1) out += ',';
    append_json_string(out, name);
    out += ':';
    out += value;
  }
  out += '}';
  return out;
}

}  // namespace jwtfort
