// The token_store contract on the SQLite store, with real files: durability across reopening and
// kill -9, propagation to other processes, refresh reuse detection that is atomic across
// processes, purge, and failing closed when the database cannot vouch for the index.
#include "jwtfort/store/sqlite_store.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "integration/store_test_support.hpp"
#include "jwtfort/store/open_store.hpp"
#include "jwtfort/store/token_store.hpp"
#include "support/assertions.hpp"
#include "support/temp_dir.hpp"

namespace jwtfort {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using test::eventually;
using test::probe;

constexpr std::int64_t t0 = 1'700'000'000;

// A fresh directory per test, removed afterwards.
struct temp_dir : test::temp_dir {
  temp_dir() : test::temp_dir("jwtfort-sqlite-") {}
};

store_options quiet() {
  store_options o;
  o.purge_interval = 0ms;  // tests purge by hand
  return o;
}

std::unique_ptr<token_store> open(const std::string& path, store_options o = quiet()) {
  auto store = open_sqlite_store(path, std::move(o));
  if (!store) {
    ADD_FAILURE() << "open_sqlite_store: " << store.error().message;
    return nullptr;
  }
  return std::move(*store);
}

// --- revocation and persistence ---

TEST(sqlite_store, revokes_tokens_subjects_and_families) {
  temp_dir dir;
  auto store = open(dir.file("t.db"));
  ASSERT_TRUE(store);
  EXPECT_OK(store->check({.jwt_id = "j1", .subject = "alice", .issued_at = t0}));
  ASSERT_OK(store->revoke_token("j1", t0 + 60));
  ASSERT_OK(store->revoke_subject("alice", t0, t0 + 60));
  ASSERT_OK(store->revoke_family("fam-1", t0 + 60));
  EXPECT_ERRC(store->check({.jwt_id = "j1"}), errc::revoked);
  EXPECT_ERRC(store->check({.jwt_id = "r9", .family = "fam-1"}), errc::revoked);
  EXPECT_OK(store->check({.jwt_id = "j2", .subject = "bob", .issued_at = t0, .family = "fam-2"}));
  EXPECT_ERRC(store->check({.subject = "alice", .issued_at = t0 - 1}), errc::revoked);
  EXPECT_ERRC(store->check({.subject = "alice", .issued_at = t0}), errc::revoked);
  EXPECT_OK(store->check({.subject = "alice", .issued_at = t0 + 1}));
  EXPECT_ERRC(store->check({.subject = "alice"}), errc::revoked);  // no iat: not provably newer
  EXPECT_ERRC(store->revoke_token("", t0), errc::invalid_claim);
}

TEST(sqlite_store, revocations_survive_reopening) {
  temp_dir dir;
  std::string path = dir.file("t.db");
  const std::string odd("a\0b\xff", 4);  // names are bytes, NUL included
  {
    auto store = open(path);
    ASSERT_TRUE(store);
    ASSERT_OK(store->revoke_token("j1", keep_forever));
    ASSERT_OK(store->revoke_token(odd, keep_forever));
    ASSERT_OK(store->revoke_subject("alice", t0, t0 + 60));
    ASSERT_OK(store->revoke_subject("alice", t0 + 30, t0 + 90));  // moves the time forward
    ASSERT_OK(store->revoke_family("fam-1", t0 + 60));
  }
  auto store = open(path);
  ASSERT_TRUE(store);
  EXPECT_ERRC(store->check({.jwt_id = "j1"}), errc::revoked);
  EXPECT_ERRC(store->check({.jwt_id = odd}), errc::revoked);
  EXPECT_OK(store->check({.jwt_id = std::string_view("a\0b", 3)}));
  EXPECT_OK(store->check({.jwt_id = "a"}));
  EXPECT_ERRC(store->check({.subject = "alice", .issued_at = t0 + 30}), errc::revoked);
  EXPECT_OK(store->check({.subject = "alice", .issued_at = t0 + 31}));
  EXPECT_ERRC(store->check({.family = "fam-1"}), errc::revoked);
  auto stats = store->stats();
  ASSERT_OK(stats);
  EXPECT_EQ(stats->revoked_tokens, 2u);
  EXPECT_EQ(stats->revoked_subjects, 1u);  // two rows, one subject
  EXPECT_EQ(stats->revoked_families, 1u);
}

TEST(sqlite_store, open_store_reads_sqlite_urls) {
  temp_dir dir;
  auto store = open_store("sqlite://" + dir.file("t.db"), quiet());
  ASSERT_OK(store);
  EXPECT_OK((*store)->revoke_token("j1", keep_forever));
  EXPECT_ERRC(open_store("sqlite://"), errc::invalid_configuration);
}

TEST(sqlite_store, revocations_reported_before_kill_9_are_durable) {
  temp_dir dir;
  std::string path = dir.file("t.db");
  std::vector<std::string> printed;
  {
    probe child({JWTFORT_STORE_PROBE, "sqlite://" + path, "revoke-loop", "k-", "1000"});
    ASSERT_TRUE(child.started());
    while (printed.size() < 300) {
      auto jti = child.read_line();
      ASSERT_TRUE(jti) << "the probe stopped after " << printed.size() << " revocations";
      printed.push_back(*jti);
    }
    child.kill();
  }
  auto store = open(path);
  ASSERT_TRUE(store);
  for (const auto& jti : printed) EXPECT_ERRC(store->check({.jwt_id = jti}), errc::revoked);
  // Not corrupt: it still takes writes and counts what it holds.
  ASSERT_OK(store->revoke_token("after-kill", keep_forever));
  auto stats = store->stats();
  ASSERT_OK(stats);
  EXPECT_GE(stats->revoked_tokens, printed.size() + 1);
}

// --- file permissions ---

// Sets the process umask for a scope; the old one comes back even when an assertion returns.
class scoped_umask {
 public:
  explicit scoped_umask(mode_t mask) : old_(::umask(mask)) {}
  scoped_umask(const scoped_umask&) = delete;
  scoped_umask& operator=(const scoped_umask&) = delete;
  ~scoped_umask() { ::umask(old_); }

