// Passwords, the users database and the `users` command, on real Argon2 and real SQLite files in
// a fresh temporary directory per test.
#include "users.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "jwtfort/store/sqlite_store.hpp"
#include "jwtfort/store/token_store.hpp"
#include "password.hpp"
#include "server_test_support.hpp"
#include "users_command.hpp"

namespace jwtfort::server {
namespace {

using test::mode_of;
using test::outcome;
using test::temp_dir;

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// password.hpp

TEST(password, hash_then_verify) {
  auto phc = hash_password("correct horse battery staple");
  ASSERT_EQ(outcome(phc), "ok");
  EXPECT_TRUE(verify_password(*phc, "correct horse battery staple"));
  EXPECT_FALSE(verify_password(*phc, "correct horse battery stapl"));
  EXPECT_FALSE(verify_password(*phc, "correct horse battery staple "));
  EXPECT_FALSE(verify_password(*phc, ""));
}

TEST(password, phc_string_has_the_owasp_parameters) {
  auto phc = hash_password("s3cret-passphrase");
  ASSERT_EQ(outcome(phc), "ok");
  // 16 bytes of salt are 22 base64 characters, a 32-byte tag 43, both without padding.
  EXPECT_TRUE(std::regex_match(
      *phc,
      std::regex(R"(\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43})")))
      << *phc;
  auto p = parse_phc(*phc);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->memory_kib, 19456u);
  EXPECT_EQ(p->iterations, 2u);
  EXPECT_EQ(p->parallelism, 1u);
  EXPECT_EQ(p->salt_bytes, 16u);
  EXPECT_EQ(p->hash_bytes, 32u);
  EXPECT_EQ(*p, default_phc_parameters);
}

TEST(password, every_hash_has_its_own_salt) {
  auto a = hash_password("same password"), b = hash_password("same password");
  ASSERT_EQ(outcome(a), "ok");
  ASSERT_EQ(outcome(b), "ok");
  auto salt = [](const std::string& phc) { return phc.substr(0, phc.rfind('$')); };
  EXPECT_NE(salt(*a), salt(*b));
  EXPECT_TRUE(verify_password(*a, "same password"));
  EXPECT_TRUE(verify_password(*b, "same password"));
}

TEST(password, hash_refuses_empty_and_overlong_passwords) {
  EXPECT_EQ(outcome(hash_password("")), "invalid_configuration: password is empty");
  EXPECT_EQ(outcome(hash_password(std::string(1025, 'x'))),
            "invalid_configuration: password is longer than 1024 bytes");
  auto longest = hash_password(std::string(1024, 'x'));
  ASSERT_EQ(outcome(longest), "ok");
  EXPECT_TRUE(verify_password(*longest, std::string(1024, 'x')));
  EXPECT_FALSE(verify_password(*longest, std::string(1025, 'x')));
}

TEST(password, malformed_phc_strings_never_verify) {
  auto phc = hash_password("s3cret-passphrase");
  ASSERT_EQ(outcome(phc), "ok");
  const std::string good = *phc;
  const std::string tail = good.substr(good.find("$", 20));  // "$salt$hash"
  std::string flipped = good;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  const std::vector<std::string> bad = {
      "",
      "$",
      "$argon2id$",
      "$argon2id$v=19$m=19456,t=2,p=1",
      "$argon2id$v=19$m=19456,t=2,p=1$",
      "$argon2id$v=19$m=19456,t=2,p=1$$",
      "$argon2i$v=19$m=19456,t=2,p=1" + tail,
      "$argon2d$v=19$m=19456,t=2,p=1" + tail,
      "$argon2id$v=16$m=19456,t=2,p=1" + tail,
      "$argon2id$m=19456,t=2,p=1" + tail,
      "$argon2id$v=19$m=0,t=2,p=1" + tail,
      "$argon2id$v=19$m=19456,t=0,p=1" + tail,
      "$argon2id$v=19$m=19456,t=2,p=0" + tail,
      "$argon2id$v=19$m=019456,t=2,p=1" + tail,
      "$argon2id$v=19$m=4294967295,t=2,p=1" + tail,
      "$argon2id$v=19$m=99999999999,t=2,p=1" + tail,
      "$argon2id$v=19$m=262145,t=2,p=1" + tail,
      "$argon2id$v=19$m=19456,t=17,p=1" + tail,
      "$argon2id$v=19$m=19456,t=2,p=17" + tail,
      "$argon2id$v=19$m=19456,t=2,p=1,x=1" + tail,
      "$argon2id$v=19$t=2,m=19456,p=1" + tail,
      "$argon2id$v=19$m=-1,t=2,p=1" + tail,
      "$argon2id$v=19$m=19456,t=2,p=1$!!!!!!!!!!!!!!!!!!!!!!" + good.substr(good.rfind('$')),
      "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA" + good.substr(good.rfind('$')),  // 4-byte salt
      good.substr(0, good.rfind('$') + 1) + "AAAA",                            // 3-byte tag
      good.substr(0, good.size() - 1) + "==",                                  // padding
      good + "$",
      std::string(good) + '\0',
      std::string(good).insert(10, 1, '\0'),
  };
  for (const auto& phc_text : bad) {
    EXPECT_FALSE(parse_phc(phc_text)) << phc_text;
    EXPECT_FALSE(verify_password(phc_text, "s3cret-passphrase")) << phc_text;
  }
  // Well formed but not this password's: Argon2 says no.
  for (const auto& phc_text : {flipped, good + "A", good.substr(0, good.size() - 4)}) {
    EXPECT_TRUE(parse_phc(phc_text)) << phc_text;
    EXPECT_FALSE(verify_password(phc_text, "s3cret-passphrase")) << phc_text;
  }
  EXPECT_TRUE(verify_password(good, "s3cret-passphrase"));
}

TEST(password, dummy_hash_has_the_parameters_of_a_real_one) {
  // verify_dummy_password verifies against dummy_phc() through verify_password; its cost equals a
  // real login's when dummy_phc() carries the parameters hash_password writes today.
  auto real = hash_password("some password");
  ASSERT_EQ(outcome(real), "ok");
  auto dummy = parse_phc(dummy_phc());
  ASSERT_TRUE(dummy) << dummy_phc();
  EXPECT_EQ(*dummy, *parse_phc(*real));
  EXPECT_EQ(*dummy, default_phc_parameters);
  EXPECT_EQ(dummy_phc().size(), real->size());
  EXPECT_FALSE(verify_password(dummy_phc(), "some password"));
  EXPECT_FALSE(verify_password(dummy_phc(), ""));
  verify_dummy_password("some password");
  verify_dummy_password(std::string(2000, 'x'));
}

TEST(password, random_passwords_are_letters_and_digits) {
  auto a = random_password(20), b = random_password(20);
  ASSERT_EQ(outcome(a), "ok");
  ASSERT_EQ(outcome(b), "ok");
  EXPECT_TRUE(std::regex_match(*a, std::regex("[A-Za-z0-9]{20}"))) << *a;
  EXPECT_NE(*a, *b);
  auto long_one = random_password(5000);
  ASSERT_EQ(outcome(long_one), "ok");
  EXPECT_TRUE(std::regex_match(*long_one, std::regex("[A-Za-z0-9]{5000}")));
  // Every character shows up in 5000 unbiased draws (missing one has odds around 1e-34).
  for (char c : std::string_view("AZaz09")) EXPECT_NE(long_one->find(c), std::string::npos) << c;
}

// ---------------------------------------------------------------------------------------------
// users.hpp

TEST(user_store, add_list_count_remove) {
  temp_dir dir;
  auto users = user_store::open(dir / "users.db");
  ASSERT_EQ(outcome(users), "ok");
  EXPECT_EQ(*users->count(), 0u);
  ASSERT_EQ(outcome(users->add("bob", "bob-password", {"user"})), "ok");
  ASSERT_EQ(outcome(users->add("alice", "alice-password", {"admin", "user"})), "ok");
  ASSERT_EQ(outcome(users->add("carol@example.com", "carol-password", {})), "ok");
  EXPECT_EQ(*users->count(), 3u);
  auto all = users->list();
  ASSERT_EQ(outcome(all), "ok");
  EXPECT_EQ(*all, (std::vector<user>{
                      {"alice", {"admin", "user"}}, {"bob", {"user"}}, {"carol@example.com", {}}}));
  ASSERT_EQ(outcome(users->remove("bob")), "ok");
  EXPECT_EQ(*users->count(), 2u);
  EXPECT_EQ(*users->list(),
            (std::vector<user>{{"alice", {"admin", "user"}}, {"carol@example.com", {}}}));
  EXPECT_EQ(outcome(users->remove("bob")), "invalid_configuration: no user 'bob'");
}

TEST(user_store, names_are_unique_and_case_sensitive) {
  temp_dir dir;
  auto users = user_store::open(dir / "users.db");
  ASSERT_EQ(outcome(users), "ok");
  ASSERT_EQ(outcome(users->add("alice", "alice-password", {})), "ok");
  EXPECT_EQ(outcome(users->add("alice", "other-password", {"admin"})),
            "invalid_configuration: user 'alice' already exists");
  ASSERT_EQ(outcome(users->add("Alice", "other-password", {})), "ok");
  EXPECT_EQ(*users->count(), 2u);
  // The first alice keeps her password and roles.
  EXPECT_EQ(outcome(users->authenticate("alice", "alice-password")), "ok");
  EXPECT_EQ(users->authenticate("alice", "alice-password")->roles, std::vector<std::string>{});
}

TEST(user_store, refuses_bad_names) {
  temp_dir dir;
  auto users = user_store::open(dir / "users.db");
  ASSERT_EQ(outcome(users), "ok");
  const std::string chars = "invalid_configuration: user name may only hold A-Z a-z 0-9 . _ @ -";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "invalid_configuration: user name is empty"},
      {std::string(65, 'a'), "invalid_configuration: user name is longer than 64 bytes"},
      {"al ice", chars},
      {"al,ice", chars},
      {"al:ice", chars},
      {"al/ice", chars},
      {"\xc3\xa4lice", chars},
      {std::string("al\0ice", 6), chars},
  };
  for (const auto& [name, expected] : cases) {
    EXPECT_EQ(outcome(users->add(name, "good-password", {})), expected) << name;
    EXPECT_EQ(outcome(check_user_name(name)), expected) << name;
    EXPECT_EQ(outcome(users->remove(name)), expected) << name;
  }
  EXPECT_EQ(outcome(users->add(std::string(64, 'a'), "good-password", {})), "ok");
  EXPECT_EQ(outcome(users->add("A-z_0.9@x", "good-password", {})), "ok");
  EXPECT_EQ(*users->count(), 2u);
}

