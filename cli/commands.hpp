#pragma once
/// The `jwtfort` commands: keygen, jwks, sign, verify, inspect, and the token life cycle. Each
/// takes the words after its name and returns what to print on stdout, or a failure for the
/// boundary (main.cpp) to report.

#include <span>
#include <string>
#include <string_view>

#include "failure.hpp"

namespace jwtfort::cli {

/// Runs the command line `args` (without the program name), including --help and --version.
/// Example: `run({"inspect", token})` -> `{"verified":false,"header":{...},"claims":{...}}\n`.
outcome<std::string> run(std::span<const std::string_view> args);

/// The one-line synopsis of the command `args` name (one word, or a group and a word), or of
/// the whole tool when they name none; the boundary prints it after a usage error.
std::string_view synopsis(std::span<const std::string_view> args);

}  // namespace jwtfort::cli
