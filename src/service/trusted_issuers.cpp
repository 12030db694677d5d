// Trusted issuers: tokens of OpenID Connect providers, routed by their unverified `iss` to that
// issuer's cached keys. One background thread does every fetch (discovery, JWKS, refresh, the
// unknown-kid refetch); request threads only read an immutable snapshot of the keys, so a hanging
// provider never holds one of them.

#include "jwtfort/service/trusted_issuers.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#include "core/base64url.hpp"
#include "core/json.hpp"
#include "jwtfort/key_set.hpp"
#include "jwtfort/verifier.hpp"
#include "service/https_get.hpp"
#include "service/verified_cache.hpp"

namespace jwtfort {
namespace {

using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::size_t max_token_bytes = 8192;  // the verifier's default, checked before decoding
// Routing decodes up to the most any verifier accepts: a token too large for a trusted issuer
// is refused by its verifier, while one of another issuer must reach the caller's own verifier
// (the HTTP authenticator's token service), whose limit may be larger.
constexpr std::size_t max_routed_bytes = 65536;
constexpr std::int64_t never = std::numeric_limits<std::int64_t>::min();
constexpr auto first_backoff = 1000ms;
constexpr auto last_backoff = 60000ms;

error bad_option(const std::string& issuer, const std::string& what) {
  return error(
      errc::invalid_configuration,
      "trusted issuer " + (issuer.empty() ? std::string("(empty)") : issuer) + ": " + what);
}

// A claim path's segments are non-empty member names separated by dots (see claim_mapping).
bool valid_claim_path(std::string_view path) {
  if (path.empty() || path.front() == '.' || path.back() == '.') return false;
  return path.find("..") == std::string_view::npos;
}

result<void> check_claim_paths(const issuer_options& o) {
  if (!valid_claim_path(o.claims.subject))
    return bad_option(o.issuer, "claims.subject is not a claim path: '" + o.claims.subject + "'");
  for (const auto* list : {&o.claims.roles, &o.claims.scopes})
    for (const std::string& path : *list)
      if (!valid_claim_path(path))
        return bad_option(o.issuer, "claim path '" + path + "' has an empty segment");
  return {};
}

result<void> check_algorithms(const issuer_options& o) {
  if (o.algorithms.empty()) return bad_option(o.issuer, "algorithms is empty");
  for (algorithm alg : o.algorithms)
    if (family_of(alg) == key_family::hmac)
      return bad_option(o.issuer,
                        "algorithms must not name an HMAC algorithm: a provider's "
                        "published keys are public");
  return {};
}

result<void> check_limits(const issuer_options& o) {
  if (o.leeway_seconds < 0 || o.leeway_seconds > 300)
    return bad_option(o.issuer, "leeway_seconds must be 0..300");
  if (o.refresh_interval < 1s) return bad_option(o.issuer, "refresh_interval must be >= 1 s");
  if (o.min_refresh_interval < 1s)
    return bad_option(o.issuer, "min_refresh_interval must be >= 1 s");
  if (o.max_key_age <= o.refresh_interval)
    return bad_option(o.issuer, "max_key_age must be longer than refresh_interval");
  if (o.max_bytes < 1024 || o.max_bytes > 16 * 1024 * 1024)
    return bad_option(o.issuer, "max_bytes must be 1 KiB..16 MiB");
  if (o.timeout < 100ms || o.timeout > 60s)
    return bad_option(o.issuer, "timeout must be 100 ms..60 s");
  return {};
}

result<void> check_audiences(const issuer_options& o) {
  if (o.audience_claim != "aud" && o.audience_claim != "client_id")
    return bad_option(o.issuer, "audience_claim must be \"aud\" or \"client_id\"");
  if (o.audiences.empty()) return bad_option(o.issuer, "audiences is empty");
  for (const std::string& a : o.audiences)
    if (a.empty()) return bad_option(o.issuer, "audiences holds an empty string");
  return {};
}

// The claim rules every token of this issuer meets; the keys come from each fetch.
verifier_options verify_template(const issuer_options& o, const jwtfort::clock& clock) {
  verifier_options v;
  v.algorithms = o.algorithms;
  v.issuer = o.issuer;
  // With audience_claim "client_id" the verifier sees no audience, so it refuses any token with
  // an `aud` (RFC 7519 §4.1.3); client_id is checked against the audiences after it.
  const bool by_client_id = o.audience_claim == "client_id";
  if (!by_client_id) v.audiences = o.audiences;
  v.leeway_seconds = o.leeway_seconds;
  v.clock = clock;
  v.max_token_bytes = max_token_bytes;
  if (o.require_at_jwt) {
    v.type = "at+jwt";  // the verifier compares media types, so application/at+jwt matches too
    v.required_claims = {"iss", "exp", "aud", "sub", "client_id", "iat", "jti"};
  } else {
    v.required_claims = {"iss", "exp", by_client_id ? "client_id" : "aud"};
  }
  return v;
}

// One fetched key set, as a verifier; immutable, shared with request threads.
struct issuer_keys {
  std::shared_ptr<const verifier> checker;  // null when no allowed algorithm has a key
  std::vector<std::string> key_ids;         // sorted, to tell a rotation from a refresh
  std::vector<std::string> fingerprint;     // sorted kid + RFC 7638 thumbprint of every key
  // Names the key material: the same as the previous fetch's when the fingerprint is, else new.
  // Verified-token cache entries are stored under it, so none outlives the keys that verified it.
  std::uint64_t generation = 0;
  std::int64_t fetched_at = 0;  // options clock, seconds
};

// A remembered identity's heap bytes: its verified token's and its own strings'.
struct issuer_identity_bytes {
  std::size_t operator()(const issuer_identity& id) const noexcept {
    std::size_t bytes = detail::verified_token_bytes{}(id.token) + id.issuer.size() +
                        id.subject.size() + id.client_id.size();
    for (const auto* list : {&id.roles, &id.scopes})
      for (const std::string& item : *list) bytes += sizeof(std::string) + item.size();
    return bytes;
  }
};

// Tokens of every issuer, under the generation of the key set that verified them.
using identity_cache =
    detail::basic_verified_cache<std::uint64_t, issuer_identity, issuer_identity_bytes>;

// A claim path's value: a top-level member named by the whole path, else the dotted walk.
std::optional<json::value> at_path(const json::object& claims, std::string_view path) {
  if (auto whole = claims.find(path)) return whole;
  json::object current = claims;
  for (std::size_t start = 0;;) {
    const std::size_t dot = path.find('.', start);
    auto member = current.find(path.substr(start, dot - start));
    if (!member || dot == std::string_view::npos) return member;
    auto inner = member->as_object();
    if (!inner) return std::nullopt;
    current = *inner;
    start = dot + 1;
  }
}

void add_unique(std::vector<std::string>& out, std::string_view item) {
  if (item.empty() || std::find(out.begin(), out.end(), item) != out.end()) return;
  out.emplace_back(item);
}

// A space-separated string or an array of strings; anything else contributes nothing.
void append_list(std::vector<std::string>& out, const json::value& v) {
  if (auto text = v.as_string()) {
    for (std::size_t start = 0; start <= text->size();) {
      std::size_t end = text->find(' ', start);
      if (end == std::string_view::npos) end = text->size();
      add_unique(out, text->substr(start, end - start));
      start = end + 1;
    }
    return;
  }
  auto list = v.as_array();
  if (!list) return;
  for (json::value item : *list)
    if (!item.as_string()) return;  // a mixed array is not a list of names: take none of it
  for (json::value item : *list) add_unique(out, *item.as_string());
}

std::vector<std::string> mapped(const json::object& claims, const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& path : paths)
    if (auto v = at_path(claims, path)) append_list(out, *v);
  return out;
}

struct failure {
  issuer_event::kind what;
  errc code;
  std::string detail;
  bool operator==(const failure&) const = default;
};

}  // namespace

