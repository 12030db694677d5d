#pragma once
/// One `jwtfort` command: its name (one word, or a group and a word: "token create"), its help
/// and options, and the function that runs it.

#include <span>
#include <string>
#include <string_view>

#include "args.hpp"
#include "failure.hpp"

namespace jwtfort::cli {

struct command {
  std::string_view name;
  std::string_view synopsis;
  std::string_view details;
  std::span<const option_spec> options;
  outcome<std::string> (*run)(const parsed_args&);
};

/// The token life-cycle commands: `token create|refresh|revoke|verify`, `keys rotate`,
/// `store purge|stats`.
std::span<const command> life_cycle_commands();

}  // namespace jwtfort::cli