 private:
  mode_t old_;
};

// The permission bits of a file in octal ("0600"), or "missing"; a failure shows them readably.
std::string mode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "missing";
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return text;
}

// A revocation written through an open store: the database and its -wal and -shm files exist.
void write_through(const std::string& path) {
  auto store = open(path);
  ASSERT_TRUE(store);
  ASSERT_OK(store->revoke_token("j1", keep_forever));
  EXPECT_EQ(mode_of(path + "-wal"), "0600") << "-wal";
  EXPECT_EQ(mode_of(path + "-shm"), "0600") << "-shm";
}

TEST(sqlite_store, files_are_private_whatever_the_umask) {
  for (mode_t mask : {mode_t{0}, mode_t{022}, mode_t{0277}}) {
    SCOPED_TRACE("umask " + std::to_string(mask));
    temp_dir dir;  // no data directory of 0700 around it: the file's own mode must hold
    const std::string path = dir.file("tokens.db");
    scoped_umask umask(mask);
    write_through(path);
    EXPECT_EQ(mode_of(path), "0600");
  }
}

TEST(sqlite_store, an_existing_file_loses_the_permissions_of_other_users) {
  temp_dir dir;
  const std::string path = dir.file("tokens.db");
  { ASSERT_TRUE(open(path)); }
  // Left open to everyone by an older release, with a -wal of a process that did not close.
  ASSERT_EQ(::chmod(path.c_str(), 0666), 0);
  // (Not empty: SQLite itself gives an empty companion the database's mode.)
  { std::ofstream(path + "-wal") << std::string(32, '\0'); }
  ASSERT_EQ(::chmod((path + "-wal").c_str(), 0644), 0);
  scoped_umask umask(0);
  auto store = open(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(mode_of(path), "0660");  // the group keeps what its owner gave it
  EXPECT_EQ(mode_of(path + "-wal"), "0640");
  ASSERT_OK(store->revoke_token("j1", keep_forever));
  EXPECT_EQ(mode_of(path + "-shm"), "0660");  // SQLite gives it the database's mode
}

TEST(sqlite_store, refuses_a_path_that_is_not_a_regular_file) {
  temp_dir dir;
  fs::create_directory(dir.file("a-directory"));
  auto r = open_sqlite_store(dir.file("a-directory"), quiet());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::store_unavailable);
  EXPECT_EQ(r.error().message,
            "SQLite store: " + dir.file("a-directory") + " is not a regular file");
}

