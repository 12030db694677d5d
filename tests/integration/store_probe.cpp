// A second process for the store tests: opens a store URL and does one thing, printing what it
// saw on stdout so the test in the other process can assert on it.
//
//   store_probe URL revoke-token JTI KEEP_UNTIL      prints "ok" or the error's wire name
//   store_probe URL check JTI                        prints "ok", "revoked" or the wire name
//   store_probe URL wait-revoked JTI TIMEOUT_MS      prints "ready", then the steady-clock time
//                                                    (ns) when the revocation became visible,
//                                                    or "timeout"
//   store_probe URL revoke-loop PREFIX COUNT         revokes PREFIX0.. and prints each jti once
//                                                    it is durable (for kill -9 tests)
//   store_probe URL use-refresh JTI FAMILY NOW GRACE prints "first_use", "within_grace" or the
//                                                    wire name
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>

#include "jwtfort/store/open_store.hpp"
#include "jwtfort/store/token_store.hpp"

namespace {

using namespace jwtfort;

std::int64_t to_int(const char* text) { return std::stoll(text); }

void print(const result<void>& r) {
  std::printf("%s\n", r ? "ok" : std::string(to_string(r.code())).c_str());
}

int wait_revoked(token_store& store, const std::string& jti, std::int64_t timeout_ms) {
  std::printf("ready\n");
  std::fflush(stdout);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (store.check({.jwt_id = jti}).code() == errc::revoked) {
      auto seen = std::chrono::steady_clock::now().time_since_epoch();
      std::printf("%lld\n",
                  static_cast<long long>(
                      std::chrono::duration_cast<std::chrono::nanoseconds>(seen).count()));
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  std::printf("timeout\n");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: store_probe URL COMMAND ARGS...\n");
    return 2;
  }
  auto store = open_store(argv[1]);
  if (!store) {
    std::printf("%s\n", std::string(to_string(store.code())).c_str());
    return 1;
  }
  const std::string command = argv[2];
  if (command == "revoke-token" && argc == 5) {
    print((*store)->revoke_token(argv[3], to_int(argv[4])));
  } else if (command == "check" && argc == 4) {
    auto r = (*store)->check({.jwt_id = argv[3]});
    std::printf("%s\n", r ? "ok" : std::string(to_string(r.code())).c_str());
  } else if (command == "wait-revoked" && argc == 5) {
    return wait_revoked(**store, argv[3], to_int(argv[4]));
  } else if (command == "revoke-loop" && argc == 5) {
    for (std::int64_t i = 0; i < to_int(argv[4]); ++i) {
      std::string jti = argv[3] + std::to_string(i);
      if (!(*store)->revoke_token(jti, keep_forever)) return 1;
      std::printf("%s\n", jti.c_str());
      std::fflush(stdout);
    }
  } else if (command == "use-refresh" && argc == 7) {
    auto r = (*store)->use_refresh_token({.jwt_id = argv[3],
                                          .family = argv[4],
                                          .expires_at = keep_forever,
                                          .now = to_int(argv[5]),
                                          .grace_seconds = to_int(argv[6]),
                                          .family_keep_until = keep_forever});
    if (!r) {
      std::printf("%s\n", std::string(to_string(r.code())).c_str());
    } else {
      std::printf("%s\n", *r == refresh_verdict::first_use ? "first_use" : "within_grace");
    }
  } else {
    std::fprintf(stderr, "store_probe: unknown command or wrong arguments\n");
    return 2;
  }
  return 0;
}