struct trusted_issuers::state {
  struct issuer {
    issuer_options options;
    verifier_options rules;  // verify_template(options)
    std::string discovery_url, discovery_scheme;

    // Background thread only.
    std::string jwks_url, jwks_scheme;  // configured, or from discovery
    steady::time_point next_due{};
    std::chrono::milliseconds backoff{0};
    std::optional<failure> last_failure;
    bool had_keys = false;

    // Shared with request threads.
    mutable std::mutex keys_mutex;  // held only to copy or swap a pointer or the message
    std::shared_ptr<const issuer_keys> keys;
    std::string last_error;                     // why the last fetch failed; empty after a success
    std::optional<provider_metadata> metadata;  // from discovery, once it succeeded
    std::atomic<bool> refetch_requested{false};
    std::atomic<std::int64_t> last_refetch{never};
    std::atomic<std::uint64_t> fetches{0}, fetch_failures{0}, accepted{0}, rejected{0};

    std::shared_ptr<const issuer_keys> load() const {
      std::lock_guard lock(keys_mutex);
      return keys;
    }
  };

  std::vector<std::unique_ptr<issuer>> issuers;
  jwtfort::clock clock;
  std::unique_ptr<identity_cache> cache;  // null when off
  std::uint64_t generations = 0;          // background thread only: the last one handed out
  std::function<void(const issuer_event&)> on_event;