// --- other processes ---

TEST(sqlite_store, another_process_sees_a_revocation_within_the_sync_interval) {
  temp_dir dir;
  std::string path = dir.file("t.db");
  auto store = open(path);
  ASSERT_TRUE(store);
  probe child({JWTFORT_STORE_PROBE, "sqlite://" + path, "wait-revoked", "cross-1", "5000"});
  ASSERT_EQ(child.read_line(), "ready");
  auto before = steady::now();
  ASSERT_OK(store->revoke_token("cross-1", keep_forever));
  auto committed = steady::now();
  auto seen = child.read_line();
  ASSERT_TRUE(seen);
  ASSERT_NE(*seen, "timeout");
  steady::time_point at{std::chrono::nanoseconds(std::stoll(*seen))};
  auto delay = std::chrono::duration_cast<std::chrono::microseconds>(at - committed);
  auto write = std::chrono::duration_cast<std::chrono::microseconds>(committed - before);
  std::cout << "cross-process propagation: " << delay.count() << " us after the commit returned ("
            << write.count() << " us for the write itself)\n";
  EXPECT_GE(at, before);
  EXPECT_LT(delay, 100ms);
}

TEST(sqlite_store, own_writes_do_not_hide_an_earlier_commit_of_another_process) {
  temp_dir dir;
  std::string path = dir.file("t.db");
  store_options o = quiet();
  o.sync_interval = 1000ms;  // no sync between the other process's write and ours
  auto store = open(path, o);
  ASSERT_TRUE(store);
  probe child({JWTFORT_STORE_PROBE, "sqlite://" + path, "revoke-token", "theirs", "0"});
  ASSERT_EQ(child.read_line(), "ok");
  ASSERT_OK(store->revoke_token("ours", keep_forever));  // the row right after theirs
  EXPECT_TRUE(eventually([&] { return store->check({.jwt_id = "theirs"}).code() == errc::revoked; },
                         3000ms));
}

TEST(sqlite_store, concurrent_processes_agree_on_one_first_use) {
  temp_dir dir;
  std::string path = dir.file("t.db");
  ASSERT_TRUE(open(path));  // the file exists before the race
  std::vector<std::unique_ptr<probe>> children;
  for (int i = 0; i < 8; ++i)
    children.push_back(std::make_unique<probe>(
        std::vector<std::string>{JWTFORT_STORE_PROBE, "sqlite://" + path, "use-refresh", "same-jti",
                                 "fam-x", std::to_string(t0), "0"}));
  int first = 0;
  for (auto& child : children) {
    auto verdict = child->read_line();
    ASSERT_TRUE(verdict);
    if (*verdict == "first_use") {
      ++first;
    } else {
      EXPECT_TRUE(*verdict == "token_reused" || *verdict == "revoked") << *verdict;
    }
  }
  EXPECT_EQ(first, 1);
  auto store = open(path);
  ASSERT_TRUE(store);
  EXPECT_ERRC(store->check({.jwt_id = "next", .family = "fam-x"}), errc::revoked);
}

TEST(sqlite_store, processes_creating_the_file_together_agree_on_its_schema) {
  temp_dir dir;
  std::string path = dir.file("new.db");
  std::vector<std::unique_ptr<probe>> children;
  for (int i = 0; i < 6; ++i)
    children.push_back(std::make_unique<probe>(std::vector<std::string>{
        JWTFORT_STORE_PROBE, "sqlite://" + path, "revoke-token", "p" + std::to_string(i), "0"}));
  for (auto& child : children) EXPECT_EQ(child->read_line(), "ok");
  auto store = open(path);
  ASSERT_TRUE(store);
  for (int i = 0; i < 6; ++i)
    EXPECT_ERRC(store->check({.jwt_id = "p" + std::to_string(i)}), errc::revoked);
}

