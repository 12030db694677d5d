// The `users` command: parse, load the settings, then one store operation. The exit code follows
// whose fault a failure is: the command line's or the settings' (2), or the operation's (1).
#include "users_command.hpp"

#include <sys/stat.h>

#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "bootstrap.hpp"
#include "jwtfort/service/config.hpp"
#include "server_settings.hpp"
#include "users.hpp"

namespace jwtfort::server {
namespace {

constexpr int exit_done = 0, exit_failed = 1, exit_misuse = 2;

constexpr std::string_view synopsis =
    "usage: jwtfort-server users add NAME [--role ROLE]... [--data-dir DIR] [--config FILE]\n"
    "       jwtfort-server users list [--data-dir DIR] [--config FILE]\n"
    "       jwtfort-server users remove NAME [--data-dir DIR] [--config FILE]\n"
    "add reads the password from the first line of standard input.\n";

struct command_line {
  std::string verb;
  std::vector<std::string> names;
  std::vector<std::string> roles;
  std::optional<std::string> data_dir;
  std::optional<std::string> config_file;
  bool help = false;
};

// Takes the value of the option at args[i] (`--name=value` or `--name value`).
std::optional<std::string> option_value(std::span<const std::string_view> args, std::size_t& i) {
  auto eq = args[i].find('=');
  if (eq != std::string_view::npos) return std::string(args[i].substr(eq + 1));
  if (i + 1 >= args.size()) return std::nullopt;
  return std::string(args[++i]);
}

// Parses the words after "users"; what is wrong with them goes to `problem`.
command_line parse(std::span<const std::string_view> args, std::string& problem) {
  command_line c;
  std::vector<std::string> words;
  bool options_ended = false;
  for (std::size_t i = 0; i < args.size() && problem.empty(); ++i) {
    std::string_view a = args[i];
    if (options_ended || a == "-" || !a.starts_with("-")) {
      words.emplace_back(a);
    } else if (a == "--") {
      options_ended = true;
    } else if (a == "-h" || a == "--help") {
      c.help = true;
    } else {
      std::string name(a.substr(0, a.find('=')));
      std::optional<std::string>* single = name == "--data-dir" ? &c.data_dir
                                           : name == "--config" ? &c.config_file
                                                                : nullptr;
      if (name != "--role" && single == nullptr) {
        problem = "unknown option " + name;
      } else if (auto value = option_value(args, i); !value) {
        problem = name + " needs a value";
      } else if (single == nullptr) {
        c.roles.push_back(std::move(*value));
      } else if (*single) {
        problem = name + " is given twice";
      } else {
        *single = std::move(*value);
      }
    }
  }
  if (!words.empty()) c.verb = words.front(), c.names.assign(words.begin() + 1, words.end());
  return c;
}

// What is wrong with a parsed command line, or "" when it can run.
std::string misuse(const command_line& c) {
  if (c.verb.empty()) return "missing the subcommand: add, list or remove";
  if (c.verb != "add" && c.verb != "list" && c.verb != "remove")
    return "unknown subcommand '" + c.verb + "': expected add, list or remove";
  if (c.verb == "list" && !c.names.empty()) return "list takes no NAME";
  if (c.verb != "list" && c.names.size() != 1) return c.verb + " takes exactly one NAME";
  if (c.verb != "add" && !c.roles.empty()) return "--role is only for add";
  return {};
}

int report(std::ostream& err, const error& e, int exit_code) {
  err << "error: " << to_string(e.code) << ": " << e.message << '\n';
  return exit_code;
}

// The users database of `cfg`, which must exist: `list` and `remove` of a mistyped --data-dir
// should say so rather than create an empty one. Errors: invalid_configuration.
result<std::string> existing_database(const config& cfg) {
  std::string path = users_database_path(cfg.data_dir);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return error(errc::invalid_configuration,
                 "no users database " + path + " (no user was added there yet)");
  return path;
}

// The first line of `in`, without its line end. Errors: invalid_configuration (no line).
result<std::string> read_password(std::istream& in) {
  std::string line;
  if (!std::getline(in, line))
    return error(errc::invalid_configuration,
                 "no password on standard input (add reads its first line)");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

int add(const config& cfg, const command_line& c, std::istream& in, std::ostream& out,
        std::ostream& err) {
  const std::string& name = c.names.front();
  // Everything the caller typed is checked before anything is created.
  if (auto ok = check_user_name(name); !ok) return report(err, ok.error(), exit_misuse);
  if (auto ok = check_roles(c.roles); !ok) return report(err, ok.error(), exit_misuse);
  auto password = read_password(in);
  if (!password) return report(err, password.error(), exit_misuse);
  if (auto ok = check_password(*password); !ok) return report(err, ok.error(), exit_misuse);
  if (auto ok = prepare_data_dir(cfg.data_dir); !ok) return report(err, ok.error(), exit_misuse);
  auto users = user_store::open(users_database_path(cfg.data_dir));
  if (!users) return report(err, users.error(), exit_failed);
  if (auto ok = users->add(name, *password, c.roles); !ok)
    return report(err, ok.error(), exit_failed);
  out << "added user '" << name << "'\n";
  return exit_done;
}

int list(const config& cfg, std::ostream& out, std::ostream& err) {
  auto path = existing_database(cfg);
  if (!path) return report(err, path.error(), exit_misuse);
  auto users = user_store::open(*path);
  if (!users) return report(err, users.error(), exit_failed);
  auto all = users->list();
  if (!all) return report(err, all.error(), exit_failed);
  for (const auto& u : *all) {
    out << u.name << '\t';
    for (std::size_t i = 0; i < u.roles.size(); ++i) out << (i ? "," : "") << u.roles[i];
    out << '\n';
  }
  return exit_done;
}

int remove(const config& cfg, const command_line& c, std::ostream& out, std::ostream& err) {
  const std::string& name = c.names.front();
  if (auto ok = check_user_name(name); !ok) return report(err, ok.error(), exit_misuse);
  auto path = existing_database(cfg);
  if (!path) return report(err, path.error(), exit_misuse);
  auto users = user_store::open(*path);
  if (!users) return report(err, users.error(), exit_failed);
  if (auto ok = users->remove(name); !ok) return report(err, ok.error(), exit_failed);
  out << "removed user '" << name << "'\n";
  return exit_done;
}

}  // namespace

int run_users_command(std::span<const std::string_view> args, std::istream& in, std::ostream& out,
                      std::ostream& err) {
  std::string problem;
  command_line c = parse(args, problem);
  if (problem.empty() && c.help) {
    out << synopsis;
    return exit_done;
  }
  if (problem.empty()) problem = misuse(c);
  if (!problem.empty()) {
    err << "error: usage: " << problem << '\n' << synopsis;
    return exit_misuse;
  }
  // The server's settings, so that a file or environment the server runs with is accepted here.
  auto cfg = c.config_file ? server_settings::from_file(*c.config_file)
                           : server_settings::from_environment();
  if (!cfg) return report(err, cfg.error(), exit_misuse);
  if (c.data_dir) cfg->data_dir = *c.data_dir;
  if (c.verb == "add") return add(*cfg, c, in, out, err);
  if (c.verb == "list") return list(*cfg, out, err);
  return remove(*cfg, c, out, err);
}

}  // namespace jwtfort::server