  std::mutex wake_mutex;             // guards `stopping` and the hand-over of refetch requests
  std::condition_variable wake;      // the background thread sleeps on it
  std::condition_variable progress;  // wait_until_ready sleeps on it
  bool stopping = false;
  std::atomic<bool> cancel{false};  // abandons a transfer in progress at shutdown
  std::thread worker;

  // --- request threads --------------------------------------------------------------------

  // The configured issuer named by the token's unverified `iss`, before any signature work.
  result<issuer*> route(std::string_view token) const {
    if (token.size() > max_routed_bytes) return error(errc::token_too_large);
    const std::size_t first = token.find('.');
    const std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos) return error(errc::malformed_token);
    const std::string_view payload = token.substr(first + 1, second - first - 1);
    unsigned char* buffer =
        json::scratch_buffer(json::slot::scratch, base64url::decoded_size(payload.size()) + 1);
    auto size = base64url::decode_into(payload, buffer);
    if (!size) return size.error();
    auto claims =
        json::parse_object(json::slot::scratch, buffer, *size, json::claims_limits, nullptr);
    if (!claims) return claims.error();
    auto iss = json::string_member(*claims, "iss", errc::invalid_claim);
    if (!iss) return iss.error();
    if (!*iss) return error(errc::invalid_issuer, "the token has no iss: no trusted issuer");
    for (const auto& i : issuers)
      if (i->options.issuer == **iss) return i.get();
    return error(errc::invalid_issuer, "the token's iss is not a trusted issuer");
  }

  result<issuer_identity> verify(issuer& i, std::string_view token) {
    auto keys = i.load();
    if (!keys) return error(errc::jwks_unavailable, no_keys_message(i));
    if (clock() - keys->fetched_at >= i.options.max_key_age.count())
      return error(errc::jwks_unavailable,
                   "keys of " + i.options.issuer + " are older than max_key_age: " + last_error(i));
    if (!keys->checker) {
      request_refetch(i);
      return error(errc::unknown_key,
                   "the JWKS of " + i.options.issuer + " has no key for an allowed algorithm");
    }
    const std::int64_t now = clock();
    if (auto hit = cache ? cache->find(token, keys->generation, now) : std::nullopt) {
      if (auto ok = detail::check_time_window(hit->token, now, i.options.leeway_seconds); !ok)
        return ok.error();
      return std::move(*hit);
    }
    auto token_ok = keys->checker->verify(token);
    if (!token_ok) return after_rejection(i, token, std::move(token_ok).error());
    auto id = identity_of(i, std::move(*token_ok));
    if (id && cache)
      cache->insert(token, keys->generation, *id,
                    detail::cache_until(id->token, i.options.leeway_seconds), now);
    return id;
  }

  // An unknown kid, or an allowed algorithm the fetched keys do not serve, may be a rotation:
  // ask the background thread for the new keys (rate limited) and answer unknown_key now.
  error after_rejection(issuer& i, std::string_view token, error e) {
    if (e.code == errc::algorithm_not_allowed && allowed_by_issuer(i, token))
      e = error(errc::unknown_key,
                "the JWKS of " + i.options.issuer + " has no key for the token's algorithm");
    if (e.code == errc::unknown_key) request_refetch(i);
    return e;
  }

  static bool allowed_by_issuer(const issuer& i, std::string_view token) {
    auto t = unverified_token::decode(token);
    if (!t) return false;
    auto alg = algorithm_from_string(t->alg_name());
    const auto& allowed = i.options.algorithms;
    return alg && std::find(allowed.begin(), allowed.end(), *alg) != allowed.end();
  }

  // At most one refetch per min_refresh_interval (options clock), however many unknown kids
  // arrive: a flood of made-up kids must not become a flood of requests to the provider.
  void request_refetch(issuer& i) {
    const std::int64_t now = clock();
    std::int64_t last = i.last_refetch.load();
    const bool due =
        last == never || now < last || now - last >= i.options.min_refresh_interval.count();
    if (!due || !i.last_refetch.compare_exchange_strong(last, now)) return;
    {
      std::lock_guard lock(wake_mutex);  // so the background thread cannot miss the request
      i.refetch_requested = true;
    }
    wake.notify_one();
  }

  static result<issuer_identity> identity_of(const issuer& i, verified_token token) {
    auto claims = json::parse_object(json::slot::scratch, token.claims_json(), json::claims_limits);
    if (!claims) return claims.error();
    const claim_mapping& m = i.options.claims;
    std::optional<std::string_view> subject;
    if (auto v = at_path(*claims, m.subject)) subject = v->as_string();
    if (!subject || subject->empty())
      return error(errc::missing_claim, "the token of " + i.options.issuer +
                                            " has no string subject at '" + m.subject + "'");
    if (auto ok = check_client_audience(i, *claims); !ok) return ok.error();
    issuer_identity id{std::move(token), i.options.issuer, std::string(*subject), {}, {}, {}};
    id.roles = mapped(*claims, m.roles);
    id.scopes = mapped(*claims, m.scopes);
    // RFC 9068 client_id, else OpenID Connect's azp, read from this parse (each accessor of
    // verified_token would parse the claims again).
    for (std::string_view name : {"client_id", "azp"}) {
      auto v = claims->find(name);
      if (auto text = v ? v->as_string() : std::nullopt) {
        id.client_id = std::string(*text);
        break;
      }
    }
    return id;
  }

  // audience_claim "client_id": the token's client_id names this API's client.
  static result<void> check_client_audience(const issuer& i, const json::object& claims) {
    if (i.options.audience_claim != "client_id") return {};
    auto v = claims.find("client_id");
    auto client = v ? v->as_string() : std::nullopt;
    const auto& accepted = i.options.audiences;
    if (client && std::find(accepted.begin(), accepted.end(), *client) != accepted.end()) return {};
    return error(errc::invalid_audience,
                 "the token's client_id is not an accepted audience of " + i.options.issuer);
  }

  std::string last_error(const issuer& i) const {
    std::lock_guard lock(i.keys_mutex);
    return i.last_error.empty() ? std::string("no fetch failed") : i.last_error;
  }

  std::string no_keys_message(const issuer& i) const {
    std::lock_guard lock(i.keys_mutex);
    return "no keys from " + i.options.issuer + " yet" +
           (i.last_error.empty() ? std::string(": first fetch in progress") : ": " + i.last_error);
  }

  bool ready(const issuer& i) const {
    auto keys = i.load();
    return keys && clock() - keys->fetched_at < i.options.max_key_age.count();
  }

  // --- background thread ------------------------------------------------------------------

  void run() {
    std::minstd_rand jitter(std::random_device{}());
    std::unique_lock lock(wake_mutex);
    while (!stopping) {
      for (auto& i : issuers) {
        if (!i->refetch_requested.exchange(false) && steady::now() < i->next_due) continue;
        lock.unlock();
        update(*i, jitter);
        lock.lock();
        if (stopping) return;
      }
      auto next = steady::time_point::max();
      for (const auto& i : issuers) next = std::min(next, i->next_due);
      wake.wait_until(lock, next, [&] { return stopping || refetch_pending(); });
    }
  }

  bool refetch_pending() const {
    return std::any_of(issuers.begin(), issuers.end(),
                       [](const auto& i) { return i->refetch_requested.load(); });
  }

  void update(issuer& i, std::minstd_rand& jitter) {
    if (i.jwks_url.empty() && !discover(i)) return retry_later(i, jitter);
    const std::int64_t started = clock();
    auto body = get(i, i.jwks_url, i.jwks_scheme,
                    "Accept: application/jwk-set+json, application/json", "JWKS");
    auto keys = body ? build_keys(i, *body, started, i.keys.get())
                     : result<std::shared_ptr<const issuer_keys>>(std::move(body).error());
    if (!keys) {
      failed(i, issuer_event::kind::jwks_failed, keys.error());
      return retry_later(i, jitter);
    }
    // Only this thread writes i.keys, so reading the old pointer needs no lock.
    const bool rotated = i.keys && i.keys->key_ids != (*keys)->key_ids;
    {
      std::lock_guard lock(i.keys_mutex);
      i.keys = std::move(*keys);
      i.last_error.clear();
    }
    if (!i.had_keys || i.last_failure || rotated)
      emit({i.options.issuer, issuer_event::kind::jwks_ok, errc{},
            std::to_string(i.keys->key_ids.size()) +
                (rotated ? " keys (changed) from " : " keys from ") + i.jwks_url});
    i.had_keys = true;
    i.last_failure.reset();
    i.backoff = 0ms;
    i.next_due = steady::now() + i.options.refresh_interval;
    {
      std::lock_guard lock(wake_mutex);  // so wait_until_ready cannot miss the news
    }
    progress.notify_all();
  }

  // OpenID Connect Discovery 1.0 §4: the document must name exactly the configured issuer
  // (§4.3), and its jwks_uri obeys the same https-or-loopback rule as a configured one.
  bool discover(issuer& i) {
    auto found = discovered_jwks_url(i);
    if (!found) {
      failed(i, issuer_event::kind::discovery_failed, found.error());
      return false;
    }
    i.jwks_scheme = std::move(found->jwks_scheme);
    i.jwks_url = std::move(found->metadata.jwks_uri);
    found->metadata.jwks_uri = i.jwks_url;
    {
      std::lock_guard lock(i.keys_mutex);
      i.metadata = std::move(found->metadata);
    }
    emit({i.options.issuer, issuer_event::kind::discovery_ok, errc{},
          "jwks_uri " + i.jwks_url + found->ignored});
    return true;
  }

  struct discovered {
    provider_metadata metadata;
    std::string jwks_scheme;
    std::string ignored;  // "; <why>" per endpoint left out, for the event's detail
  };

  // The endpoints a browser is sent to. They are optional, so a bad one is left out rather than
  // failing discovery; a URL must pass the rule jwks_uri passes (https, or http on loopback).
  static std::string add_endpoints(const json::object& doc, provider_metadata& m) {
    std::string ignored;
    for (auto [name, field] : {std::pair{"authorization_endpoint", &m.authorization_endpoint},
                               std::pair{"token_endpoint", &m.token_endpoint}}) {
      auto value = json::string_member(doc, name, errc::invalid_configuration);
      if (!value) {
        ignored += std::string("; ") + name + " is not a string (ignored)";
        continue;
      }
      if (!*value) continue;
      std::string url(**value);
      if (auto scheme = detail::check_fetch_url(name, url); !scheme) {
        ignored += "; " + scheme.error().message + " (ignored)";
        continue;
      }
      *field = std::move(url);
    }
    return ignored;
  }

  result<discovered> discovered_jwks_url(issuer& i) {
    auto body =
        get(i, i.discovery_url, i.discovery_scheme, "Accept: application/json", "discovery");
    if (!body) return std::move(body).error();
    const std::string where = "discovery " + i.discovery_url + ": ";
    auto doc = json::parse_object(json::slot::scratch, *body, json::document_limits);
    if (!doc)
      return error(errc::invalid_configuration,
                   where + "not a JSON object: " + doc.error().message);
    auto named = json::string_member(*doc, "issuer", errc::invalid_configuration);
    auto jwks_uri = json::string_member(*doc, "jwks_uri", errc::invalid_configuration);
    if (!named || !*named || !jwks_uri || !*jwks_uri)
      return error(errc::invalid_configuration, where + "issuer and jwks_uri must be strings");
    if (**named != i.options.issuer)
      return error(errc::invalid_configuration, where + "names issuer \"" +
                                                    std::string(named->value().substr(0, 200)) +
                                                    "\", not the configured one");
    std::string url(**jwks_uri);
    auto scheme = detail::check_fetch_url("jwks_uri", url);
    if (!scheme) return error(errc::invalid_configuration, where + scheme.error().message);
    discovered found;
    found.metadata.issuer = i.options.issuer;
    found.metadata.jwks_uri = std::move(url);
    found.jwks_scheme = std::move(*scheme);
    found.ignored = add_endpoints(*doc, found.metadata);
    return found;
  }

  result<std::string> get(issuer& i, const std::string& url, const std::string& scheme,
                          const char* accept, std::string_view what) {
    ++i.fetches;
    const detail::https_get_limits limits{i.options.max_bytes, i.options.timeout, i.options.ca_file,
                                          &cancel};
    return detail::https_get(url, scheme, limits, accept, what);
  }

  // `previous`: the issuer's current keys, if any, whose generation carries over when the new
  // set holds exactly the same keys (a periodic refresh), so that it empties no cache.
  result<std::shared_ptr<const issuer_keys>> build_keys(const issuer& i, std::string_view body,
                                                        std::int64_t fetched_at,
                                                        const issuer_keys* previous) {
    auto set = key_set::from_jwks(body);
    if (!set) {
      // The provider's fault, never the token's: a JSON syntax error is invalid_key here.
      const errc code = set.code() == errc::weak_key ? errc::weak_key : errc::invalid_key;
      return error(code, "JWKS " + i.jwks_url + ": " + set.error().message);
    }
    // A published secret is no secret: accepting it would let anyone who reads the URL sign.
    for (const key& k : set->keys())
      if (k.is_symmetric())
        return error(errc::invalid_key, "JWKS " + i.jwks_url + ": holds a secret (oct) key");
    verifier_options v = i.rules;
    // A provider need not publish keys for every algorithm allowed; the verifier refuses an
    // algorithm without a key, and a token using one gets unknown_key (see after_rejection).
    std::erase_if(v.algorithms, [&](algorithm alg) {
      return std::none_of(set->keys().begin(), set->keys().end(),
                          [alg](const key& k) { return k.accepts(alg); });
    });
    auto keys = std::make_shared<issuer_keys>();
    for (const key& k : set->keys()) {
      keys->key_ids.push_back(k.id());
      keys->fingerprint.push_back(k.id() + ' ' + k.thumbprint());
    }
    std::sort(keys->key_ids.begin(), keys->key_ids.end());
    std::sort(keys->fingerprint.begin(), keys->fingerprint.end());
    keys->generation = previous && previous->fingerprint == keys->fingerprint ? previous->generation
                                                                              : ++generations;
    keys->fetched_at = fetched_at;
    if (v.algorithms.empty()) return std::shared_ptr<const issuer_keys>(std::move(keys));
    v.keys = std::move(*set);
    auto checker = verifier::create(std::move(v));
    if (!checker)
      return error(checker.code(), "JWKS " + i.jwks_url + ": " + checker.error().message);
    keys->checker = std::make_shared<const verifier>(std::move(*checker));
    return std::shared_ptr<const issuer_keys>(std::move(keys));
  }

  void failed(issuer& i, issuer_event::kind what, const error& e) {
    ++i.fetch_failures;
    {
      std::lock_guard lock(i.keys_mutex);
      i.last_error = e.message;
    }
    failure f{what, e.code, e.message};
    if (i.last_failure == f) return;  // reported already: once per distinct failure in a row
    emit({i.options.issuer, what, e.code, e.message});
    i.last_failure = std::move(f);
  }

  // Exponential backoff, 1 s doubling to 60 s (never beyond the refresh interval), each wait
  // drawn from its upper half so that many instances do not retry in step.
  void retry_later(issuer& i, std::minstd_rand& jitter) {
    i.backoff = i.backoff == 0ms ? first_backoff : std::min(i.backoff * 2, last_backoff);
    const auto ceiling = std::min<std::chrono::milliseconds>(i.backoff, i.options.refresh_interval);
    std::uniform_int_distribution<std::int64_t> pick(ceiling.count() / 2, ceiling.count());
    i.next_due = steady::now() + std::chrono::milliseconds(pick(jitter));
  }

  void emit(const issuer_event& e) const {
    if (!on_event) return;
    try {
      on_event(e);
    } catch (...) {
      // A throwing callback must not end the thread that keeps every issuer's keys fresh.
    }
  }
};

