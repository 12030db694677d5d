// Remote JWKS: keys published by an identity provider, fetched from a configured URL (never one
// from a token: RFC 8725 §3.10), cached, and refetched on expiry or on an unknown `kid` under a
// rate limit. The only file that includes libcurl: the bounded GET that trusted_issuers shares
// (https_get.hpp) lives here too.

#include "jwtfort/service/remote_jwks.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>

#include "jwtfort/key_set.hpp"
#include "service/https_get.hpp"

namespace jwtfort {
namespace {

error bad_option(std::string what) {
  return error(errc::invalid_configuration, "remote_jwks: " + std::move(what));
}

result<void> check_options(const remote_jwks_options& o) {
  using namespace std::chrono_literals;
  if (o.verify.algorithms.empty()) return bad_option("verify.algorithms is empty");
  if (!o.verify.keys.empty()) return bad_option("verify.keys must be empty: keys come from url");
  if (o.max_bytes < 1024 || o.max_bytes > 16 * 1024 * 1024)
    return bad_option("max_bytes must be 1 KiB..16 MiB");
  if (o.timeout < 100ms || o.timeout > 60s) return bad_option("timeout must be 100 ms..60 s");
  if (o.cache_ttl < 1s) return bad_option("cache_ttl must be at least 1 s");
  if (o.min_refresh_interval < 1s) return bad_option("min_refresh_interval must be at least 1 s");
  // The rest of `verify` (leeway, sizes, clock...) is checked now with a throwaway secret, so a
  // mistake shows at startup rather than on the first request.
  verifier_options probe = o.verify;
  probe.algorithms = {algorithm::hs256};
  auto secret = key::generate(algorithm::hs256);
  if (!secret) return secret.error();
  if (auto r = probe.keys.add(std::move(*secret)); !r) return r.error();
  if (auto v = verifier::create(std::move(probe)); !v)
    return bad_option("verify: " + v.error().message);
  return {};
}

result<std::string> http_get(const remote_jwks_options& o, const std::string& scheme) {
  return detail::https_get(o.url, scheme, {o.max_bytes, o.timeout, o.ca_file, nullptr},
                           "Accept: application/jwk-set+json, application/json", "JWKS");
}

// One fetched key set and the verifier built on it; immutable, shared with readers.
struct snapshot {
  std::shared_ptr<const key_set> keys;
  std::shared_ptr<const verifier> checker;  // null when no allowed algorithm has a key
  std::int64_t fetched_at = 0;              // clock seconds when the fetch started
};

result<std::shared_ptr<const snapshot>> build_snapshot(const remote_jwks_options& o,
                                                       std::string_view body, std::int64_t now) {
  auto set = key_set::from_jwks(body);
  if (!set) {
    // A bad body is the provider's or the configuration's fault, never the token's: codes of the
    // malformed/rejected groups (invalid_json, unsupported_algorithm) would blame the token.
    const errc code = set.code() == errc::weak_key ? errc::weak_key : errc::invalid_key;
    return error(code, "JWKS " + o.url + ": " + set.error().message);
  }
  // A published JWKS is public: a secret in it is no secret, and accepting it would let anyone
  // who can read the URL sign tokens.
  for (const key& k : set->keys())
    if (k.is_symmetric())
      return error(errc::invalid_key, "JWKS " + o.url + ": holds a secret (oct) key");
  verifier_options v = o.verify;
  v.keys = *set;
  // verifier::create refuses an allowed algorithm without a key, and a provider need not publish
  // keys for every algorithm the application allows.
  std::erase_if(v.algorithms, [&](algorithm alg) {
    return std::none_of(set->keys().begin(), set->keys().end(),
                        [alg](const key& k) { return k.accepts(alg); });
  });
  auto s = std::make_shared<snapshot>();
  s->keys = std::make_shared<const key_set>(std::move(*set));
  s->fetched_at = now;
  if (!v.algorithms.empty()) {
    auto checker = verifier::create(std::move(v));
    if (!checker) return checker.error();
    s->checker = std::make_shared<const verifier>(std::move(*checker));
  }
  return std::shared_ptr<const snapshot>(std::move(s));
}

}  // namespace

struct remote_jwks::state {
  remote_jwks_options options;
  std::string scheme;  // as checked by create(); the only protocol libcurl may use

  std::mutex current_mutex;  // guards `current`; held only to copy a pointer
  std::shared_ptr<const snapshot> current;

  std::mutex fetch_mutex;                     // one fetch at a time; guards `last_error`
  std::optional<error> last_error;            // of the last fetch, when it failed
  std::atomic<std::int64_t> last_attempt{0};  // clock seconds when the last fetch started
  std::atomic<std::size_t> fetches{0};

  std::int64_t now() const { return options.verify.clock(); }

  // True once `since` is `age` seconds in the past. A clock set back counts as due too: waiting
  // for it to catch up would freeze the cache for as long as it jumped.
  bool older_than(std::int64_t since, std::chrono::seconds age) const {
    const std::int64_t elapsed = now() - since;
    return elapsed >= age.count() || elapsed < 0;
  }

