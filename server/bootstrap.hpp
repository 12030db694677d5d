#pragma once
/// What jwtfort-server does on start, before serving: a private data directory, a signing key
/// when the configuration names none, and a first user when there is none, so that a fresh
/// install answers a login at once.
///
/// Example:
///   auto cfg = config::from_environment();
///   auto boot = bootstrap(*cfg);
///   if (!boot) { log(boot.error().message); return 2; }
///   if (boot->demo_password) std::cout << "user demo, password " << *boot->demo_password << '\n';
///   if (auto ok = cfg->validate(); !ok) ...

#include <optional>
#include <string>

#include "jwtfort/result.hpp"
#include "jwtfort/service/config.hpp"

namespace jwtfort::server {

/// What `bootstrap` did.
struct bootstrap_result {
  /// `<data_dir>/keys.jwks` when the server signs with the ring there (generated now or on an
  /// earlier run); empty when the configuration names its own key.
  std::string key_ring_file;
  /// The demo user's password, set only on the run that created the user: print it once.
  std::optional<std::string> demo_password;
};

/// The users database of a data directory: `<data_dir>/users.db`.
std::string users_database_path(const std::string& data_dir);

/// Creates `dir` (and missing parents) with mode 0700, or checks the existing one. A directory
/// that every user may write to is refused: another user could swap its keys or users.
/// Errors: invalid_configuration, with the path and the OS reason, e.g. "data directory /srv/d
/// is writable by every user (mode 0777); run chmod o-w /srv/d".
/// Example: `if (auto ok = prepare_data_dir(cfg.data_dir); !ok) return ok.error();`
result<void> prepare_data_dir(const std::string& dir);

/// Prepares `cfg.data_dir` (`prepare_data_dir`). If the configuration names no signing key at
/// all (secret_key, secret_key_file, private_key, private_key_file and key_ring_file empty), the
/// server signs with `<data_dir>/keys.jwks`: generated when absent (ES256, or AUTHJWT_ALGORITHM
/// when that names an asymmetric algorithm; mode 0600, written whole or not at all, and never
/// over a ring another process wrote first); `cfg.key_ring_file` is set to it and, when
/// `cfg.alg` is an HMAC algorithm (the default, which no ring key serves), `cfg.alg` becomes the
/// ring's algorithm. Then opens `<data_dir>/users.db` and, when it holds no user, creates user
/// "demo" with a random 20-character password of letters and digits and the role "user".
/// Errors: invalid_configuration (unusable data directory, unwritable ring file), invalid_key
/// (an existing ring file that does not load), store_unavailable (users database),
/// internal_error (key generation, randomness).
result<bootstrap_result> bootstrap(config& cfg);

}  // namespace jwtfort::server