// The access tokens of a refresh family, reused in another process: a second server sharing the
// file is presented the spent refresh token, and this process's access tokens of that family
// stop within the sync interval.
TEST(sqlite_store, reuse_in_another_process_stops_the_access_tokens_of_the_family_here) {
  temp_dir dir;
  const std::string path = dir.file("t.db");
  auto service = test::service_on(open(path));
  const auto f = test::rotate_one_of_two_logins(service);
  ASSERT_OK(service.require_access(f.rotated.access_token));

  probe child({JWTFORT_STORE_PROBE, "sqlite://" + path, "use-refresh", f.spent_jti, f.family,
               std::to_string(system_now()), "0"});
  ASSERT_EQ(child.read_line(), "token_reused");
  // This process sees it within the sync interval; a process that opens the file afterwards
  // reads it from the file.
  test::expect_family_stopped(service, test::service_on(open(path)), f, 3000ms);
}

// --- refresh rotation ---

// The rotation tests here use one family of tokens issued at t0.
refresh_use use_of(std::string_view jti, std::int64_t now, std::int64_t grace = 0) {
  return test::refresh_use_of(jti, "fam-1", t0, now, grace);
}

TEST(sqlite_store, second_use_of_a_refresh_token_revokes_its_family) {
  temp_dir dir;
  std::string path = dir.file("t.db");
  auto store = open(path);
  ASSERT_TRUE(store);
  auto first = store->use_refresh_token(use_of("r1", t0));
  ASSERT_OK(first);
  EXPECT_EQ(*first, refresh_verdict::first_use);
  ASSERT_OK(store->use_refresh_token(use_of("r2", t0 + 5)));
  EXPECT_ERRC(store->use_refresh_token(use_of("r1", t0 + 6)), errc::token_reused);
  EXPECT_ERRC(store->check({.jwt_id = "r3", .family = "fam-1"}), errc::revoked);
  EXPECT_ERRC(store->use_refresh_token(use_of("r3", t0 + 7)), errc::revoked);
  // Durable, and its record is kept until family_keep_until.
  store.reset();
  store = open(path);
  ASSERT_TRUE(store);
  EXPECT_ERRC(store->check({.family = "fam-1"}), errc::revoked);
  ASSERT_OK(store->purge_expired(t0 + 7200));
  EXPECT_ERRC(store->check({.family = "fam-1"}), errc::revoked);
  ASSERT_OK(store->purge_expired(t0 + 7201));
  EXPECT_OK(store->check({.family = "fam-1"}));
}

TEST(sqlite_store, grace_window_accepts_a_retry_only_inside_it) {
  temp_dir dir;
  auto store = open(dir.file("t.db"));
  ASSERT_TRUE(store);
  ASSERT_OK(store->use_refresh_token(use_of("r1", t0, 10)));
  auto retry = store->use_refresh_token(use_of("r1", t0 + 10, 10));
  ASSERT_OK(retry);
  EXPECT_EQ(*retry, refresh_verdict::within_grace);
  EXPECT_OK(store->check({.family = "fam-1"}));
  EXPECT_ERRC(store->use_refresh_token(use_of("r1", t0 + 11, 10)), errc::token_reused);
  EXPECT_ERRC(store->check({.family = "fam-1"}), errc::revoked);
}

TEST(sqlite_store, no_grace_means_any_second_use_is_reuse) {
  temp_dir dir;
  auto store = open(dir.file("t.db"));
  ASSERT_TRUE(store);
  ASSERT_OK(store->use_refresh_token(use_of("r1", t0, 0)));
  EXPECT_ERRC(store->use_refresh_token(use_of("r1", t0, 0)), errc::token_reused);
  EXPECT_ERRC(store->use_refresh_token({.jwt_id = "r1"}), errc::invalid_claim);
}

// --- threads, purge, stats ---

TEST(sqlite_store, concurrent_threads_lose_no_revocation) {
  temp_dir dir;
  std::string path = dir.file("t.db");
  auto store = open(path);
  ASSERT_TRUE(store);
  constexpr int writers = 8, per_writer = 500;
  auto name = [](int w, int i) { return "w" + std::to_string(w) + "-" + std::to_string(i); };
  std::atomic<int> failures{0}, unavailable{0};
  std::atomic<bool> writing{true};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      for (int i = 0; i < per_writer; ++i)
        if (!store->revoke_token(name(w, i), keep_forever)) ++failures;
    });
  std::thread checker([&] {
    for (int i = 0; writing; ++i)
      if (store->check({.jwt_id = name(i % writers, i % per_writer)}).code() ==
          errc::store_unavailable)
        ++unavailable;
  });
  for (auto& t : threads) t.join();
  writing = false;
  checker.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(unavailable, 0);
  auto stats = store->stats();
  ASSERT_OK(stats);
  EXPECT_EQ(stats->revoked_tokens, std::size_t{writers * per_writer});
  store.reset();
  auto reopened = open(path);
  ASSERT_TRUE(reopened);
  for (int w = 0; w < writers; ++w)
    for (int i = 0; i < per_writer; ++i)
      ASSERT_EQ(reopened->check({.jwt_id = name(w, i)}).code(), errc::revoked) << name(w, i);
}