TEST(user_store, refuses_bad_roles) {
  temp_dir dir;
  auto users = user_store::open(dir / "users.db");
  ASSERT_EQ(outcome(users), "ok");
  const std::string chars = "invalid_configuration: role may only hold A-Z a-z 0-9 . _ : -";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{""}, "invalid_configuration: role is empty"},
      {{"user", std::string(65, 'r')}, "invalid_configuration: role is longer than 64 bytes"},
      {{"a,b"}, chars},
      {{"a b"}, chars},
      {{"a@b"}, chars},
      {{"user", "admin", "user"}, "invalid_configuration: role 'user' is given twice"},
  };
  for (const auto& [roles, expected] : cases)
    EXPECT_EQ(outcome(users->add("alice", "good-password", roles)), expected) << roles.back();
  EXPECT_EQ(*users->count(), 0u);
  ASSERT_EQ(outcome(users->add("alice", "good-password", {std::string(64, 'r'), "api:read-1.x_"})),
            "ok");
  EXPECT_EQ(users->list()->front().roles,
            (std::vector<std::string>{std::string(64, 'r'), "api:read-1.x_"}));
}

TEST(user_store, refuses_bad_passwords) {
  temp_dir dir;
  auto users = user_store::open(dir / "users.db");
  ASSERT_EQ(outcome(users), "ok");
  EXPECT_EQ(outcome(users->add("alice", "", {})),
            "invalid_configuration: password is shorter than 8 bytes");
  EXPECT_EQ(outcome(users->add("alice", "1234567", {})),
            "invalid_configuration: password is shorter than 8 bytes");
  EXPECT_EQ(outcome(users->add("alice", std::string(1025, 'p'), {})),
            "invalid_configuration: password is longer than 1024 bytes");
  EXPECT_EQ(*users->count(), 0u);
  ASSERT_EQ(outcome(users->add("alice", "12345678", {})), "ok");
  ASSERT_EQ(outcome(users->add("bob", std::string(1024, 'p'), {})), "ok");
  EXPECT_EQ(outcome(users->authenticate("bob", std::string(1024, 'p'))), "ok");
}

