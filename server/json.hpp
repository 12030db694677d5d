#pragma once
// JSON in and out of the reference server. Out: a small writer, so every value is escaped by one
// rule. In: request bodies read as strict, flat objects of known members.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace jwtfort::server::json {

/// Appends `value` as a JSON string (RFC 8259 §7): quotes, backslash and control characters
/// escaped, bytes that are not UTF-8 replaced by U+FFFD so the output is always valid JSON text.
void append_string(std::string& out, std::string_view value);

/// Builds one JSON object, member by member, in order.
///
/// Example:
///   std::string body = json::object().text("user", sub).boolean("fresh", true).str();
class object {
 public:
  object() : out_("{") {}

  object& text(std::string_view name, std::string_view value);
  object& number(std::string_view name, std::int64_t value);
  /// The number, or `null` when absent.
  object& number_or_null(std::string_view name, std::optional<std::int64_t> value);
  object& boolean(std::string_view name, bool value);
  object& null(std::string_view name);
  object& texts(std::string_view name, std::span<const std::string> values);

  /// The finished object text; the object is used up.
  std::string str();

 private:
  void key(std::string_view name);
  std::string out_;
};

/// A member a request body may carry. Exactly one of the outputs is set, by its type.
struct member {
  std::string_view name;
  bool required = false;
  std::string* text = nullptr;          ///< a string member
  std::optional<bool>* flag = nullptr;  ///< a boolean member
};

/// Reads `body` as one JSON object whose listed members have the listed types; other members
/// are ignored. A listed member given twice is refused: two parsers of one body must not see
/// different values. Returns nullopt on success, else the client-facing reason, naming the
/// member ("username: field required").
std::optional<std::string> read_object(std::string_view body, std::span<const member> members);

}  // namespace jwtfort::server::json