TEST(sqlite_store, purge_removes_only_expired_records) {
  temp_dir dir;
  std::string path = dir.file("t.db");
  auto store = open(path);
  ASSERT_TRUE(store);
  ASSERT_OK(store->revoke_token("gone", t0 - 1));
  ASSERT_OK(store->revoke_token("edge", t0));  // kept until t0 inclusive
  ASSERT_OK(store->revoke_token("kept", keep_forever));
  ASSERT_OK(store->revoke_subject("old", t0 - 100, t0 - 50));
  ASSERT_OK(store->revoke_family("fam-kept", t0 + 10));
  ASSERT_OK(store->use_refresh_token({.jwt_id = "used-gone",
                                      .family = "f",
                                      .expires_at = t0 - 5,
                                      .now = t0 - 10,
                                      .family_keep_until = t0}));
  ASSERT_OK(store->use_refresh_token(use_of("used-kept", t0)));
  auto purged = store->purge_expired(t0);
  ASSERT_OK(purged);
  EXPECT_EQ(*purged, 3u);  // "gone", "old", "used-gone"
  EXPECT_OK(store->check({.jwt_id = "gone"}));
  EXPECT_OK(store->check({.subject = "old"}));
  EXPECT_ERRC(store->check({.jwt_id = "edge"}), errc::revoked);
  EXPECT_ERRC(store->check({.jwt_id = "kept"}), errc::revoked);
  EXPECT_ERRC(store->check({.family = "fam-kept"}), errc::revoked);
  auto stats = store->stats();
  ASSERT_OK(stats);
  EXPECT_EQ(stats->revoked_tokens, 2u);
  EXPECT_EQ(stats->revoked_subjects, 0u);
  EXPECT_EQ(stats->revoked_families, 1u);
  EXPECT_EQ(stats->used_refresh_tokens, 1u);
  // The deletion is in the file, not just the index.
  store.reset();
  store = open(path);
  ASSERT_TRUE(store);
  EXPECT_OK(store->check({.jwt_id = "gone"}));
  auto again = store->purge_expired(t0);
  ASSERT_OK(again);
  EXPECT_EQ(*again, 0u);
}

TEST(sqlite_store, background_purge_uses_the_store_clock) {
  temp_dir dir;
  store_options o;
  o.purge_interval = 10ms;
  o.clock = fixed_clock(t0);
  auto store = open(dir.file("t.db"), o);
  ASSERT_TRUE(store);
  ASSERT_OK(store->revoke_token("gone", t0 - 1));
  ASSERT_OK(store->revoke_token("kept", t0));
  EXPECT_TRUE(eventually([&] { return store->check({.jwt_id = "gone"}).has_value(); }, 2s));
  EXPECT_ERRC(store->check({.jwt_id = "kept"}), errc::revoked);
  EXPECT_TRUE(eventually([&] { return store->stats()->revoked_tokens == 1; }, 2s));
}

// --- failing closed ---

TEST(sqlite_store, fails_closed_while_the_database_file_is_gone) {
  temp_dir dir;
  std::string path = dir.file("t.db");
  auto store = open(path);
  ASSERT_TRUE(store);
  ASSERT_OK(store->revoke_token("known", keep_forever));
  fs::rename(path, path + ".moved");
  // Other processes would now create and use a new file: this one cannot vouch for its index.
  EXPECT_TRUE(eventually(
      [&] { return store->check({.jwt_id = "other"}).code() == errc::store_unavailable; }, 2s));
  EXPECT_ERRC(store->check({.jwt_id = "known"}), errc::revoked);  // what it knows still holds
  EXPECT_ERRC(store->revoke_token("lost", keep_forever), errc::store_unavailable);
  EXPECT_ERRC(store->use_refresh_token(use_of("r1", t0)), errc::store_unavailable);
  fs::rename(path + ".moved", path);
  EXPECT_TRUE(eventually([&] { return store->check({.jwt_id = "other"}).has_value(); }, 2s));
  EXPECT_OK(store->revoke_token("back", keep_forever));
}

