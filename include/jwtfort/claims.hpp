#pragma once
/// `claims`: the JSON object a signer puts in a token. Registered claims have typed setters;
/// any other claim takes a string, number, boolean or raw JSON. Member order is kept; setting a
/// name twice replaces the earlier value (so a token never carries duplicate members).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jwtfort/clock.hpp"
#include "jwtfort/export.hpp"
#include "jwtfort/result.hpp"

namespace jwtfort {

class JWTFORT_API claims {
 public:
  claims() = default;

  /// Parses a JSON object into claims. Errors: invalid_json, duplicate_member, json_too_complex.
  /// Example: `auto c = claims::from_json(R"({"sub":"alice","roles":["admin"]})");`
  static result<claims> from_json(std::string_view object_json);

  claims& subject(std::string_view sub) { return set("sub", sub); }
  claims& issuer(std::string_view iss) { return set("iss", iss); }
  claims& audience(std::string_view aud) { return set("aud", aud); }
  /// `aud` as an array of strings.
  claims& audience(const std::vector<std::string>& aud);
  claims& jwt_id(std::string_view jti) { return set("jti", jti); }
  /// A random `jti` (`random_uuid()`); left unset in the unlikely case the random source fails.
  claims& random_jwt_id();
  claims& expires_at(std::int64_t unix_seconds) { return set("exp", unix_seconds); }
  claims& not_before(std::int64_t unix_seconds) { return set("nbf", unix_seconds); }
  claims& issued_at(std::int64_t unix_seconds) { return set("iat", unix_seconds); }
  /// Sets `iat` to now, read once from `now`.
  claims& issued_now(const jwtfort::clock& now = system_now) { return issued_at(now()); }
  /// Sets `exp` to now + `seconds`, read once from `now`.
  claims& expires_in(std::int64_t seconds, const jwtfort::clock& now = system_now) {
    return expires_at(now() + seconds);
  }

  claims& set(std::string_view name, std::string_view value);
  claims& set(std::string_view name, const char* value) {
    return set(name, std::string_view(value));
  }
  claims& set(std::string_view name, std::int64_t value);
  claims& set(std::string_view name, int value) { return set(name, std::int64_t{value}); }
  claims& set(std::string_view name, double value);
  claims& set(std::string_view name, bool value);
  /// Sets any JSON value given as text, e.g. `set_json("roles", R"(["a","b"])")`.
  /// Errors: invalid_json, duplicate_member, json_too_complex.
  result<void> set_json(std::string_view name, std::string_view json_value);

  /// True when `name` is present.
  bool contains(std::string_view name) const noexcept;
  /// Removes `name` if present.
  void erase(std::string_view name);
  /// The JSON text of one member's value, or empty when absent.
  std::string_view json_of(std::string_view name) const noexcept;
  /// A string member's value, escapes resolved; nullopt when absent or not a string.
  /// Example: `claims::from_json(R"({"typ":"at+jwt"})")->string_value("typ")` is `"at+jwt"`.
  std::optional<std::string> string_value(std::string_view name) const;
  /// Members as (name, JSON value text) pairs, in order.
  const std::vector<std::pair<std::string, std::string>>& members() const noexcept {
    return members_;
  }

  /// The compact JSON object.
  std::string to_json() const;

 private:
  claims& put(std::string_view name, std::string json_value);
  std::vector<std::pair<std::string, std::string>> members_;
};

/// A random version 4 UUID (RFC 9562) from the OS random source, as fastapi-jwt-auth's `jti`.
/// Errors: internal_error when the random source fails.
JWTFORT_API result<std::string> random_uuid();

/// Appends `text` to `out` as a JSON string literal (quotes and escapes included).
JWTFORT_API void append_json_string(std::string& out, std::string_view text);

}  // namespace jwtfort