trusted_issuers::trusted_issuers(std::shared_ptr<state> s) : state_(std::move(s)) {}

trusted_issuers::~trusted_issuers() {
  {
    std::lock_guard lock(state_->wake_mutex);
    state_->stopping = true;
  }
  state_->cancel = true;
  state_->wake.notify_all();
  if (state_->worker.joinable()) state_->worker.join();
}

namespace {

result<void> check_issuer(const issuer_options& o) {
  if (auto r = detail::check_fetch_url("issuer", o.issuer); !r)
    return bad_option(o.issuer, r.error().message);
  if (o.issuer.find_first_of("?#") != std::string::npos)
    return bad_option(o.issuer, "issuer must not have a query or fragment (OpenID Connect)");
  if (!o.jwks_url.empty())
    if (auto r = detail::check_fetch_url("jwks_url", o.jwks_url); !r)
      return bad_option(o.issuer, r.error().message);
  for (auto check : {check_audiences, check_algorithms, check_limits, check_claim_paths})
    if (auto r = check(o); !r) return r;
  return {};
}

}  // namespace

result<std::shared_ptr<trusted_issuers>> trusted_issuers::create(trusted_issuers_options options) {
  if (options.issuers.empty())
    return error(errc::invalid_configuration, "trusted issuers: no issuer configured");
  if (!options.clock) return error(errc::invalid_configuration, "trusted issuers: no clock");
  auto s = std::make_shared<state>();
  s->clock = options.clock;
  s->on_event = std::move(options.on_event);
  if (options.verified_cache_entries > 0 && options.verified_cache_bytes > 0)
    s->cache = std::make_unique<identity_cache>(options.verified_cache_entries,
                                                options.verified_cache_bytes);
  for (issuer_options& o : options.issuers) {
    if (auto r = check_issuer(o); !r) return r.error();
    for (const auto& other : s->issuers)
      if (other->options.issuer == o.issuer) return bad_option(o.issuer, "configured twice");
    auto i = std::make_unique<state::issuer>();
    i->rules = verify_template(o, s->clock);
    if (o.jwks_url.empty()) {
      // Discovery §4.1: a trailing slash of the issuer is removed before the well-known path.
      std::string base = o.issuer;
      if (!base.empty() && base.back() == '/') base.pop_back();
      i->discovery_url = base + "/.well-known/openid-configuration";
      auto scheme = detail::check_fetch_url("issuer", i->discovery_url);
      if (!scheme) return bad_option(o.issuer, scheme.error().message);
      i->discovery_scheme = std::move(*scheme);
    } else {
      i->jwks_url = o.jwks_url;
      i->jwks_scheme = *detail::check_fetch_url("jwks_url", o.jwks_url);
    }
    i->options = std::move(o);
    s->issuers.push_back(std::move(i));
  }
  s->worker = std::thread([raw = s.get()] { raw->run(); });
  return std::shared_ptr<trusted_issuers>(new trusted_issuers(std::move(s)));
}