TEST(user_store, authenticate_gives_one_answer_for_wrong_password_and_unknown_user) {
  temp_dir dir;
  auto users = user_store::open(dir / "users.db");
  ASSERT_EQ(outcome(users), "ok");
  ASSERT_EQ(outcome(users->add("alice", "alice-password", {"admin", "user"})), "ok");
  auto ok = users->authenticate("alice", "alice-password");
  ASSERT_EQ(outcome(ok), "ok");
  EXPECT_EQ(*ok, (user{"alice", {"admin", "user"}}));
  const std::string refused = "invalid_credentials: bad username or password";
  EXPECT_EQ(outcome(users->authenticate("alice", "wrong-password")), refused);
  EXPECT_EQ(outcome(users->authenticate("alice", "")), refused);
  EXPECT_EQ(outcome(users->authenticate("ALICE", "alice-password")), refused);
  EXPECT_EQ(outcome(users->authenticate("mallory", "alice-password")), refused);
  EXPECT_EQ(outcome(users->authenticate("", "alice-password")), refused);
  EXPECT_EQ(outcome(users->authenticate("bad name", "alice-password")), refused);
  EXPECT_EQ(outcome(users->authenticate("alice", std::string(5000, 'x'))), refused);
}

TEST(user_store, set_password_replaces_the_hash_under_the_add_policy) {
  temp_dir dir;
  auto users = user_store::open(dir / "users.db");
  ASSERT_EQ(outcome(users), "ok");
  ASSERT_EQ(outcome(users->add("alice", "alice-password", {"admin"})), "ok");
  EXPECT_EQ(outcome(users->set_password("alice", "1234567")),
            "invalid_configuration: password is shorter than 8 bytes");
  EXPECT_EQ(outcome(users->set_password("alice", std::string(1025, 'p'))),
            "invalid_configuration: password is longer than 1024 bytes");
  EXPECT_EQ(outcome(users->set_password("bob", "bob-password")),
            "invalid_configuration: no user 'bob'");
  EXPECT_EQ(outcome(users->set_password("bad name", "good-password")),
            "invalid_configuration: user name may only hold A-Z a-z 0-9 . _ @ -");
  ASSERT_EQ(outcome(users->authenticate("alice", "alice-password")), "ok");  // unchanged so far

  ASSERT_EQ(outcome(users->set_password("alice", "new-alice-password")), "ok");
  EXPECT_EQ(outcome(users->authenticate("alice", "alice-password")),
            "invalid_credentials: bad username or password");
  auto changed = users->authenticate("alice", "new-alice-password");
  ASSERT_EQ(outcome(changed), "ok");
  EXPECT_EQ(*changed, (user{"alice", {"admin"}}));  // the roles stay
  EXPECT_EQ(*users->count(), 1u);
}

