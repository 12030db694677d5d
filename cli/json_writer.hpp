#pragma once
/// The JSON the tool prints, written with the library's string escaping (`append_json_string`):
/// a small object builder, and verified header and claims with their members in name order.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace jwtfort::cli {

/// Builds one JSON object, member by member, in the order given.
///
/// Example: `json_object().text("revoked", "subject").text("sub", sub).str()`
class json_object {
 public:
  json_object() : out_("{") {}

  json_object& text(std::string_view name, std::string_view value);
  json_object& number(std::string_view name, std::uint64_t value);
  json_object& texts(std::string_view name, std::span<const std::string> values);
  /// `json` must be valid JSON text; it is copied as it is.
  json_object& raw(std::string_view name, std::string_view json);

  /// The finished object text; the builder is used up.
  std::string str();

 private:
  void key(std::string_view name);
  std::string out_;
};

/// `json` (valid JSON text, as the library hands it out) compact, with the members of every
/// object sorted by name: the form `token verify` prints header and claims in.
std::string sorted_json(std::string_view json);

}  // namespace jwtfort::cli