  std::shared_ptr<const snapshot> load() {
    std::lock_guard lock(current_mutex);
    return current;
  }

  // Fetches and installs a new key set; a failure leaves the current one. Needs fetch_mutex.
  result<std::shared_ptr<const snapshot>> fetch_locked() {
    const std::int64_t started = now();
    last_attempt = started;
    ++fetches;
    auto body = http_get(options, scheme);
    auto s = body ? build_snapshot(options, *body, started)
                  : result<std::shared_ptr<const snapshot>>(std::move(body).error());
    if (!s) {
      last_error = s.error();
      return s;
    }
    last_error.reset();
    std::lock_guard lock(current_mutex);
    current = *s;
    return s;
  }

  // The cached keys, or the first ones fetched now; callers wait for a fetch only here, when
  // there is nothing to verify with yet.
  result<std::shared_ptr<const snapshot>> first_keys() {
    if (auto s = load()) return s;
    const std::size_t seen = fetches;
    std::lock_guard lock(fetch_mutex);
    if (auto s = load()) return s;
    // A fetch failed while this thread waited: share its answer rather than queue another.
    if (fetches != seen && last_error) return *last_error;
    return fetch_locked();
  }

  // Newer keys than `seen`: those another thread installed meanwhile, or a fetch made now if
  // the last one is at least `min_age` seconds old and no other thread is fetching (readers
  // never queue behind a fetch). Null when there is nothing newer; a failed fetch keeps the keys.
  std::shared_ptr<const snapshot> refresh(const std::shared_ptr<const snapshot>& seen,
                                          std::chrono::seconds min_age) {
    auto due = [&] { return older_than(last_attempt, min_age); };
    if (auto latest = load(); latest != seen) return latest;
    if (!due()) return nullptr;
    std::unique_lock lock(fetch_mutex, std::try_to_lock);
    if (!lock.owns_lock()) return nullptr;
    if (auto latest = load(); latest != seen) return latest;
    if (!due()) return nullptr;
    auto s = fetch_locked();
    return s ? *s : nullptr;
  }

  // The keys to verify with now: cached, or refetched once older than cache_ttl. A failed
  // refetch is retried after min_refresh_interval (or the TTL, if shorter), not on every call,
  // so an outage does not make every verification wait for the timeout.
  result<std::shared_ptr<const snapshot>> current_keys() {
    auto s = first_keys();
    if (!s || !older_than((*s)->fetched_at, options.cache_ttl)) return s;
    auto newer = refresh(*s, std::min(options.cache_ttl, options.min_refresh_interval));
    return newer ? newer : *s;
  }

  result<verified_token> check(const snapshot& s, std::string_view token) const {
    if (!s.checker)
      return error(errc::unknown_key,
                   "JWKS " + options.url + " has no key for an allowed algorithm");
    auto r = s.checker->verify(token);
    if (r || r.code() != errc::algorithm_not_allowed || !allowed_by_caller(token)) return r;
    // The verifier allows only the algorithms the fetched keys serve; a token using another one
    // the caller allows needs a key the set lacks, which is unknown_key (and worth a refetch).
    return error(errc::unknown_key, "no key in JWKS " + options.url + " for the token's algorithm");
  }

