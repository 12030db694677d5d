// What a revocation check costs per request, what a revocation costs to write, and how long it
// takes to reach another instance of the store and another process, for each store.
//
// Store URLs come from the environment (bench/run_store_benchmarks.py sets them up):
//   JWTFORT_BENCH_SQLITE_URL  e.g. sqlite:///tmp/x/tokens.db (a fresh file)
//   JWTFORT_BENCH_REDIS_URL   e.g. redis://127.0.0.1:6399/0   (a server for the bench only)
// A store without a URL is reported as skipped.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "integration/store_test_support.hpp"
#include "jwtfort/service/token_service.hpp"
#include "jwtfort/store/open_store.hpp"

namespace {

using namespace jwtfort;

// Records every store holds before measuring: a check that finds nothing in an empty index is
// not what a service in production does.
constexpr int revoked_tokens = 1000;
constexpr int revoked_subjects = 100;

std::string url_of(const std::string& which) {
  if (which == "memory") return "memory://";
  const char* env =
      std::getenv(which == "sqlite" ? "JWTFORT_BENCH_SQLITE_URL" : "JWTFORT_BENCH_REDIS_URL");
  return env != nullptr ? env : "";
}

// One store per kind for the whole run, filled once.
std::shared_ptr<token_store> shared_store(const std::string& which) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<token_store>> stores;
  std::lock_guard lock(mutex);
  if (auto it = stores.find(which); it != stores.end()) return it->second;
  std::string url = url_of(which);
  if (url.empty()) return nullptr;
  auto opened = open_store(url);
  if (!opened) return nullptr;
  std::shared_ptr<token_store> store = std::move(*opened);
  const std::int64_t until = system_now() + 3600;
  for (int i = 0; i < revoked_tokens; ++i)
    (void)store->revoke_token("r" + std::to_string(i), until);
  for (int i = 0; i < revoked_subjects; ++i)
    (void)store->revoke_subject("u" + std::to_string(i), system_now() - 60, until);
  return stores[which] = store;
}

const std::string secret(32, 'k');

token_service service_on(std::shared_ptr<token_store> store) {
  token_service_options o;
  o.store = std::move(store);
  return *token_service::create(*key_ring::from_key(*key::from_secret(secret, algorithm::hs256)),
                                std::move(o));
}

// require_access: HS256 verify, claim checks, the type check and (with a store) the revocation
// check, on a token that is valid and not revoked.
void require_access(benchmark::State& state, const std::string& which) {
  std::shared_ptr<token_store> store;
  if (which != "none" && !(store = shared_store(which))) {
    state.SkipWithError(("no " + which + " store: set its URL").c_str());
    return;
  }
  auto service = service_on(store);
  auto token = *service.create_access_token({.subject = "alice"});
  for (auto _ : state) {
    auto t = service.require_access(token);
    if (!t) {
      state.SkipWithError(std::string(t.error().message).c_str());
      break;
    }
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations());
}

// The latency of one durable revocation (a new jti each time).
void revoke_latency(benchmark::State& state, const std::string& which) {
  auto store = shared_store(which);
  if (!store) {
    state.SkipWithError(("no " + which + " store: set its URL").c_str());
    return;
  }
  static std::atomic<long> counter{0};
  const std::int64_t until = system_now() + 3600;
  for (auto _ : state) {
    auto r = store->revoke_token("w" + std::to_string(counter++), until);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      break;
    }
  }
}

// From the revoke_token() call on one instance to check() reporting it on a second instance with
// its own connection, as another process would have.
void propagation(benchmark::State& state, const std::string& which) {
  std::string url = url_of(which);
  auto writer = shared_store(which);
  auto reader = url.empty() ? nullptr : std::shared_ptr<token_store>(std::move(*open_store(url)));
  if (!writer || !reader) {
    state.SkipWithError(("no " + which + " store: set its URL").c_str());
    return;
  }
  static std::atomic<long> counter{0};
  for (auto _ : state) {
    std::string jti = "p" + std::to_string(counter++);
    auto written = std::chrono::steady_clock::now();
    if (!writer->revoke_token(jti, system_now() + 3600)) {
      state.SkipWithError("revoke failed");
      break;
    }
    if (!test::eventually([&] { return reader->check({.jwt_id = jti}).code() == errc::revoked; })) {
      state.SkipWithError("not propagated within 5 s");
      return;
    }
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - written).count());
  }
}

// From the revoke_token() call here to a second process (store_probe, which polls check() every
// 200 µs) seeing it. The child is started and has opened the store before the clock starts.
void propagation_to_process(benchmark::State& state, const std::string& which) {
  std::string url = url_of(which);
  auto writer = shared_store(which);
  if (!writer) {
    state.SkipWithError(("no " + which + " store: set its URL").c_str());
    return;
  }
  static std::atomic<long> counter{0};
  for (auto _ : state) {
    std::string jti = "q" + std::to_string(counter++);
    test::probe child({JWTFORT_STORE_PROBE, url, "wait-revoked", jti, "5000"});
    if (child.read_line() != "ready") {
      state.SkipWithError("the probe did not start");
      break;
    }
    // From the call, not its return: the other process may see the record before the reply
    // to this one arrives.
    const auto written = std::chrono::steady_clock::now().time_since_epoch();
    if (!writer->revoke_token(jti, system_now() + 3600)) {
      state.SkipWithError("revoke failed");
      break;
    }
    auto seen = child.read_line();
    long long seen_ns = 0;
    if (!seen || std::sscanf(seen->c_str(), "%lld", &seen_ns) != 1) {
      state.SkipWithError("the probe did not see the revocation within 5 s");
      break;
    }
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::nanoseconds(seen_ns) - written).count());
  }
}

void register_all() {
  for (std::string which : {"none", "memory", "sqlite", "redis"})
    benchmark::RegisterBenchmark(("require_access/" + which).c_str(), require_access, which)
        ->Threads(1)
        ->Threads(2)
        ->UseRealTime();
  for (std::string which : {"memory", "sqlite", "redis"})
    benchmark::RegisterBenchmark(("revoke_latency/" + which).c_str(), revoke_latency, which)
        ->Unit(benchmark::kMicrosecond);
  for (std::string which : {"sqlite", "redis"}) {
    benchmark::RegisterBenchmark(("propagation/" + which).c_str(), propagation, which)
        ->UseManualTime()
        ->Iterations(50)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("propagation_to_process/" + which).c_str(),
                                 propagation_to_process, which)
        ->UseManualTime()
        ->Iterations(20)
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
