// server: jwtfort-server, an application on the libraries and no part of their API. It may use
// every component (through public headers only), Boost.Beast/Asio, libargon2 and SQLite for its
// users; nothing in the libraries may use it. settings/ is the one piece the CLI shares.
//
// jwtfort-server: the reference server. This file is the boundary: it reads the command line and
// the settings, starts the application, prints the startup lines, and turns a failure into the
// stderr line and the exit code.
//
// Exit status: 0 after a clean shutdown, 2 for a usage or configuration error (including an
// unusable listen address), 3 when the token or user store cannot be opened.

#include <charconv>
#include <csignal>
#include <exception>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "app.hpp"
#include "listener.hpp"
#include "request_log.hpp"
#include "serve.hpp"
#include "server_settings.hpp"
#include "users_command.hpp"

namespace {

using jwtfort::errc;
using jwtfort::error;
using jwtfort::server::server_settings;

constexpr std::string_view usage_text =
    "usage: jwtfort-server [serve] [--config FILE] [--listen HOST:PORT] [--data-dir DIR]\n"
    "                      [--threads N]\n"
    "       jwtfort-server users (add|remove|list) ...\n"
    "       jwtfort-server --help | --version\n"
    "\n"
    "serve (the default) runs the HTTP server. Settings come from --config FILE (TOML, JSON or\n"
    ".env) or else from the AUTHJWT_* and JWTFORT_* environment variables; the flags override\n"
    "JWTFORT_LISTEN, JWTFORT_DATA_DIR and JWTFORT_THREADS. SIGTERM or SIGINT stops it.\n";

struct serve_flags {
  std::optional<std::string> config_file, listen, data_dir;
  std::optional<std::int64_t> threads;
};

// A message line must stay one line whatever it quotes.
std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

int fail(const error& e) {
  std::cerr << "error: " << jwtfort::to_string(e.code) << ": " << one_line(e.message) << '\n';
  return jwtfort::group_of(e.code) == jwtfort::error_group::unavailable ? 3 : 2;
}

int usage_error(std::string_view message) {
  std::cerr << "error: usage: " << one_line(message) << '\n' << usage_text;
  return 2;
}

std::optional<std::int64_t> thread_flag(std::string_view text) {
  std::int64_t n = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 0 || n > 256)
    return std::nullopt;
  return n;
}

// `--name VALUE` or `--name=VALUE`. Returns an error message, or nothing.
std::optional<std::string> parse_serve_flags(std::span<const std::string_view> args,
                                             serve_flags& flags) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view name = args[i];
    std::optional<std::string_view> value;
    if (const std::size_t eq = name.find('='); name.starts_with("--") && eq != name.npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (name != "--config" && name != "--listen" && name != "--data-dir" && name != "--threads")
      return "unknown argument '" + std::string(args[i]) + "'";
    if (!value) {
      if (i + 1 >= args.size()) return std::string(name) + " needs a value";
      value = args[++i];
    }
    if (name == "--config") flags.config_file = std::string(*value);
    if (name == "--listen") flags.listen = std::string(*value);
    if (name == "--data-dir") flags.data_dir = std::string(*value);
    if (name == "--threads") {
      flags.threads = thread_flag(*value);
      if (!flags.threads)
        return "--threads expects an integer 0..256, got '" + std::string(*value) + "'";
    }
  }
  return std::nullopt;
}

jwtfort::result<server_settings> load_settings(const serve_flags& flags) {
  auto settings = flags.config_file ? server_settings::from_file(*flags.config_file)
                                    : server_settings::from_environment();
  if (!settings) return settings;
  if (flags.listen) settings->listen = *flags.listen;
  if (flags.data_dir) settings->data_dir = *flags.data_dir;
  if (flags.threads) settings->threads = *flags.threads;
  return settings;
}

int serve(std::span<const std::string_view> args) {
  serve_flags flags;
  for (std::string_view a : args)
    if (a == "--help" || a == "-h") return std::cout << usage_text, 0;
  if (auto bad = parse_serve_flags(args, flags)) return usage_error(*bad);
  auto settings = load_settings(flags);
  if (!settings) return fail(settings.error());
  // Checked before the first start creates anything in the data directory.
  if (auto address = jwtfort::server::parse_listen(settings->listen); !address)
    return fail(address.error());

  // Made before the application: the trusted issuers report their first fetches at once.
  const jwtfort::server::request_log log(settings->log == "json");
  auto started = jwtfort::server::start(std::move(*settings), jwtfort::system_now,
                                        [&log](const jwtfort::issuer_event& e) { log.issuer(e); });
  if (!started) return fail(started.error());
  if (started->demo_password) {
    std::cout << "created user 'demo' with password: " << *started->demo_password << '\n'
              << "(shown once; change it with: jwtfort-server users remove demo && "
                 "jwtfort-server users add demo)\n";
  }
  // A log reader that went away must not kill the server: its write fails instead.
  std::signal(SIGPIPE, SIG_IGN);
  jwtfort::server::application& app = *started->app;
  auto served = jwtfort::server::serve(app, log, [](const std::string& url) {
    std::cout << "jwtfort-server listening on " << url << std::endl;
  });
  if (!served) return fail(served.error());
  log.event("shutdown");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  try {
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
      std::cout << usage_text;
      return 0;
    }
    if (!args.empty() && args[0] == "--version") {
      std::cout << "jwtfort-server " << JWTFORT_VERSION << '\n';
      return 0;
    }
    if (!args.empty() && args[0] == "users")
      return jwtfort::server::run_users_command(std::span(args).subspan(1), std::cin, std::cout,
                                                std::cerr);
    if (!args.empty() && args[0] == "serve") return serve(std::span(args).subspan(1));
    return serve(args);
  } catch (const std::exception&) {
    // Only allocation can throw out here; the library reports through result<T>.
    return fail(error(errc::internal_error));
  }
}
