#include "args.hpp"

#include <algorithm>
#include <charconv>

namespace jwtfort::cli {
namespace {

const option_spec* find_spec(std::span<const option_spec> specs, std::string_view name) {
  for (const option_spec& s : specs)
    if (s.name == name) return &s;
  return nullptr;
}

bool is_option(std::string_view word) { return word.size() > 2 && word.starts_with("--"); }

}  // namespace

std::optional<std::string> parsed_args::value(std::string_view name) const {
  for (const auto& [n, v] : options_)
    if (n == name) return v;
  return std::nullopt;
}

std::vector<std::string> parsed_args::values(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : options_)
    if (n == name) out.push_back(v);
  return out;
}

bool parsed_args::has(std::string_view name) const {
  return std::any_of(options_.begin(), options_.end(),
                     [&](const auto& o) { return o.first == name; });
}

outcome<parsed_args> parse_args(std::span<const std::string_view> args,
                                std::span<const option_spec> specs) {
  parsed_args out;
  bool only_positionals = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view word = args[i];
    if (only_positionals || !word.starts_with("-") || word == "-") {
      out.positionals.emplace_back(word);
      continue;
    }
    if (word == "--") {
      only_positionals = true;
      continue;
    }
    if (word == "--help" || word == "-h") {
      out.help = true;
      continue;
    }
    if (!is_option(word)) return failure::usage("unknown option " + std::string(word));
    std::string_view name = word.substr(2);
    std::optional<std::string_view> inline_value;
    if (auto eq = name.find('='); eq != std::string_view::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const option_spec* spec = find_spec(specs, name);
    if (spec == nullptr) return failure::usage("unknown option --" + std::string(name));
    if (!spec->repeatable && out.has(name))
      return failure::usage("--" + std::string(name) + " may be given only once");
    std::string value;
    if (spec->takes_value) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return failure::usage("--" + std::string(name) + " needs a value");
      }
    } else if (inline_value) {
      return failure::usage("--" + std::string(name) + " takes no value");
    }
    out.options_.emplace_back(std::string(name), std::move(value));
  }
  return out;
}

std::optional<long long> parse_integer(std::string_view text) {
  long long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

outcome<long long> integer_option(const parsed_args& a, std::string_view name, long long fallback) {
  auto text = a.value(name);
  if (!text) return fallback;
  auto v = parse_integer(*text);
  if (!v) return failure::usage("--" + std::string(name) + " needs a whole number");
  return *v;
}

outcome<algorithm> parse_algorithm(const std::string& name) {
  if (auto alg = algorithm_from_string(name)) return *alg;
  return failure::configuration(
      error(errc::unsupported_algorithm,
            "--alg is not a supported JWS algorithm (HS256..HS512, RS256..RS512, PS256..PS512, "
            "ES256, ES384, ES512, EdDSA, Ed25519, Ed448; names are case-sensitive)"));
}

}  // namespace jwtfort::cli
