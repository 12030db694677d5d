#include "json_writer.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "jwtfort/claims.hpp"

namespace jwtfort::cli {

void json_object::key(std::string_view name) {
  if (out_.size() > 1) out_ += ',';
  append_json_string(out_, name);
  out_ += ':';
}

json_object& json_object::text(std::string_view name, std::string_view value) {
  key(name);
  append_json_string(out_, value);
  return *this;
}

json_object& json_object::number(std::string_view name, std::uint64_t value) {
  key(name);
  out_ += std::to_string(value);
  return *this;
}

json_object& json_object::texts(std::string_view name, std::span<const std::string> values) {
  key(name);
  out_ += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out_ += ',';
    append_json_string(out_, values[i]);
  }
  out_ += ']';
  return *this;
}

json_object& json_object::raw(std::string_view name, std::string_view json) {
  key(name);
  out_ += json;
  return *this;
}

std::string json_object::str() {
  out_ += '}';
  return std::move(out_);
}

namespace {

// The elements of compact array text "[a,b,...]": split at the commas outside strings and
// nested values.
std::vector<std::string_view> array_elements(std::string_view array) {
  std::vector<std::string_view> out;
  std::string_view inner = array.substr(1, array.size() - 2);
  std::size_t start = 0, depth = 0;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < inner.size(); ++i) {
    const char c = inner[i];
    if (escaped) {
      escaped = false;
    } else if (in_string) {
      escaped = c == '\\';
      in_string = c != '"';
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',' && depth == 0) {
      out.push_back(inner.substr(start, i - start));
      start = i + 1;
    }
  }
  if (!inner.empty()) out.push_back(inner.substr(start));
  return out;
}

void append_sorted(std::string& out, std::string_view json) {
  // RFC 8259 §2: whitespace may surround any value; a token's own text may carry it.
  const auto start = json.find_first_not_of(" \t\n\r");
  json = start == std::string_view::npos
             ? std::string_view()
             : json.substr(start, json.find_last_not_of(" \t\n\r") - start + 1);
  if (json.starts_with('[')) {
    out += '[';
    bool first = true;
    for (std::string_view element : array_elements(json)) {
      if (!std::exchange(first, false)) out += ',';
      append_sorted(out, element);
    }
    out += ']';
    return;
  }
  // claims::from_json is the library's strict object reader; it hands back each member's value
  // as compact JSON text. Anything else is a scalar, compact already.
  auto object = json.starts_with('{') ? claims::from_json(json) : error(errc::invalid_json);
  if (!object) {
    out += json;
    return;
  }
  auto members = object->members();
  std::sort(members.begin(), members.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  out += '{';
  bool first = true;
  for (const auto& [name, value] : members) {
    if (!std::exchange(first, false)) out += ',';
    append_json_string(out, name);
    out += ':';
    append_sorted(out, value);
  }
  out += '}';
}

}  // namespace

std::string sorted_json(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  append_sorted(out, json);
  return out;
}

}  // namespace jwtfort::cli
