// First-run setup. Everything here may run in two server processes started at once (a service
// manager restarting, a test starting twice), so each step either is idempotent or lets the
// first writer win: directories tolerate EEXIST, the key ring is published with link(2), which
// never replaces a file, and the demo user is added only to an empty database.
#include "bootstrap.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "jwtfort/key_ring.hpp"
#include "password.hpp"
#include "users.hpp"

namespace jwtfort::server {
namespace {

constexpr std::size_t demo_password_length = 20;

std::string os_reason(int errno_value) { return std::system_category().message(errno_value); }

error unusable_dir(const std::string& dir, const std::string& reason) {
  return {errc::invalid_configuration, "data directory " + dir + ": " + reason};
}

// mkdir -p with mode 0700 for every directory it creates.
result<void> make_dirs(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) return {};
  if (errno != ENOENT) return unusable_dir(dir, "cannot create: " + os_reason(errno));
  const std::string parent = std::filesystem::path(dir).parent_path().string();
  if (parent.empty() || parent.size() >= dir.size())
    return unusable_dir(dir, "cannot create: " + os_reason(ENOENT));
  if (auto ok = make_dirs(parent); !ok) return ok;
  if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) return {};
  return unusable_dir(dir, "cannot create: " + os_reason(errno));
}

void wipe(std::string& text) {
  volatile char* p = text.data();  // volatile, so the stores are not optimised away
  for (std::size_t i = 0; i < text.size(); ++i) p[i] = '\0';
}

result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return error(errc::invalid_configuration,
                 "cannot read key ring " + path + ": " + os_reason(errno));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool write_all(int fd, std::string_view text) {
  for (std::size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Writes `text` to a new file `path` with mode 0600: through a temporary file (mkstemp creates it
// 0600), synced, then linked into place. Unlike rename(2), link(2) fails when `path` exists, so
// of two processes creating the ring at once exactly one wins and both then use its ring.
// True when this call created the file, false when it already existed.
result<bool> create_private_file(const std::string& path, std::string_view text) {
  auto fail = [&path](int e) {
    return error(errc::invalid_configuration, "cannot write " + path + ": " + os_reason(e));
  };
  std::string temporary = path + ".XXXXXX";
  int fd = ::mkstemp(temporary.data());
  if (fd < 0) return fail(errno);
  bool ok = ::fchmod(fd, 0600) == 0 && write_all(fd, text) && ::fsync(fd) == 0;
  int saved = errno;
  if (::close(fd) != 0 && ok) ok = false, saved = errno;
  bool created = ok && ::link(temporary.c_str(), path.c_str()) == 0;
  if (ok && !created) saved = errno;
  ::unlink(temporary.c_str());
  if (!created && ok && saved == EEXIST) return false;
  if (!created) return fail(saved);
  // The new directory entry must reach the disk too, or a crash could lose a ring that signed.
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (int d = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
    (void)::fsync(d);
    ::close(d);
  }
  return true;
}

bool names_a_signing_key(const config& cfg) {
  return !cfg.secret_key.empty() || !cfg.secret_key_file.empty() || !cfg.private_key.empty() ||
         !cfg.private_key_file.empty() || !cfg.key_ring_file.empty();
}

// The algorithm of a generated ring: the configured one when a ring can serve it, else ES256
// (small keys and signatures, fast to generate, accepted everywhere JWTs are).
algorithm ring_algorithm(algorithm configured) {
  return family_of(configured) == key_family::hmac ? algorithm::es256 : configured;
}

result<bool> generate_ring(const std::string& path, algorithm alg) {
  auto k = key::generate(alg);
  if (!k) return k.error();
  auto ring = key_ring::from_key(std::move(*k));
  if (!ring) return ring.error();
  auto jwks = ring->to_private_jwks();
  if (!jwks) return jwks.error();
  auto created = create_private_file(path, *jwks);
  wipe(*jwks);
  return created;
}

// The active algorithm of the ring at `path`, which is generated first when absent.
result<algorithm> load_or_create_ring(const std::string& path, algorithm alg) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT)
      return error(errc::invalid_configuration,
                   "cannot read key ring " + path + ": " + os_reason(errno));
    auto created = generate_ring(path, alg);
    if (!created) return created.error();
    if (*created) return alg;
    // Another process published its ring first: use that one.
  }
  auto text = read_file(path);
  if (!text) return text.error();
  auto ring = key_ring::from_jwks(*text);
  wipe(*text);
  if (!ring) return error(ring.code(), "key ring " + path + ": " + ring.error().message);
  return ring->active().alg();
}

// Creates user "demo" when the database holds no user; its password when this call did.
result<std::optional<std::string>> ensure_demo_user(const std::string& path) {
  auto users = user_store::open(path);
  if (!users) return users.error();
  auto n = users->count();
  if (!n) return n.error();
  if (*n > 0) return std::optional<std::string>();
  auto password = random_password(demo_password_length);
  if (!password) return password.error();
  auto added = users->add("demo", *password, {"user"});
  if (added) return std::optional<std::string>(std::move(*password));
  // Another process created the first user at the same moment: its user stands.
  if (auto again = users->count(); again && *again > 0) return std::optional<std::string>();
  return added.error();
}

}  // namespace

std::string users_database_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "users.db").string();
}

result<void> prepare_data_dir(const std::string& dir) {
  if (dir.empty())
    return error(errc::invalid_configuration, "data directory is not set (JWTFORT_DATA_DIR)");
  if (auto ok = make_dirs(dir); !ok) return ok;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return unusable_dir(dir, os_reason(errno));
  if (!S_ISDIR(st.st_mode)) return unusable_dir(dir, "not a directory");
  if ((st.st_mode & S_IWOTH) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return error(errc::invalid_configuration, "data directory " + dir +
                                                  " is writable by every user (mode " + mode +
                                                  "); run chmod o-w " + dir);
  }
  return {};
}

result<bootstrap_result> bootstrap(config& cfg) {
  if (auto ok = prepare_data_dir(cfg.data_dir); !ok) return ok.error();
  bootstrap_result out;
  if (!names_a_signing_key(cfg)) {
    const std::string path = (std::filesystem::path(cfg.data_dir) / "keys.jwks").string();
    auto alg = load_or_create_ring(path, ring_algorithm(cfg.alg));
    if (!alg) return alg.error();
    cfg.key_ring_file = path;
    // HS256 is only the default here: no secret was given, so the ring decides.
    if (family_of(cfg.alg) == key_family::hmac) cfg.alg = *alg;
    out.key_ring_file = path;
  }
  auto demo = ensure_demo_user(users_database_path(cfg.data_dir));
  if (!demo) return demo.error();
  out.demo_password = std::move(*demo);
  return out;
}

}  // namespace jwtfort::server