  bool allowed_by_caller(std::string_view token) const {
    auto t = unverified_token::decode(token);
    if (!t) return false;
    auto alg = algorithm_from_string(t->alg_name());
    const auto& allowed = options.verify.algorithms;
    return alg && std::find(allowed.begin(), allowed.end(), *alg) != allowed.end();
  }
};

remote_jwks::remote_jwks(std::unique_ptr<state> s) : state_(std::move(s)) {}
remote_jwks::~remote_jwks() = default;

result<std::shared_ptr<remote_jwks>> remote_jwks::create(remote_jwks_options options) {
  auto scheme = detail::check_fetch_url("url", options.url);
  if (!scheme) return bad_option(scheme.error().message);
  if (auto r = check_options(options); !r) return r.error();
  auto s = std::make_unique<state>();
  s->options = std::move(options);
  s->scheme = std::move(*scheme);
  return std::shared_ptr<remote_jwks>(new remote_jwks(std::move(s)));
}

result<verified_token> remote_jwks::verify(std::string_view token) {
  auto keys = state_->current_keys();
  if (!keys) return keys.error();
  auto r = state_->check(**keys, token);
  if (r || r.code() != errc::unknown_key) return r;
  // A new kid usually means the provider rotated its keys: refetch once (rate limited) and retry
  // once. Never "try every key" (RFC 8725 §3.10): the lookup stays by kid.
  auto newer = state_->refresh(*keys, state_->options.min_refresh_interval);
  return newer ? state_->check(*newer, token) : r;
}

result<std::shared_ptr<const key_set>> remote_jwks::keys() {
  auto s = state_->current_keys();
  if (!s) return s.error();
  return (*s)->keys;
}

std::size_t remote_jwks::fetch_count() const noexcept { return state_->fetches; }

namespace detail {
namespace {

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

error bad_url(std::string what) { return error(errc::invalid_configuration, std::move(what)); }

struct body_sink {
  std::string data;
  std::size_t limit = 0;
  bool too_large = false;
};

// CURLOPT_MAXFILESIZE_LARGE stops a response whose Content-Length is too large; a chunked or
// unsized one is cut here. Returning less than asked makes libcurl abort the transfer.
std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto& sink = *static_cast<body_sink*>(user);
  const std::size_t n = size * count;
  if (n > sink.limit - sink.data.size()) {
    sink.too_large = true;
    return 0;
  }
  try {
    sink.data.append(data, n);
  } catch (...) {
    return 0;  // out of memory: abort the transfer rather than let an exception cross C code
  }
  return n;
}

// libcurl asks this about once a second, and at every chunk: non-zero abandons the transfer.
int check_cancel(void* cancel, curl_off_t, curl_off_t, curl_off_t, curl_off_t) noexcept {
  return static_cast<const std::atomic<bool>*>(cancel)->load() ? 1 : 0;
}

std::string describe(CURLcode rc, const body_sink& sink, const char* detail,
                     const https_get_limits& limits) {
  if (rc == CURLE_FILESIZE_EXCEEDED || (rc == CURLE_WRITE_ERROR && sink.too_large))
    return "response is larger than " + std::to_string(limits.max_bytes) + " bytes";
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return "no complete response within " + std::to_string(limits.timeout.count()) + " ms";
  if (rc == CURLE_ABORTED_BY_CALLBACK) return "abandoned at shutdown";
  std::string why = curl_easy_strerror(rc);
  if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ||
      rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM)
    why = "TLS: " + why;
  return *detail != '\0' ? why + ": " + detail : why;
}

error unavailable(std::string_view what, const std::string& url, const std::string& why) {
  return error(errc::jwks_unavailable, std::string(what) + " " + url + ": " + why);
}

}  // namespace

// The URL is read by libcurl's own parser, so the scheme and host checked here are the ones it
// will connect to (no parser differential).
result<std::string> check_fetch_url(std::string_view field, const std::string& url) {
  init_curl_once();
  const std::string name(field);
  if (url.empty() || url.find('\0') != std::string::npos) return bad_url(name + " is empty");
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), curl_url_cleanup);
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return bad_url(name + " is not an absolute URL: " + url);
  auto part = [&](CURLUPart which) -> std::optional<std::string> {
    char* text = nullptr;
    if (curl_url_get(parsed.get(), which, &text, 0) != CURLUE_OK) return std::nullopt;
    std::string out(text);
    curl_free(text);
    return out;
  };
  // Credentials in a URL end up in logs and error messages; a provider's keys are public anyway.
  if (part(CURLUPART_USER) || part(CURLUPART_PASSWORD) || part(CURLUPART_OPTIONS))
    return bad_url(name + " must not carry user information: " + url);
  const auto scheme = part(CURLUPART_SCHEME).value_or("");
  const auto host = part(CURLUPART_HOST).value_or("");
  const bool loopback = host == "127.0.0.1" || host == "[::1]" || host == "localhost";
  if (scheme == "https" || (scheme == "http" && loopback)) return scheme;
  return bad_url(name +
                 " must be https:// (http:// only for 127.0.0.1, [::1] or localhost): " + url);
}

result<std::string> https_get(const std::string& url, const std::string& scheme,
                              const https_get_limits& limits, const char* accept,
                              std::string_view what) {
  init_curl_once();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> handle(curl_easy_init(), curl_easy_cleanup);
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
      curl_slist_append(nullptr, accept), curl_slist_free_all);
  if (!handle || !headers) return error(errc::internal_error, "libcurl: cannot set up a request");
  CURL* h = handle.get();
  body_sink sink{{}, limits.max_bytes};
  char detail[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  // Only the scheme the URL was checked with; no redirects, so a 3xx cannot lead anywhere else.
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, scheme.c_str());
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_USERAGENT, "jwtfort");
  // A proxy from the environment (https_proxy) may be how a deployment reaches its identity
  // provider; loopback is never reached through one.
  curl_easy_setopt(h, CURLOPT_NOPROXY, "127.0.0.1,::1,localhost");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for timeouts: we run in any thread
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(limits.timeout.count()));
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limits.max_bytes));
  // No CURLOPT_ACCEPT_ENCODING: a compressed body could expand past max_bytes unseen.
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (!limits.ca_file.empty()) {
    curl_easy_setopt(h, CURLOPT_CAINFO, limits.ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_CAPATH, nullptr);  // "instead of the system's", not in addition
  }
  if (limits.cancel != nullptr) {
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, check_cancel);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(limits.cancel));
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
  if (CURLcode rc = curl_easy_perform(h); rc != CURLE_OK)
    return unavailable(what, url, describe(rc, sink, detail, limits));
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status == 200) return std::move(sink.data);
  std::string why = "HTTP status " + std::to_string(status);
  if (status >= 300 && status < 400) why += " (redirects are not followed)";
  return unavailable(what, url, why);
}

}  // namespace detail

}  // namespace jwtfort