TEST(sqlite_store, fail_open_answers_while_the_database_file_is_gone) {
  temp_dir dir;
  std::string path = dir.file("t.db");
  store_options o = quiet();
  o.fail_open = true;
  auto store = open(path, o);
  ASSERT_TRUE(store);
  fs::rename(path, path + ".moved");
  // The unhealthy state is only visible through a write; reads answer "not revoked".
  EXPECT_TRUE(eventually([&] { return !store->revoke_token("x", keep_forever).has_value(); }, 2s));
  EXPECT_OK(store->check({.jwt_id = "other"}));
}

// Holds SQLite's WAL write lock (byte 120 of the -shm file, per sqlite.org/walformat.html) with
// an open-file-description lock, which conflicts even with locks of this same process.
class wal_write_lock {
 public:
  explicit wal_write_lock(const std::string& db) : fd_(::open((db + "-shm").c_str(), O_RDWR)) {
    struct flock l {};
    l.l_type = F_WRLCK;
    l.l_whence = SEEK_SET;
    l.l_start = 120;
    l.l_len = 1;
    held_ = fd_ >= 0 && ::fcntl(fd_, F_OFD_SETLK, &l) == 0;
  }
  ~wal_write_lock() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool held() const { return held_; }

 private:
  int fd_;
  bool held_ = false;
};

TEST(sqlite_store, a_write_blocked_past_the_busy_timeout_reports_store_unavailable) {
  temp_dir dir;
  std::string path = dir.file("t.db");
  auto store = open(path);
  ASSERT_TRUE(store);
  ASSERT_OK(store->revoke_token("known", keep_forever));
  {
    wal_write_lock lock(path);
    ASSERT_TRUE(lock.held());
    auto start = steady::now();
    auto r = store->revoke_token("blocked", keep_forever);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.code(), errc::store_unavailable);
    EXPECT_NE(r.error().message.find("database is locked"), std::string::npos) << r.error().message;
    EXPECT_GE(steady::now() - start, 4s);  // it waited for the busy timeout first
    // Readers are not blocked by a writer in WAL mode: the sync keeps the index current.
    EXPECT_OK(store->check({.jwt_id = "other"}));
  }
  EXPECT_OK(store->revoke_token("unblocked", keep_forever));
  EXPECT_OK(store->check({.jwt_id = "blocked"}));  // the failed write left nothing behind
}

TEST(sqlite_store, refuses_files_that_are_not_jwtfort_databases) {
  temp_dir dir;
  std::string junk = dir.file("junk.db");
  std::ofstream(junk) << std::string(8192, 'x');
  EXPECT_ERRC(open_sqlite_store(junk, quiet()), errc::store_unavailable);
  EXPECT_EQ(fs::file_size(junk), 8192u);  // left as it was

  // A real SQLite database of another application: our own file with its header's
  // application_id (offset 68, big-endian) and user_version (offset 60) patched.
  auto patched = [&](const std::string& name, std::streamoff offset, std::uint32_t value) {
    std::string path = dir.file(name);
    { ASSERT_TRUE(open(path)); }  // closing the last connection checkpoints the WAL into it
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(offset);
    for (int shift = 24; shift >= 0; shift -= 8) f.put(static_cast<char>(value >> shift));
  };
  patched("other.db", 68, 0x12345678);
  auto other = open_sqlite_store(dir.file("other.db"), quiet());
  ASSERT_FALSE(other);
  EXPECT_EQ(other.code(), errc::store_unavailable);
  EXPECT_NE(other.error().message.find("not a jwtfort database"), std::string::npos);
  patched("newer.db", 60, 99);
  auto newer = open_sqlite_store(dir.file("newer.db"), quiet());
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.code(), errc::store_unavailable);
  EXPECT_NE(newer.error().message.find("schema version 99"), std::string::npos);

  EXPECT_ERRC(open_sqlite_store(dir.file("no/such/dir/t.db"), quiet()), errc::store_unavailable);
}

}  // namespace
}  // namespace jwtfort
