#pragma once
/// Command-line parsing: `--name VALUE`, `--name=VALUE`, flags, `--` and positionals.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "failure.hpp"
#include "jwtfort/algorithm.hpp"

namespace jwtfort::cli {

/// One option a command accepts.
struct option_spec {
  std::string_view name;  ///< without the leading "--"
  bool takes_value = true;
  bool repeatable = false;
};

/// What was given on the command line, in order.
class parsed_args {
 public:
  /// The value of a single-valued option, or nothing when absent.
  std::optional<std::string> value(std::string_view name) const;
  /// Every value of a repeatable option, in order.
  std::vector<std::string> values(std::string_view name) const;
  /// True when the option (or flag) was given.
  bool has(std::string_view name) const;

  std::vector<std::string> positionals;
  bool help = false;  ///< --help or -h was given

 private:
  friend outcome<parsed_args> parse_args(std::span<const std::string_view>,
                                         std::span<const option_spec>);
  std::vector<std::pair<std::string, std::string>> options_;
};

/// Parses `args` (the words after the command name) against `specs`. `-` alone is a positional
/// (stdin); everything after `--` is positional.
/// Errors (usage): unknown option, missing value, a single-valued option given twice.
outcome<parsed_args> parse_args(std::span<const std::string_view> args,
                                std::span<const option_spec> specs);

/// Parses a whole decimal number (an optional leading "-", no other text).
std::optional<long long> parse_integer(std::string_view text);

/// The value of --`name` as a whole number, or `fallback` when the option is absent.
/// Errors (usage): not a whole number.
outcome<long long> integer_option(const parsed_args& a, std::string_view name, long long fallback);

/// An --alg value. Errors (configuration): unsupported_algorithm, naming the accepted names.
outcome<algorithm> parse_algorithm(const std::string& name);

}  // namespace jwtfort::cli