TEST(user_store, instances_on_one_file_see_each_others_users) {
  temp_dir dir;
  auto a = user_store::open(dir / "users.db");
  auto b = user_store::open(dir / "users.db");
  ASSERT_EQ(outcome(a), "ok");
  ASSERT_EQ(outcome(b), "ok");
  ASSERT_EQ(outcome(a->add("alice", "alice-password", {"user"})), "ok");
  EXPECT_EQ(*b->list(), (std::vector<user>{{"alice", {"user"}}}));
  EXPECT_EQ(outcome(b->authenticate("alice", "alice-password")), "ok");
  EXPECT_EQ(outcome(b->add("alice", "other-password", {})),
            "invalid_configuration: user 'alice' already exists");
  ASSERT_EQ(outcome(b->remove("alice")), "ok");
  EXPECT_EQ(outcome(a->authenticate("alice", "alice-password")),
            "invalid_credentials: bad username or password");
  EXPECT_EQ(*a->count(), 0u);
}

TEST(user_store, files_are_private_whatever_the_umask) {
  // A umask that lets everything through, and one that would leave the owner read-only.
  for (mode_t mask : {mode_t{0}, mode_t{0277}}) {
    SCOPED_TRACE("umask " + std::to_string(mask));
    temp_dir dir;
    mode_t old = ::umask(mask);
    auto users = user_store::open(dir / "users.db");
    ::umask(old);
    ASSERT_EQ(outcome(users), "ok");
    ASSERT_EQ(outcome(users->add("alice", "alice-password", {})), "ok");
    EXPECT_EQ(mode_of(dir / "users.db"), 0600u);
    ASSERT_TRUE(fs::exists(dir / "users.db-wal"));
    EXPECT_EQ(mode_of(dir / "users.db-wal"), 0600u);
    EXPECT_EQ(mode_of(dir / "users.db-shm"), 0600u);
  }
}

