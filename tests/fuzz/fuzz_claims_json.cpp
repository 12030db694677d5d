// libFuzzer target: the input is a claims object's JSON text. The verifier's fast path
// (json::read_flat_object) and the full parser (json::parse_object) read it; whenever the fast
// path accepts, the full parser must accept too, with the same members in the same order and the
// same values. The fast path may decline anything; it must never be laxer.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/flat_json.hpp"
#include "core/json.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace jwtfort;

struct seen_member {
  std::string_view name;
  json::flat_value value;
};

// The values of a string array as the verifier reads them: the text between quote pairs.
std::vector<std::string_view> quoted_strings(std::string_view text) {
  std::vector<std::string_view> out;
  for (std::size_t open = text.find('"'); open != std::string_view::npos; open = text.find('"')) {
    const std::size_t close = text.find('"', open + 1);
    out.push_back(text.substr(open + 1, close - open - 1));
    text.remove_prefix(close + 1);
  }
  return out;
}

void expect_same_value(const json::flat_value& f, const json::value& v) {
  switch (f.kind) {
    case json::flat_value::string:
      fuzz::expect(v.as_string() == f.text, "string differs from the full parser's");
      break;
    case json::flat_value::integer:
      fuzz::expect(v.as_int64() == f.number, "integer differs from the full parser's");
      break;
    case json::flat_value::literal:
      fuzz::expect(json::to_text(v) == f.text, "literal differs from the full parser's");
      break;
    case json::flat_value::array: {
      auto a = v.as_array();
      fuzz::expect(a.has_value() && a->size() == f.count, "array differs from the full parser's");
      std::vector<std::string_view> strings;
      for (json::value item : *a)
        if (auto s = item.as_string()) strings.push_back(*s);
      fuzz::expect((strings.size() == f.count) == f.all_strings, "all_strings is wrong");
      if (f.all_strings) fuzz::expect(quoted_strings(f.text) == strings, "array strings differ");
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The verifier hands the fast path a scratch buffer readable well past the text.
  unsigned char* buf = json::scratch_buffer(json::slot::payload, size + 1);
  if (size != 0) std::memcpy(buf, data, size);
  std::vector<seen_member> flat;
  auto record = [&flat](std::string_view name, const json::flat_value& v) {
    flat.push_back({name, v});
    return true;
  };
  if (!json::read_flat_object(buf, size, json::claims_limits, record)) return 0;
  // The flat values point into buf; the full parser reads its own copy.
  const std::string text(reinterpret_cast<const char*>(buf), size);
  auto full = json::parse_object(json::slot::scratch, text, json::claims_limits);
  fuzz::expect(full.has_value(), "the fast path accepted JSON the full parser refuses");
  fuzz::expect(full->size() == flat.size(), "member count differs from the full parser's");
  std::size_t i = 0;
  for (auto member : *full) {
    fuzz::expect(member.name == flat[i].name, "member name differs from the full parser's");
    expect_same_value(flat[i].value, member.value);
    ++i;
  }
  return 0;
}
