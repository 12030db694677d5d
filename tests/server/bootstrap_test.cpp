// First-run setup on real directories: the data directory, the generated key ring, the demo user,
// what a second run keeps, and what is refused.
#include "bootstrap.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <thread>

#include "app.hpp"
#include "jwtfort/key_ring.hpp"
#include "server_test_support.hpp"
#include "users.hpp"

namespace jwtfort::server {
namespace {

using test::mode_of;
using test::outcome;
using test::temp_dir;

namespace fs = std::filesystem;

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::set<std::string> entries(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

// The ring, the database and SQLite's companions (present while a connection is open): no
// temporary ring file is left behind.
bool only_expected_files(const std::string& dir) {
  const std::set<std::string> allowed = {"keys.jwks", "users.db", "users.db-shm", "users.db-wal"};
  auto names = entries(dir);
  return names.contains("keys.jwks") && names.contains("users.db") &&
         std::includes(allowed.begin(), allowed.end(), names.begin(), names.end());
}

server_settings with_data_dir(const std::string& dir) {
  server_settings cfg;
  cfg.data_dir = dir;
  return cfg;
}

TEST(bootstrap, fresh_directory_gets_a_ring_and_a_demo_user) {
  temp_dir tmp;
  const std::string data = tmp / "nested/data";  // parents are created too
  server_settings cfg = with_data_dir(data);
  auto boot = bootstrap(cfg);
  ASSERT_EQ(outcome(boot), "ok");

  EXPECT_EQ(mode_of(data), 0700u);
  EXPECT_EQ(mode_of(tmp / "nested"), 0700u);
  const std::string ring_file = data + "/keys.jwks";
  EXPECT_EQ(boot->key_ring_file, ring_file);
  EXPECT_EQ(cfg.key_ring_file, ring_file);
  EXPECT_EQ(mode_of(ring_file), 0600u);
  auto ring = key_ring::from_jwks(read(ring_file));
  ASSERT_EQ(outcome(ring), "ok");
  EXPECT_EQ(ring->active().alg(), algorithm::es256);
  EXPECT_TRUE(ring->active().can_sign());
  EXPECT_EQ(cfg.alg, algorithm::es256);  // the HS256 default gave way to the ring
  EXPECT_EQ(outcome(cfg.validate()), "ok");

  ASSERT_TRUE(boot->demo_password);
  EXPECT_TRUE(std::regex_match(*boot->demo_password, std::regex("[A-Za-z0-9]{20}")));
  auto users = user_store::open(data + "/users.db");
  ASSERT_EQ(outcome(users), "ok");
  auto demo = users->authenticate("demo", *boot->demo_password);
  ASSERT_EQ(outcome(demo), "ok");
  EXPECT_EQ(*demo, (user{"demo", {"user"}}));
  EXPECT_EQ(*users->count(), 1u);
  EXPECT_EQ(mode_of(data + "/users.db"), 0600u);
  // No temporary file left behind.
  EXPECT_TRUE(only_expected_files(data)) << data;
}

// The server's files hold keys, password hashes, and the subjects and ids of revoked tokens: each
// is 0600 whatever the umask, the token store also where no private data directory surrounds it.
TEST(bootstrap, server_files_are_private_whatever_the_umask) {
  temp_dir tmp;
  const std::string data = tmp / "data", store = tmp / "tokens.db";
  server_settings cfg = with_data_dir(data);
  cfg.store_url = "sqlite://" + store;
  mode_t old = ::umask(0);  // even a umask that lets everything through
  auto started = start(cfg);
  ::umask(old);
  ASSERT_EQ(outcome(started), "ok");
  ASSERT_EQ(outcome(started->app->store().revoke_token("j1", 4'000'000'000)), "ok");
  EXPECT_EQ(mode_of(data + "/keys.jwks"), 0600u);
  EXPECT_EQ(mode_of(data + "/users.db"), 0600u);
  EXPECT_EQ(mode_of(store), 0600u);
  ASSERT_TRUE(fs::exists(store + "-wal"));
  EXPECT_EQ(mode_of(store + "-wal"), 0600u);
  EXPECT_EQ(mode_of(store + "-shm"), 0600u);
}

TEST(bootstrap, second_run_keeps_the_ring_and_prints_no_password) {
  temp_dir tmp;
  const std::string data = tmp / "data";
  config first = with_data_dir(data);
  ASSERT_EQ(outcome(bootstrap(first)), "ok");
  const std::string ring_text = read(data + "/keys.jwks");

  config second = with_data_dir(data);
  auto boot = bootstrap(second);
  ASSERT_EQ(outcome(boot), "ok");
  EXPECT_EQ(boot->key_ring_file, data + "/keys.jwks");
  EXPECT_EQ(boot->demo_password, std::nullopt);
  EXPECT_EQ(second.key_ring_file, data + "/keys.jwks");
  EXPECT_EQ(second.alg, algorithm::es256);
  EXPECT_EQ(read(data + "/keys.jwks"), ring_text);
  EXPECT_EQ(*user_store::open(data + "/users.db")->count(), 1u);
}

TEST(bootstrap, configured_secret_means_no_generated_ring) {
  temp_dir tmp;
  server_settings cfg = with_data_dir(tmp / "data");
  cfg.secret_key = std::string(32, 's');
  auto boot = bootstrap(cfg);
  ASSERT_EQ(outcome(boot), "ok");
  EXPECT_EQ(boot->key_ring_file, "");
  EXPECT_EQ(cfg.key_ring_file, "");
  EXPECT_EQ(cfg.alg, algorithm::hs256);
  EXPECT_FALSE(fs::exists(tmp / "data/keys.jwks"));
  EXPECT_TRUE(boot->demo_password);
}

TEST(bootstrap, any_named_key_means_no_generated_ring) {
  for (auto field : {&config::secret_key_file, &config::private_key, &config::private_key_file,
                     &config::key_ring_file}) {
    temp_dir tmp;
    server_settings cfg = with_data_dir(tmp / "data");
    cfg.*field = tmp / "elsewhere";
    auto boot = bootstrap(cfg);
    ASSERT_EQ(outcome(boot), "ok");
    EXPECT_EQ(boot->key_ring_file, "");
    EXPECT_FALSE(fs::exists(tmp / "data/keys.jwks"));
  }
}

TEST(bootstrap, asymmetric_algorithm_without_key_gets_a_ring_of_that_algorithm) {
  temp_dir tmp;
  server_settings cfg = with_data_dir(tmp / "data");
  cfg.alg = algorithm::eddsa;
  ASSERT_EQ(outcome(bootstrap(cfg)), "ok");
  auto ring = key_ring::from_jwks(read(tmp / "data/keys.jwks"));
  ASSERT_EQ(outcome(ring), "ok");
  EXPECT_EQ(ring->active().alg(), algorithm::eddsa);
  EXPECT_EQ(cfg.alg, algorithm::eddsa);
  EXPECT_EQ(outcome(cfg.validate()), "ok");
}

TEST(bootstrap, existing_users_mean_no_demo_user) {
  temp_dir tmp;
  const std::string data = tmp / "data";
  ASSERT_EQ(outcome(prepare_data_dir(data)), "ok");
  {
    auto users = user_store::open(users_database_path(data));
    ASSERT_EQ(outcome(users), "ok");
    ASSERT_EQ(outcome(users->add("alice", "alice-password", {"admin"})), "ok");
  }
  server_settings cfg = with_data_dir(data);
  auto boot = bootstrap(cfg);
  ASSERT_EQ(outcome(boot), "ok");
  EXPECT_EQ(boot->demo_password, std::nullopt);
  EXPECT_EQ(*user_store::open(data + "/users.db")->list(),
            (std::vector<user>{{"alice", {"admin"}}}));
}

TEST(bootstrap, refuses_a_world_writable_data_dir) {
  temp_dir tmp;
  const std::string data = tmp / "data";
  fs::create_directory(data);
  fs::permissions(data, fs::perms::all);
  server_settings cfg = with_data_dir(data);
  EXPECT_EQ(outcome(bootstrap(cfg)), "invalid_configuration: data directory " + data +
                                         " is writable by every user (mode 0777); run chmod o-w " +
                                         data);
  EXPECT_TRUE(entries(data).empty());
  EXPECT_EQ(cfg.key_ring_file, "");
  fs::permissions(data, fs::perms::others_write, fs::perm_options::remove);
  EXPECT_EQ(outcome(bootstrap(cfg)), "ok");
}

TEST(bootstrap, refuses_unusable_data_dirs) {
  temp_dir tmp;
  std::ofstream(tmp / "file") << "x";
  server_settings cfg = with_data_dir(tmp / "file");
  EXPECT_EQ(outcome(bootstrap(cfg)),
            "invalid_configuration: data directory " + (tmp / "file") + ": not a directory");
  cfg.data_dir = tmp / "file/data";
  EXPECT_EQ(outcome(bootstrap(cfg)), "invalid_configuration: data directory " +
                                         (tmp / "file/data") + ": cannot create: Not a directory");
  cfg.data_dir = "";
  EXPECT_EQ(outcome(bootstrap(cfg)),
            "invalid_configuration: data directory is not set (JWTFORT_DATA_DIR)");
}

TEST(bootstrap, refuses_a_ring_file_that_does_not_load) {
  temp_dir tmp;
  const std::string data = tmp / "data";
  ASSERT_EQ(outcome(prepare_data_dir(data)), "ok");
  std::ofstream(data + "/keys.jwks") << "{\"keys\":[]}";
  server_settings cfg = with_data_dir(data);
  auto boot = bootstrap(cfg);
  ASSERT_FALSE(boot);
  EXPECT_EQ(boot.code(), errc::invalid_key) << boot.error().message;
  EXPECT_TRUE(boot.error().message.starts_with("key ring " + data + "/keys.jwks: "))
      << boot.error().message;
}

TEST(bootstrap, two_servers_starting_at_once_agree) {
  temp_dir tmp;
  const std::string data = tmp / "data";
  config a = with_data_dir(data), b = with_data_dir(data);
  result<bootstrap_result> ra = errc::internal_error, rb = errc::internal_error;
  std::thread first([&] { ra = bootstrap(a); });
  std::thread second([&] { rb = bootstrap(b); });
  first.join();
  second.join();
  ASSERT_EQ(outcome(ra), "ok");
  ASSERT_EQ(outcome(rb), "ok");
  EXPECT_EQ(ra->demo_password.has_value() + rb->demo_password.has_value(), 1);
  const std::string password = ra->demo_password ? *ra->demo_password : *rb->demo_password;
  EXPECT_EQ(outcome(user_store::open(data + "/users.db")->authenticate("demo", password)), "ok");
  // Both use the one ring on disk.
  auto ring = key_ring::from_jwks(read(data + "/keys.jwks"));
  ASSERT_EQ(outcome(ring), "ok");
  EXPECT_EQ(a.key_ring_file, b.key_ring_file);
  EXPECT_TRUE(only_expected_files(data)) << data;
}

}  // namespace
}  // namespace jwtfort::server