TEST(user_store, reopening_keeps_users) {
  temp_dir dir;
  {
    auto users = user_store::open(dir / "users.db");
    ASSERT_EQ(outcome(users), "ok");
    ASSERT_EQ(outcome(users->add("alice", "alice-password", {"user"})), "ok");
  }
  auto again = user_store::open(dir / "users.db");
  ASSERT_EQ(outcome(again), "ok");
  EXPECT_EQ(outcome(again->authenticate("alice", "alice-password")), "ok");
}

TEST(user_store, refuses_files_that_are_not_users_databases) {
  temp_dir dir;
  {  // the token store's database: SQLite, but not ours
    auto tokens = open_sqlite_store(dir / "tokens.db");
    ASSERT_EQ(outcome(tokens), "ok");
  }
  EXPECT_EQ(outcome(user_store::open(dir / "tokens.db")), "store_unavailable: users database " +
                                                              (dir / "tokens.db") +
                                                              " is not a jwtfort users database");
  std::ofstream(dir / "text.db") << "not a database, clearly not a database at all\n";
  EXPECT_EQ(outcome(user_store::open(dir / "text.db")),
            "store_unavailable: users database " + (dir / "text.db") +
                ": reading the database header: file is not a database (code 26)");
  EXPECT_EQ(outcome(user_store::open(dir / "missing/users.db")),
            "store_unavailable: users database " + (dir / "missing/users.db") +
                ": No such file or directory");
}

TEST(user_store, moves_and_serves_threads) {
  temp_dir dir;
  auto opened = user_store::open(dir / "users.db");
  ASSERT_EQ(outcome(opened), "ok");
  user_store users = std::move(*opened);
  ASSERT_EQ(outcome(users.add("alice", "alice-password", {"user"})), "ok");
  std::atomic<int> accepted = 0, refused = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      auto r = users.authenticate(i % 2 ? "alice" : "nobody", "alice-password");
      ++(r ? accepted : refused);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted, 2);
  EXPECT_EQ(refused, 2);
}