bool trusted_issuers::knows_issuer_of(std::string_view token) const {
  return static_cast<bool>(state_->route(token));
}

result<issuer_identity> trusted_issuers::verify(std::string_view token) const {
  auto routed = state_->route(token);
  if (!routed) return std::move(routed).error();
  state::issuer& i = **routed;
  auto r = state_->verify(i, token);
  (r ? i.accepted : i.rejected).fetch_add(1, std::memory_order_relaxed);
  return r;
}

bool trusted_issuers::wait_until_ready(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(state_->wake_mutex);
  return state_->progress.wait_for(lock, timeout, [&] {
    return std::all_of(state_->issuers.begin(), state_->issuers.end(),
                       [&](const auto& i) { return state_->ready(*i); });
  });
}

std::vector<issuer_stats> trusted_issuers::stats() const {
  std::vector<issuer_stats> out;
  for (const auto& i : state_->issuers)
    out.push_back({i->options.issuer, i->fetches.load(), i->fetch_failures.load(),
                   i->accepted.load(), i->rejected.load(), state_->ready(*i)});
  return out;
}

std::optional<provider_metadata> trusted_issuers::metadata(std::string_view issuer) const {
  for (const auto& i : state_->issuers)
    if (i->options.issuer == issuer) {
      std::lock_guard lock(i->keys_mutex);
      return i->metadata;
    }
  return std::nullopt;
}

verified_cache_stats trusted_issuers::cache_stats() const {
  return state_->cache ? state_->cache->stats() : verified_cache_stats{};
}

}  // namespace jwtfort
