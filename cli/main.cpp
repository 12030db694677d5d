// cli: the `jwtfort` command, an application on the libraries' public headers (service,
// store_url) and the server's settings (server/settings), so it reads a deployment's settings as
// the server does. It reads and writes JSON through the library only. Nothing depends on it.
//
// The `jwtfort` command. This file is the boundary: it runs a command, prints its output, and
// turns a failure into the stderr line and the exit code, from the one table below.

#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "failure.hpp"

namespace {

using jwtfort::cli::failure;
using jwtfort::cli::failure_kind;

// Exit status: 0 valid or done, 1 token rejected, 2 usage or configuration error, 3 the token
// store is unavailable.
int exit_code_for(failure_kind kind) {
  switch (kind) {
    case failure_kind::token_rejected: return 1;
    case failure_kind::unavailable: return 3;
    case failure_kind::usage:
    case failure_kind::configuration: return 2;
  }
  return 2;
}

// The error line must stay one line whatever a message quotes (a path, an option name).
std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

int report(const failure& f, const std::vector<std::string_view>& args) {
  std::cerr << "error: " << f.name << ": " << one_line(f.message) << '\n';
  if (f.kind == failure_kind::usage) std::cerr << "usage: " << jwtfort::cli::synopsis(args) << '\n';
  return exit_code_for(f.kind);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  try {
    auto output = jwtfort::cli::run(args);
    if (!output) return report(output.error(), args);
    std::cout << *output << std::flush;
    return 0;
  } catch (const std::exception&) {
    // Only allocation can throw here; the library itself reports through result<T>.
    return report(failure::configuration(jwtfort::error(jwtfort::errc::internal_error)), args);
  }
}