// ---------------------------------------------------------------------------------------------
// users_command.hpp

struct run_result {
  int code;
  std::string out;
  std::string err;
};

run_result run(const std::vector<std::string>& words, const std::string& input = {}) {
  std::vector<std::string_view> args(words.begin(), words.end());
  std::istringstream in(input);
  std::ostringstream out, err;
  int code = run_users_command(args, in, out, err);
  return {code, out.str(), err.str()};
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// A settings file naming the data directory, so the tests do not depend on the environment.
class command_test : public testing::Test {
 protected:
  command_test() { std::ofstream(config_) << "JWTFORT_DATA_DIR=" << data_ << "\n"; }
  temp_dir dir_;
  const std::string data_ = dir_ / "data";
  const std::string config_ = dir_ / "jwtfort.env";
};

TEST_F(command_test, adds_lists_and_removes_users) {
  auto r = run({"add", "bob", "--config", config_}, "bob-password\r\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "added user 'bob'\n");
  EXPECT_EQ(r.err, "");
  r = run({"add", "--role", "admin", "alice", "--role=user", "--config=" + config_},
          "alice password with spaces\nsecond line ignored\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "added user 'alice'\n");

  r = run({"list", "--config", config_});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "alice\tadmin,user\nbob\t\n");
  EXPECT_EQ(r.err, "");

  auto users = user_store::open(data_ + "/users.db");
  ASSERT_EQ(outcome(users), "ok");
  EXPECT_EQ(outcome(users->authenticate("bob", "bob-password")), "ok");  // CR dropped
  EXPECT_EQ(outcome(users->authenticate("alice", "alice password with spaces")), "ok");

  r = run({"remove", "alice", "--config", config_});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "removed user 'alice'\n");
  EXPECT_EQ(run({"list", "--config", config_}).out, "bob\t\n");
}

TEST_F(command_test, operation_failures_exit_1) {
  ASSERT_EQ(run({"add", "bob", "--config", config_}, "bob-password\n").code, 0);
  auto r = run({"add", "bob", "--config", config_}, "other-password\n");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "error: invalid_configuration: user 'bob' already exists\n");
  r = run({"remove", "alice", "--config", config_});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: invalid_configuration: no user 'alice'\n");
  std::ofstream(data_ + "/users.db", std::ios::trunc) << "this is no database, not at all\n";
  r = run({"list", "--config", config_});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: store_unavailable: users database " + data_ +
                       "/users.db: reading the database header: file is not a database (code "
                       "26)\n");
}

TEST_F(command_test, bad_input_and_settings_exit_2) {
  const std::vector<std::pair<run_result, std::string>> cases = {
      {run({"add", "bob", "--config", config_}, ""),
       "error: invalid_configuration: no password on standard input (add reads its first line)\n"},
      {run({"add", "bob", "--config", config_}, "short\n"),
       "error: invalid_configuration: password is shorter than 8 bytes\n"},
      {run({"add", "b b", "--config", config_}, "bob-password\n"),
       "error: invalid_configuration: user name may only hold A-Z a-z 0-9 . _ @ -\n"},
      {run({"add", "bob", "--role", "a b", "--config", config_}, "bob-password\n"),
       "error: invalid_configuration: role may only hold A-Z a-z 0-9 . _ : -\n"},
      {run({"add", "bob", "--role", "x", "--role", "x", "--config", config_}, "bob-password\n"),
       "error: invalid_configuration: role 'x' is given twice\n"},
      {run({"remove", "", "--config", config_}),
       "error: invalid_configuration: user name is empty\n"},
      {run({"list", "--config", config_}), "error: invalid_configuration: no users database " +
                                               data_ + "/users.db (no user was added there yet)\n"},
      {run({"remove", "bob", "--config", config_}),
       "error: invalid_configuration: no users database " + data_ +
           "/users.db (no user was added there yet)\n"},
  };
  for (const auto& [r, expected] : cases) {
    EXPECT_EQ(r.code, 2) << expected;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, expected);
  }
  EXPECT_FALSE(fs::exists(data_));  // nothing was created on the way

  auto r = run({"list", "--config", dir_ / "missing.env"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(r.err.starts_with("error: invalid_configuration: " + (dir_ / "missing.env") + ": "))
      << r.err;
  std::ofstream(dir_ / "typo.env") << "JWTFORT_DATA_DIRR=x\n";
  r = run({"list", "--config", dir_ / "typo.env"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(r.err.starts_with("error: invalid_configuration: ")) << r.err;

  fs::create_directories(data_);
  fs::permissions(data_, fs::perms::all);
  r = run({"add", "bob", "--config", config_}, "bob-password\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "error: invalid_configuration: data directory " + data_ +
                       " is writable by every user (mode 0777); run chmod o-w " + data_ + "\n");
}

TEST_F(command_test, usage_errors_exit_2_with_the_synopsis) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "missing the subcommand: add, list or remove"},
      {{"frob"}, "unknown subcommand 'frob': expected add, list or remove"},
      {{"add"}, "add takes exactly one NAME"},
      {{"add", "a", "b"}, "add takes exactly one NAME"},
      {{"remove"}, "remove takes exactly one NAME"},
      {{"list", "x"}, "list takes no NAME"},
      {{"remove", "x", "--role", "r"}, "--role is only for add"},
      {{"list", "--bogus"}, "unknown option --bogus"},
      {{"list", "-x"}, "unknown option -x"},
      {{"list", "--data-dir"}, "--data-dir needs a value"},
      {{"add", "bob", "--role"}, "--role needs a value"},
      {{"list", "--config=a", "--config", "b"}, "--config is given twice"},
      {{"list", "--data-dir=a", "--data-dir=a"}, "--data-dir is given twice"},
  };
  for (const auto& [args, expected] : cases) {
    auto r = run(args, "bob-password\n");
    EXPECT_EQ(r.code, 2) << expected;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(first_line(r.err), "error: usage: " + expected);
    EXPECT_NE(r.err.find("\nusage: jwtfort-server users add NAME [--role ROLE]..."),
              std::string::npos)
        << r.err;
  }
  EXPECT_FALSE(fs::exists(data_));
}

TEST_F(command_test, help_prints_the_synopsis) {
  for (const char* flag : {"--help", "-h"}) {
    auto r = run({"add", flag});
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(first_line(r.out),
              "usage: jwtfort-server users add NAME [--role ROLE]... [--data-dir DIR] "
              "[--config FILE]");
    EXPECT_EQ(r.err, "");
  }
}

TEST_F(command_test, data_dir_option_overrides_the_settings) {
  const std::string other = dir_ / "other";
  auto r = run({"add", "bob", "--data-dir", other, "--config", config_}, "bob-password\n");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(other + "/users.db"));
  EXPECT_FALSE(fs::exists(data_));
  EXPECT_EQ(mode_of(other), 0700u);
  EXPECT_EQ(run({"list", "--data-dir=" + other, "--config", config_}).out, "bob\t\n");
  // A name that looks like an option after `--`.
  r = run({"add", "--data-dir", other, "--", "-dash"}, "dash-password\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(run({"list", "--data-dir", other}).out, "-dash\t\nbob\t\n");
}

TEST_F(command_test, reads_settings_from_the_environment_without_config) {
  ::setenv("JWTFORT_DATA_DIR", data_.c_str(), 1);
  auto r = run({"add", "bob"}, "bob-password\n");
  auto listed = run({"list"});
  ::unsetenv("JWTFORT_DATA_DIR");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(listed.out, "bob\t\n");
  EXPECT_TRUE(fs::exists(data_ + "/users.db"));
}

}  // namespace
}  // namespace jwtfort::server
