// The authenticator end to end on hand-built requests: token locations and their error texts,
// CSRF double submit, route rules, roles and scopes, and the challenge sent for each failure.
#include <atomic>
#include <functional>
#include <vector>

#include "jwtfort/http/authenticator.hpp"
#include "jwtfort/service/token_service.hpp"
#include "test_support.hpp"

namespace jwtfort {
namespace {

constexpr std::int64_t t0 = test::now;
const std::string secret(32, 's');
const std::string invalid_token = R"(Bearer error="invalid_token")";
const std::string invalid_request = R"(Bearer error="invalid_request")";
const std::string bad_bearer = "Bad Authorization header. Expected value 'Bearer <JWT>'";

// A store that cannot vouch for anything, as a store during an outage.
class unavailable_store final : public token_store {
 public:
  result<void> revoke_token(std::string_view, std::int64_t) override {
    return errc::store_unavailable;
  }
  result<void> revoke_subject(std::string_view, std::int64_t, std::int64_t) override {
    return errc::store_unavailable;
  }
  result<void> revoke_family(std::string_view, std::int64_t) override {
    return errc::store_unavailable;
  }
  result<void> check(const revocation_query&) const override { return errc::store_unavailable; }
  result<refresh_verdict> use_refresh_token(const refresh_use&) override {
    return errc::store_unavailable;
  }
  result<std::size_t> purge_expired(std::int64_t) override { return errc::store_unavailable; }
  result<store_stats> stats() const override { return errc::store_unavailable; }
};

std::string describe(const http::decision& d) {
  if (const auto* c = d.challenge())
    return "refused: " + std::to_string(c->status) + " " + std::string(to_string(c->code)) + " \"" +
           c->detail + "\"";
  return d.principal() ? "authenticated" : "anonymous";
}

void expect_challenge(const http::decision& d, errc code, int status, std::string_view detail,
                      std::string_view www_authenticate) {
  const http::challenge* c = d.challenge();
  ASSERT_NE(c, nullptr) << describe(d) << "; expected " << to_string(code);
  EXPECT_EQ(c->code, code);
  EXPECT_EQ(c->status, status);
  EXPECT_EQ(c->detail, detail);
  EXPECT_EQ(c->www_authenticate, www_authenticate);
}

// Expects a refusal with exactly this code, status, detail and WWW-Authenticate value.
#define EXPECT_CHALLENGE(d, ...)      \
  do {                                \
    SCOPED_TRACE("EXPECT_CHALLENGE"); \
    expect_challenge(d, __VA_ARGS__); \
  } while (false)

// 401 invalid_token with `detail`, the shape of most token failures.
#define EXPECT_INVALID_TOKEN(d, code, detail) EXPECT_CHALLENGE(d, code, 401, detail, invalid_token)

struct http_fixture : testing::Test {
  std::atomic<std::int64_t> now{t0};
  std::shared_ptr<token_store> store = memory_store();
  std::shared_ptr<const token_service> service = make_service();

  static std::shared_ptr<token_store> memory_store() {
    store_options so;
    so.purge_interval = std::chrono::milliseconds(0);
    return make_memory_store(so);
  }
  std::shared_ptr<const token_service> make_service(
      const std::function<void(token_service_options&)>& tweak = {}) {
    token_service_options o;
    o.clock = [this] { return now.load(); };
    o.store = store;
    o.csrf_claim = true;
    if (tweak) tweak(o);
    auto ring =
        test::must(key_ring::from_key(test::must(key::from_secret(secret, algorithm::hs256))));
    return std::make_shared<const token_service>(
        test::must(token_service::create(std::move(ring), std::move(o))));
  }
  http::authenticator make_auth(http::authenticator_options o = {}) {
    return test::must(http::authenticator::create(service, std::move(o)));
  }
  std::string access(const token_request& r = {.subject = "alice"}) {
    return test::must(service->create_access_token(r));
  }
  std::string with_claims(std::string extra) {
    return access({.subject = "alice", .extra_claims_json = std::move(extra)});
  }
  std::string refresh() { return test::must(service->create_refresh_token({.subject = "alice"})); }
  static std::string bearer(std::string_view token) { return "Bearer " + std::string(token); }
  static std::string cookie(std::string_view name, std::string_view token) {
    return std::string(name) + "=" + std::string(token);
  }
  /// A token signed with the service's key from raw claims, for time boundaries.
  static std::string signed_payload(std::string_view payload) {
    return test::hmac_token(R"({"alg":"HS256","typ":"JWT"})", payload, secret);
  }
};

http::decision decide(const http::authenticator& a, std::string_view method,
                      std::string_view target, std::vector<http::header_field> headers = {}) {
  return a.decide(http::request_view{.method = method, .target = target, .headers = headers});
}

using http_authenticator_test = http_fixture;

// --- the header ------------------------------------------------------------------------------

TEST_F(http_authenticator_test, bearer_header_authenticates) {
  auto a = make_auth();
  const std::string t = access();
  auto d = decide(a, "GET", "/me", {{"Authorization", bearer(t)}});
  ASSERT_NE(d.principal(), nullptr) << describe(d);
  EXPECT_TRUE(d.allowed());
  EXPECT_EQ(d.principal()->subject(), "alice");
  EXPECT_EQ(d.principal()->location, "header");
  EXPECT_EQ(d.principal()->encoded, t);
  EXPECT_TRUE(d.principal()->roles.empty());
  EXPECT_TRUE(d.principal()->scopes.empty());
}

TEST_F(http_authenticator_test, scheme_and_header_name_are_case_insensitive) {
  auto a = make_auth();
  const std::string t = access();
  for (const std::string& value :
       std::vector<std::string>{"bearer " + t, "BEARER " + t, "bEaReR " + t, "Bearer  " + t,
                                "Bearer   " + t + " ", " Bearer " + t})
    EXPECT_NE(decide(a, "GET", "/me", {{"Authorization", value}}).principal(), nullptr) << value;
  EXPECT_NE(decide(a, "GET", "/me", {{"aUTHORIZATION", bearer(t)}}).principal(), nullptr);
}

TEST_F(http_authenticator_test, malformed_bearer_headers_are_400_invalid_request) {
  auto a = make_auth();
  const std::string t = access();
  for (const std::string& value : std::vector<std::string>{
           bearer(t) + " extra", "Bearer\t" + t, std::string(), "Bearer", "Bearer ", "Basic " + t,
           "Bearer" + t, t, "Bearer " + t + "==x", "Bearer a,b", "Token " + t})
    EXPECT_CHALLENGE(decide(a, "GET", "/me", {{"Authorization", value}}),
                     errc::invalid_authorization_header, 400, bad_bearer, invalid_request);
}

TEST_F(http_authenticator_test, token68_padding_is_allowed_at_the_end_only) {
  auto a = make_auth();
  // Syntactically a token (it ends in `=`): reaches the verifier, which refuses it.
  EXPECT_INVALID_TOKEN(decide(a, "GET", "/me", {{"Authorization", "Bearer abc=="}}),
                       errc::malformed_token, "Invalid token");
}

TEST_F(http_authenticator_test, a_header_sent_twice_is_refused) {
  auto a = make_auth();
  const std::string t = access();
  EXPECT_CHALLENGE(
      decide(a, "GET", "/me", {{"Authorization", bearer(t)}, {"authorization", bearer(t)}}),
      errc::invalid_authorization_header, 400, "Bad Authorization header. Sent more than once",
      invalid_request);
}

TEST_F(http_authenticator_test, bare_header_type_and_custom_names_appear_in_messages) {
  http::authenticator_options o;
  o.header_name = "X-Access-Token";
  o.header_type = "";
  auto bare = make_auth(o);
  const std::string t = access();
  auto d = decide(bare, "GET", "/me", {{"x-access-token", " " + t + " "}});
  ASSERT_NE(d.principal(), nullptr) << describe(d);
  EXPECT_EQ(d.principal()->encoded, t);
  EXPECT_CHALLENGE(decide(bare, "GET", "/me", {{"X-Access-Token", bearer(t)}}),
                   errc::invalid_authorization_header, 400,
                   "Bad X-Access-Token header. Expected value '<JWT>'", invalid_request);
  EXPECT_CHALLENGE(decide(bare, "GET", "/me", {{"X-Access-Token", ""}}),
                   errc::invalid_authorization_header, 400,
                   "Bad X-Access-Token header. Expected value '<JWT>'", invalid_request);
  EXPECT_CHALLENGE(decide(bare, "GET", "/me", {{"Authorization", bearer(t)}}), errc::missing_token,
                   401, "Missing X-Access-Token Header", "Bearer");

  o.header_type = "JWT";
  auto typed = make_auth(o);
  EXPECT_NE(decide(typed, "GET", "/me", {{"X-Access-Token", "jwt " + t}}).principal(), nullptr);
  EXPECT_CHALLENGE(decide(typed, "GET", "/me", {{"X-Access-Token", bearer(t)}}),
                   errc::invalid_authorization_header, 400,
                   "Bad X-Access-Token header. Expected value 'JWT <JWT>'", invalid_request);
}

// --- missing tokens --------------------------------------------------------------------------

TEST_F(http_authenticator_test, missing_token_names_the_first_allowed_location) {
  auto header_only = make_auth();
  auto d = decide(header_only, "GET", "/me");
  EXPECT_CHALLENGE(d, errc::missing_token, 401, "Missing Authorization Header", "Bearer");
  ASSERT_NE(d.challenge(), nullptr);
  EXPECT_EQ(d.challenge()->body(), R"({"detail":"Missing Authorization Header"})");

  http::authenticator_options o;
  o.locations = {.header = false, .cookies = true};
  o.routes = {{.path = "/refresh", .need = http::requirement::refresh},
              {.path = "/ws", .locations = http::token_locations{.header = false, .query = true}}};
  auto cookies = make_auth(o);
  EXPECT_CHALLENGE(decide(cookies, "GET", "/me"), errc::missing_token, 401,
                   "Missing cookie access_token_cookie", "Bearer");
  EXPECT_CHALLENGE(decide(cookies, "POST", "/refresh"), errc::missing_token, 401,
                   "Missing cookie refresh_token_cookie", "Bearer");
  EXPECT_CHALLENGE(decide(cookies, "GET", "/ws"), errc::missing_token, 401,
                   "Missing token query parameter 'token'", "Bearer");

  o.locations = {.header = true, .cookies = true};
  EXPECT_CHALLENGE(decide(make_auth(o), "GET", "/me"), errc::missing_token, 401,
                   "Missing Authorization Header", "Bearer");
}

TEST_F(http_authenticator_test, an_empty_cookie_counts_as_no_cookie) {
  http::authenticator_options o;
  o.locations = {.header = false, .cookies = true};
  EXPECT_CHALLENGE(decide(make_auth(o), "GET", "/me", {{"Cookie", "access_token_cookie="}}),
                   errc::missing_token, 401, "Missing cookie access_token_cookie", "Bearer");
}

// --- cookies and CSRF ------------------------------------------------------------------------

struct http_cookie_test : http_fixture {
  http::authenticator cookie_auth(std::function<void(http::authenticator_options&)> tweak = {}) {
    http::authenticator_options o;
    o.locations = {.header = true, .cookies = true};
    o.routes = {{.path = "/refresh", .need = http::requirement::refresh}};
    if (tweak) tweak(o);
    return make_auth(std::move(o));
  }
  std::string token = access();
  std::string csrf = test::must(service->require_access(token)).string_claim("csrf").value();
  std::string jar = cookie("access_token_cookie", token);
};

TEST_F(http_cookie_test, safe_methods_need_no_csrf_header) {
  auto a = cookie_auth();
  for (const char* method : {"GET", "HEAD", "OPTIONS"}) {
    auto d = decide(a, method, "/me", {{"Cookie", jar}});
    ASSERT_NE(d.principal(), nullptr) << method << ": " << describe(d);
    EXPECT_EQ(d.principal()->location, "cookie");
    EXPECT_EQ(d.principal()->encoded, token);
  }
}

TEST_F(http_cookie_test, each_csrf_method_needs_the_matching_header) {
  auto a = cookie_auth();
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
    SCOPED_TRACE(method);
    EXPECT_NE(decide(a, method, "/me", {{"Cookie", jar}, {"X-CSRF-Token", csrf}}).principal(),
              nullptr);
    EXPECT_NE(decide(a, method, "/me", {{"Cookie", jar}, {"x-csrf-token", csrf}}).principal(),
              nullptr);
    EXPECT_INVALID_TOKEN(decide(a, method, "/me", {{"Cookie", jar}}), errc::csrf_failed,
                         "Missing CSRF Token");
    EXPECT_INVALID_TOKEN(decide(a, method, "/me", {{"Cookie", jar}, {"X-CSRF-Token", ""}}),
                         errc::csrf_failed, "Missing CSRF Token");
    EXPECT_INVALID_TOKEN(decide(a, method, "/me", {{"Cookie", jar}, {"X-CSRF-Token", csrf + "x"}}),
                         errc::csrf_failed, "CSRF double submit tokens do not match");
    std::string flipped = csrf;
    flipped[0] = flipped[0] == 'a' ? 'b' : 'a';
    EXPECT_INVALID_TOKEN(decide(a, method, "/me", {{"Cookie", jar}, {"X-CSRF-Token", flipped}}),
                         errc::csrf_failed, "CSRF double submit tokens do not match");
  }
}

TEST_F(http_cookie_test, csrf_methods_and_header_names_come_from_the_options) {
  auto a = cookie_auth([](http::authenticator_options& o) {
    o.csrf_methods = {"GET"};
    o.access_csrf_header = "X-Xsrf";
  });
  EXPECT_INVALID_TOKEN(decide(a, "GET", "/me", {{"Cookie", jar}, {"X-CSRF-Token", csrf}}),
                       errc::csrf_failed, "Missing CSRF Token");
  EXPECT_NE(decide(a, "GET", "/me", {{"Cookie", jar}, {"X-Xsrf", csrf}}).principal(), nullptr);
  EXPECT_NE(decide(a, "POST", "/me", {{"Cookie", jar}}).principal(), nullptr);
  // Methods are case-sensitive (RFC 9110 §9.1): "get" is another method.
  EXPECT_NE(decide(a, "get", "/me", {{"Cookie", jar}}).principal(), nullptr);
}

TEST_F(http_cookie_test, csrf_off_accepts_cookies_without_header) {
  auto a = cookie_auth([](http::authenticator_options& o) { o.csrf_protect = false; });
  EXPECT_NE(decide(a, "POST", "/me", {{"Cookie", jar}}).principal(), nullptr);
}

TEST_F(http_cookie_test, a_token_without_csrf_claim_fails_the_check) {
  service = make_service([](token_service_options& o) { o.csrf_claim = false; });
  auto a = cookie_auth();
  const std::string plain = access();
  EXPECT_INVALID_TOKEN(
      decide(a, "POST", "/me",
             {{"Cookie", cookie("access_token_cookie", plain)}, {"X-CSRF-Token", "anything"}}),
      errc::csrf_failed, "Missing claim: csrf");
  // A token sent in the header is not subject to CSRF: the browser does not add it on its own.
  EXPECT_NE(decide(a, "POST", "/me", {{"Authorization", bearer(plain)}}).principal(), nullptr);
}

TEST_F(http_cookie_test, csrf_is_checked_after_the_token_verifies) {
  auto a = cookie_auth();
  now = t0 + 15 * 60;
  EXPECT_INVALID_TOKEN(decide(a, "POST", "/me", {{"Cookie", jar}}), errc::expired,
                       "Signature has expired");
}

TEST_F(http_cookie_test, refresh_cookie_takes_the_refresh_csrf_header) {
  auto a =
      cookie_auth([](http::authenticator_options& o) { o.refresh_csrf_header = "X-CSRF-Refresh"; });
  const std::string r = refresh();
  const std::string r_csrf = test::must(service->require_refresh(r)).string_claim("csrf").value();
  const std::string r_jar = cookie("refresh_token_cookie", r);
  auto d = decide(a, "POST", "/refresh", {{"Cookie", r_jar}, {"X-CSRF-Refresh", r_csrf}});
  ASSERT_NE(d.principal(), nullptr) << describe(d);
  EXPECT_EQ(d.principal()->encoded, r);
  EXPECT_INVALID_TOKEN(decide(a, "POST", "/refresh", {{"Cookie", r_jar}, {"X-CSRF-Token", r_csrf}}),
                       errc::csrf_failed, "Missing CSRF Token");
  // The access cookie is not read for a refresh route, nor the refresh cookie for others.
  EXPECT_CHALLENGE(decide(a, "POST", "/refresh", {{"Cookie", jar}, {"X-CSRF-Refresh", csrf}}),
                   errc::missing_token, 401, "Missing Authorization Header", "Bearer");
  EXPECT_CHALLENGE(decide(a, "GET", "/me", {{"Cookie", r_jar}}), errc::missing_token, 401,
                   "Missing Authorization Header", "Bearer");
}

TEST_F(http_cookie_test, header_beats_cookie) {
  auto a = cookie_auth();
  auto d = decide(a, "GET", "/me",
                  {{"Cookie", "access_token_cookie=garbage"}, {"Authorization", bearer(token)}});
  ASSERT_NE(d.principal(), nullptr) << describe(d);
  EXPECT_EQ(d.principal()->location, "header");
  // A header that is there decides, even when it is unusable and the cookie is good.
  EXPECT_CHALLENGE(decide(a, "GET", "/me", {{"Cookie", jar}, {"Authorization", "Basic x"}}),
                   errc::invalid_authorization_header, 400, bad_bearer, invalid_request);
}

TEST_F(http_cookie_test, a_duplicated_token_cookie_is_refused) {
  auto a = cookie_auth();
  EXPECT_INVALID_TOKEN(decide(a, "GET", "/me", {{"Cookie", jar + "; " + jar}}),
                       errc::malformed_token, "Invalid token");
  EXPECT_INVALID_TOKEN(
      decide(a, "GET", "/me", {{"Cookie", jar}, {"Cookie", "access_token_cookie=x"}}),
      errc::malformed_token, "Invalid token");
  auto quoted = decide(a, "GET", "/me", {{"Cookie", "a=1; access_token_cookie=\"" + token + "\""}});
  EXPECT_NE(quoted.principal(), nullptr) << describe(quoted);
}

// --- query tokens ----------------------------------------------------------------------------

TEST_F(http_authenticator_test, query_token_only_where_a_route_opts_in) {
  http::authenticator_options o;
  o.routes = {{.path = "/ws", .locations = http::token_locations{.header = false, .query = true}}};
  auto a = make_auth(o);
  const std::string t = access();
  EXPECT_CHALLENGE(decide(a, "GET", "/me?token=" + t), errc::missing_token, 401,
                   "Missing Authorization Header", "Bearer");
  auto d = decide(a, "GET", "/ws?x=1&token=" + t);
  ASSERT_NE(d.principal(), nullptr) << describe(d);
  EXPECT_EQ(d.principal()->location, "query");
  EXPECT_EQ(d.principal()->encoded, t);

  std::string escaped = t;  // percent-encoded dots decode to the same token
  for (std::size_t p = escaped.find('.'); p != std::string::npos; p = escaped.find('.', p))
    escaped.replace(p, 1, "%2E");
  d = decide(a, "GET", "/ws?token=" + escaped);
  ASSERT_NE(d.principal(), nullptr) << describe(d);
  EXPECT_EQ(d.principal()->encoded, t);

  EXPECT_CHALLENGE(decide(a, "GET", "/ws?token=%zz"), errc::missing_token, 401,
                   "Missing token query parameter 'token'", "Bearer");
  EXPECT_INVALID_TOKEN(decide(a, "GET", "/ws?token=" + t + "&token=" + t), errc::malformed_token,
                       "Invalid token");
  // The header is not read on this route.
  EXPECT_CHALLENGE(decide(a, "GET", "/ws", {{"Authorization", bearer(t)}}), errc::missing_token,
                   401, "Missing token query parameter 'token'", "Bearer");
}

// --- requirements ----------------------------------------------------------------------------

TEST_F(http_authenticator_test, optional_is_anonymous_only_without_a_token) {
  http::authenticator_options o;
  o.default_requirement = http::requirement::optional;
  auto a = make_auth(o);
  auto d = decide(a, "GET", "/feed");
  EXPECT_TRUE(d.allowed());
  EXPECT_EQ(d.principal(), nullptr);
  EXPECT_EQ(d.challenge(), nullptr);
  EXPECT_NE(decide(a, "GET", "/feed", {{"Authorization", bearer(access())}}).principal(), nullptr);
  EXPECT_INVALID_TOKEN(decide(a, "GET", "/feed", {{"Authorization", "Bearer abc.def.ghi"}}),
                       errc::invalid_json, "Invalid token");
  EXPECT_CHALLENGE(decide(a, "GET", "/feed", {{"Authorization", "Basic abc"}}),
                   errc::invalid_authorization_header, 400, bad_bearer, invalid_request);
  EXPECT_INVALID_TOKEN(decide(a, "GET", "/feed", {{"Authorization", bearer(refresh())}}),
                       errc::wrong_token_type, "Only access tokens are allowed");
}

TEST_F(http_authenticator_test, fresh_routes_need_fresh_tokens) {
  http::authenticator_options o;
  o.routes = {{.path = "/password", .need = http::requirement::fresh}};
  auto a = make_auth(o);
  EXPECT_INVALID_TOKEN(decide(a, "POST", "/password", {{"Authorization", bearer(access())}}),
                       errc::fresh_token_required, "Fresh token required");
  const std::string fresh = access({.subject = "alice", .fresh = true});
  EXPECT_NE(decide(a, "POST", "/password", {{"Authorization", bearer(fresh)}}).principal(),
            nullptr);
  EXPECT_INVALID_TOKEN(decide(a, "POST", "/password", {{"Authorization", bearer(refresh())}}),
                       errc::wrong_token_type, "Only access tokens are allowed");
}

TEST_F(http_authenticator_test, refresh_and_access_mix_ups_say_which_was_wanted) {
  http::authenticator_options o;
  o.routes = {{.path = "/refresh", .need = http::requirement::refresh}};
  auto a = make_auth(o);
  EXPECT_INVALID_TOKEN(decide(a, "POST", "/refresh", {{"Authorization", bearer(access())}}),
                       errc::wrong_token_type, "Only refresh tokens are allowed");
  EXPECT_INVALID_TOKEN(decide(a, "GET", "/me", {{"Authorization", bearer(refresh())}}),
                       errc::wrong_token_type, "Only access tokens are allowed");
  auto d = decide(a, "POST", "/refresh", {{"Authorization", bearer(refresh())}});
  EXPECT_NE(d.principal(), nullptr) << describe(d);
}

TEST_F(http_authenticator_test, decide_with_a_fixed_rule_ignores_the_table) {
  http::authenticator_options o;
  o.excluded_paths = {"/*"};
  auto a = make_auth(o);
  std::vector<http::header_field> fields = {{"Authorization", "Bearer x"}};
  http::request_view r{.method = "POST", .target = "/anything", .headers = fields};
  EXPECT_TRUE(a.decide(r).allowed());
  EXPECT_INVALID_TOKEN(a.decide(r, {.path = "ignored", .need = http::requirement::refresh}),
                       errc::malformed_token, "Invalid token");
  EXPECT_TRUE(a.decide(r, {.need = http::requirement::none}).allowed());
}

TEST_F(http_authenticator_test, revoked_tokens_say_so) {
  auto a = make_auth();
  const std::string t = access();
  test::must(service->revoke(test::must(service->require_access(t))));
  EXPECT_INVALID_TOKEN(decide(a, "GET", "/me", {{"Authorization", bearer(t)}}), errc::revoked,
                       "Token has been revoked");
}

TEST_F(http_authenticator_test, store_outage_is_503_without_a_challenge) {
  store = std::make_shared<unavailable_store>();
  service = make_service();
  auto a = make_auth();
  EXPECT_CHALLENGE(decide(a, "GET", "/me", {{"Authorization", bearer(access())}}),
                   errc::store_unavailable, 503, "Token store unavailable", "");
}

// --- roles and scopes ------------------------------------------------------------------------

TEST_F(http_authenticator_test, roles_are_all_required) {
  http::authenticator_options o;
  o.routes = {{.path = "/admin/*", .roles = {"admin", "ops"}}};
  auto a = make_auth(o);
  auto d = decide(a, "GET", "/admin/users",
                  {{"Authorization", bearer(with_claims(R"({"roles":["ops","admin","x"]})"))}});
  ASSERT_NE(d.principal(), nullptr) << describe(d);
  EXPECT_EQ(d.principal()->roles, (std::vector<std::string>{"ops", "admin", "x"}));
  EXPECT_CHALLENGE(decide(a, "GET", "/admin",
                          {{"Authorization", bearer(with_claims(R"({"roles":["admin"]})"))}}),
                   errc::insufficient_scope, 403, "Missing required role",
                   R"(Bearer error="insufficient_scope")");
  EXPECT_CHALLENGE(decide(a, "GET", "/admin", {{"Authorization", bearer(access())}}),
                   errc::insufficient_scope, 403, "Missing required role",
                   R"(Bearer error="insufficient_scope")");
  // Another claim name; a single string is a list of one.
  o.roles_claim = "groups";
  o.routes = {{.path = "/admin/*", .roles = {"admin"}}};
  d = decide(make_auth(o), "GET", "/admin",
             {{"Authorization", bearer(with_claims(R"({"groups":"admin"})"))}});
  ASSERT_NE(d.principal(), nullptr) << describe(d);
  EXPECT_EQ(d.principal()->roles, (std::vector<std::string>{"admin"}));
}

TEST_F(http_authenticator_test, scopes_come_from_scope_or_scp) {
  http::authenticator_options o;
  o.routes = {{.path = "/items", .scopes = {"read", "write"}}};
  auto a = make_auth(o);
  auto d = decide(a, "PUT", "/items",
                  {{"Authorization", bearer(with_claims(R"({"scope":"write  other read"})"))}});
  ASSERT_NE(d.principal(), nullptr) << describe(d);
  EXPECT_EQ(d.principal()->scopes, (std::vector<std::string>{"write", "other", "read"}));
  d = decide(a, "PUT", "/items",
             {{"Authorization", bearer(with_claims(R"({"scp":["read","write"]})"))}});
  EXPECT_NE(d.principal(), nullptr) << describe(d);
  EXPECT_CHALLENGE(
      decide(a, "PUT", "/items", {{"Authorization", bearer(with_claims(R"({"scope":"read"})"))}}),
      errc::insufficient_scope, 403, "Insufficient scope",
      R"(Bearer error="insufficient_scope", scope="read write")");
  o.realm = "api";
  EXPECT_CHALLENGE(decide(make_auth(o), "PUT", "/items", {{"Authorization", bearer(access())}}),
                   errc::insufficient_scope, 403, "Insufficient scope",
                   R"(Bearer realm="api", error="insufficient_scope", scope="read write")");
}

// --- routes ----------------------------------------------------------------------------------

TEST_F(http_authenticator_test, excluded_paths_and_patterns) {
  http::authenticator_options o;
  o.excluded_paths = {"/healthz", "/docs/*"};
  auto a = make_auth(o);
  for (const char* target : {"/healthz", "/healthz?verbose=1", "/docs", "/docs/", "/docs/a/b"})
    EXPECT_TRUE(decide(a, "GET", target).allowed()) << target;
  for (const char* target : {"/docsx", "/doc", "/healthz/", "/healthzx", "/x/healthz", "/api/docs"})
    EXPECT_CHALLENGE(decide(a, "GET", target), errc::missing_token, 401,
                     "Missing Authorization Header", "Bearer");
}

TEST_F(http_authenticator_test, first_matching_rule_decides_by_path_and_method) {
  http::authenticator_options o;
  o.routes = {{.path = "/items", .methods = {"GET"}, .need = http::requirement::none},
              {.path = "/public/*", .need = http::requirement::none},
              {.path = "/public/admin", .need = http::requirement::access}};
  o.default_requirement = http::requirement::access;
  auto a = make_auth(o);
  EXPECT_TRUE(decide(a, "GET", "/items").allowed());
  EXPECT_FALSE(decide(a, "POST", "/items").allowed());
  EXPECT_TRUE(decide(a, "GET", "/public/admin").allowed());  // the earlier rule wins
  EXPECT_FALSE(decide(a, "GET", "/other").allowed());

  EXPECT_EQ(a.rule_for("GET", "/items")->need, http::requirement::none);
  EXPECT_EQ(a.rule_for("POST", "/items")->need, http::requirement::access);
  EXPECT_EQ(a.rule_for("POST", "/items")->path, "");

  o.excluded_paths = {"/items"};
  EXPECT_FALSE(make_auth(o).rule_for("GET", "/items").has_value());
}

TEST_F(http_authenticator_test, paths_are_compared_byte_exact_without_normalization) {
  http::authenticator_options o;
  o.excluded_paths = {"/public/*"};
  auto a = make_auth(o);
  // Dot segments and escapes are not resolved here: a server must reject or normalize them
  // before the authenticator sees the path (docs/http.md).
  EXPECT_TRUE(decide(a, "GET", "/public/../admin").allowed());
  EXPECT_FALSE(decide(a, "GET", "/%70ublic/a").allowed());
  EXPECT_FALSE(decide(a, "GET", "/Public/a").allowed());
}

TEST(http_path_matches_test, exact_prefix_and_everything) {
  EXPECT_TRUE(http::path_matches("/admin", "/admin"));
  EXPECT_FALSE(http::path_matches("/admin", "/admin/"));
  EXPECT_FALSE(http::path_matches("/admin", "/adminx"));
  EXPECT_FALSE(http::path_matches("/admin", "/x/admin"));
  EXPECT_FALSE(http::path_matches("/admin", "/admi"));
  EXPECT_TRUE(http::path_matches("/docs/*", "/docs"));
  EXPECT_TRUE(http::path_matches("/docs/*", "/docs/"));
  EXPECT_TRUE(http::path_matches("/docs/*", "/docs/a"));
  EXPECT_TRUE(http::path_matches("/docs/*", "/docs/a/b"));
  EXPECT_FALSE(http::path_matches("/docs/*", "/docsx"));
  EXPECT_FALSE(http::path_matches("/docs/*", "/doc"));
  EXPECT_FALSE(http::path_matches("/docs/*", "/api/docs/a"));
  EXPECT_TRUE(http::path_matches("/*", "/"));
  EXPECT_TRUE(http::path_matches("/*", "/anything/at/all"));
  EXPECT_TRUE(http::path_matches("/a/b/*", "/a/b/c"));
  EXPECT_FALSE(http::path_matches("/a/b/*", "/a/bc"));
}

TEST_F(http_authenticator_test, invalid_configuration_is_refused_naming_the_option) {
  auto refused = [&](http::authenticator_options o, std::string_view field) {
    auto a = http::authenticator::create(service, std::move(o));
    ASSERT_ERRC(a, errc::invalid_configuration) << field;
    EXPECT_NE(a.error().message.find(field), std::string::npos) << a.error().message;
  };
  for (const char* bad : {"", "admin", "/a*", "/a/*/b", "/*x", "*", "/a/**", "/a*/", "/docs*"}) {
    SCOPED_TRACE(bad);
    refused({.routes = {{.path = bad}}}, "routes[0].path");
    refused({.excluded_paths = {"/ok", bad}}, "excluded_paths[1]");
  }
  refused({.header_name = ""}, "header_name");
  refused({.header_name = "Auth orization"}, "header_name");
  refused({.header_type = "Be arer"}, "header_type");
  refused({.access_cookie = ""}, "access_cookie");
  refused({.refresh_cookie = "a;b"}, "refresh_cookie");
  refused({.access_csrf_header = "X:Y"}, "access_csrf_header");
  refused({.query_parameter = "a=b"}, "query_parameter");
  refused({.csrf_methods = {"POST", "TRACE"}}, "csrf_methods");
  refused({.csrf_methods = {"post"}}, "csrf_methods");
  refused({.realm = "api\r\nSet-Cookie: x=y"}, "realm");
  refused({.locations = {.header = false}}, "locations");
  refused({.routes = {{.path = "/a", .methods = {"GE T"}}}}, "routes[0].methods");
  refused({.routes = {{.path = "/a", .roles = {""}}}}, "routes[0].roles");
  refused({.routes = {{.path = "/a", .scopes = {"a b"}}}}, "routes[0].scopes");
  refused({.routes = {{.path = "/a", .locations = http::token_locations{.header = false}}}},
          "routes[0].locations");
  EXPECT_ERRC(http::authenticator::create(nullptr, {}), errc::invalid_configuration);
  EXPECT_OK(http::authenticator::create(
      service, {.csrf_methods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"},
                .excluded_paths = {"/*", "/a", "/a/*"}}));
}

// --- time and forgery through the authenticator (security.md A27) ----------------------------

TEST_F(http_authenticator_test, expiry_and_not_before_boundaries_with_leeway) {
  service = make_service([](token_service_options& o) { o.leeway_seconds = 30; });
  auto a = make_auth();
  const std::string t = access({.subject = "alice", .lifetime = 60});  // exp = t0 + 60
  auto at = [&](std::int64_t when) {
    now = when;
    return decide(a, "GET", "/me", {{"Authorization", bearer(t)}});
  };
  EXPECT_INVALID_TOKEN(at(t0 + 60 + 30 + 1), errc::expired, "Signature has expired");
  EXPECT_INVALID_TOKEN(at(t0 + 60 + 30), errc::expired, "Signature has expired");
  EXPECT_NE(at(t0 + 60 + 30 - 1).principal(), nullptr);

  now = t0;
  // Hand-made claims: the service always writes nbf = iat = now.
  auto claims = [](std::int64_t nbf, std::int64_t iat) {
    return signed_payload(R"({"sub":"alice","type":"access","jti":"j1","exp":)" +
                          std::to_string(t0 + 600) + R"(,"nbf":)" + std::to_string(nbf) +
                          R"(,"iat":)" + std::to_string(iat) + "}");
  };
  const std::string late_nbf = claims(t0 + 30 + 1, t0);
  const std::string edge_nbf = claims(t0 + 30, t0);
  const std::string late_iat = claims(t0, t0 + 30 + 1);
  EXPECT_INVALID_TOKEN(decide(a, "GET", "/me", {{"Authorization", bearer(late_nbf)}}),
                       errc::not_yet_valid, "The token is not yet valid (nbf)");
  EXPECT_NE(decide(a, "GET", "/me", {{"Authorization", bearer(edge_nbf)}}).principal(), nullptr);
  EXPECT_INVALID_TOKEN(decide(a, "GET", "/me", {{"Authorization", bearer(late_iat)}}),
                       errc::issued_in_future, "The token is not yet valid (iat)");
}

TEST_F(http_authenticator_test, forgeries_all_read_invalid_token) {
  auto a = make_auth();
  const std::string t = access();
  auto p = test::split(t);
  p.signature[0] = p.signature[0] == 'A' ? 'B' : 'A';
  EXPECT_INVALID_TOKEN(decide(a, "GET", "/me", {{"Authorization", bearer(test::join(p))}}),
                       errc::invalid_signature, "Invalid token");
  const std::string none = test::b64(R"({"alg":"none","typ":"JWT"})") + "." + p.payload + ".";
  EXPECT_INVALID_TOKEN(decide(a, "GET", "/me", {{"Authorization", bearer(none)}}),
                       errc::unsupported_algorithm, "Invalid token");
  const std::string hs512 = test::hmac_token(R"({"alg":"HS512","typ":"JWT"})",
                                             test::unb64(p.payload), secret, algorithm::hs512);
  EXPECT_INVALID_TOKEN(decide(a, "GET", "/me", {{"Authorization", bearer(hs512)}}),
                       errc::algorithm_not_allowed, "Invalid token");
  const std::string other_key = test::hmac_token(R"({"alg":"HS256","typ":"JWT"})",
                                                 test::unb64(p.payload), std::string(32, 'x'));
  EXPECT_INVALID_TOKEN(decide(a, "GET", "/me", {{"Authorization", bearer(other_key)}}),
                       errc::invalid_signature, "Invalid token");
}

TEST_F(http_authenticator_test, no_refusal_repeats_the_token) {
  http::authenticator_options o;
  o.locations = {.header = true, .cookies = true};
  o.routes = {{.path = "/refresh", .need = http::requirement::refresh},
              {.path = "/admin", .roles = {"admin"}}};
  auto a = make_auth(o);
  const std::string t = access();
  const std::string r = refresh();
  auto tampered = test::split(t);
  tampered.signature[0] = tampered.signature[0] == 'A' ? 'B' : 'A';
  std::vector<http::decision> refusals;
  refusals.push_back(decide(a, "GET", "/me", {{"Authorization", bearer(t) + " " + t}}));
  refusals.push_back(decide(a, "GET", "/me", {{"Authorization", bearer(test::join(tampered))}}));
  refusals.push_back(decide(a, "GET", "/me", {{"Authorization", bearer(r)}}));
  refusals.push_back(decide(a, "POST", "/refresh", {{"Authorization", bearer(t)}}));
  refusals.push_back(decide(a, "GET", "/admin", {{"Authorization", bearer(t)}}));
  refusals.push_back(decide(a, "POST", "/me",
                            {{"Cookie", cookie("access_token_cookie", t)}, {"X-CSRF-Token", t}}));
  now = t0 + 3600;
  refusals.push_back(decide(a, "GET", "/me", {{"Authorization", bearer(t)}}));
  for (const auto& d : refusals) {
    const http::challenge* c = d.challenge();
    ASSERT_NE(c, nullptr) << describe(d);
    for (const std::string& secret_text : {t, r, tampered.signature, test::split(t).signature}) {
      EXPECT_EQ(c->detail.find(secret_text), std::string::npos) << c->detail;
      EXPECT_EQ(c->body().find(secret_text), std::string::npos);
      EXPECT_EQ(c->www_authenticate.find(secret_text), std::string::npos);
    }
  }
}

TEST_F(http_authenticator_test, from_config_reads_locations_names_and_csrf) {
  config c;
  c.token_location = {"cookies"};
  c.header_name = "X-Token";
  c.header_type = "";
  c.access_cookie_key = "a_cookie";
  c.refresh_cookie_key = "r_cookie";
  c.cookie_csrf_protect = false;
  c.access_csrf_header_name = "X-A";
  c.refresh_csrf_header_name = "X-R";
  c.csrf_methods = {"POST"};
  auto o = http::authenticator_options::from_config(c);
  EXPECT_FALSE(o.locations.header);
  EXPECT_TRUE(o.locations.cookies);
  EXPECT_FALSE(o.locations.query);
  EXPECT_EQ(o.header_name, "X-Token");
  EXPECT_EQ(o.header_type, "");
  EXPECT_EQ(o.access_cookie, "a_cookie");
  EXPECT_EQ(o.refresh_cookie, "r_cookie");
  EXPECT_FALSE(o.csrf_protect);
  EXPECT_EQ(o.access_csrf_header, "X-A");
  EXPECT_EQ(o.refresh_csrf_header, "X-R");
  EXPECT_EQ(o.csrf_methods, (std::vector<std::string>{"POST"}));

  auto defaults = http::authenticator_options::from_config(config{});
  EXPECT_TRUE(defaults.locations.header);
  EXPECT_FALSE(defaults.locations.cookies);
  EXPECT_EQ(defaults.header_type, "Bearer");
  EXPECT_TRUE(defaults.csrf_protect);
}

// --- the challenge table ---------------------------------------------------------------------

struct table_row {
  error failure;
  int status;
  std::string detail;
  std::string www_authenticate;
};

TEST(http_challenge_test, every_code_maps_to_one_status_detail_and_challenge) {
  const std::string bare = "Bearer";
  const std::string scope = R"(Bearer error="insufficient_scope")";
  const std::vector<table_row> rows = {
      {errc::invalid_authorization_header, 400, "Bad Authorization header", invalid_request},
      {{errc::invalid_authorization_header, bad_bearer}, 400, bad_bearer, invalid_request},
      {errc::missing_token, 401, "Missing Authorization Header", bare},
      {{errc::missing_token, "Missing cookie c"}, 401, "Missing cookie c", bare},
      {errc::expired, 401, "Signature has expired", invalid_token},
      {errc::not_yet_valid, 401, "The token is not yet valid (nbf)", invalid_token},
      {errc::issued_in_future, 401, "The token is not yet valid (iat)", invalid_token},
      {errc::revoked, 401, "Token has been revoked", invalid_token},
      {errc::token_reused, 401, "Token has been revoked", invalid_token},
      {errc::fresh_token_required, 401, "Fresh token required", invalid_token},
      {errc::wrong_token_type, 401, "Only access tokens are allowed", invalid_token},
      {{errc::wrong_token_type, "only refresh tokens are allowed"},
       401,
       "Only refresh tokens are allowed",
       invalid_token},
      {errc::csrf_failed, 401, "CSRF double submit tokens do not match", invalid_token},
      {{errc::csrf_failed, "Missing CSRF Token"}, 401, "Missing CSRF Token", invalid_token},
      {{errc::csrf_failed, "Missing claim: csrf"}, 401, "Missing claim: csrf", invalid_token},
      {{errc::csrf_failed, "something else"},
       401,
       "CSRF double submit tokens do not match",
       invalid_token},
      {errc::insufficient_scope, 403, "Insufficient scope", scope},
      {{errc::insufficient_scope, "Missing required role 'admin'"},
       403,
       "Missing required role",
       scope},
      {errc::invalid_credentials, 401, "Bad username or password", bare},
      {errc::store_unavailable, 503, "Token store unavailable", ""},
      {errc::jwks_unavailable, 503, "Key set unavailable", ""},
      {errc::too_many_attempts, 429, "Too many login attempts", ""},
      {errc::invalid_key, 500, "Internal server error", ""},
      {errc::weak_key, 500, "Internal server error", ""},
      {errc::invalid_configuration, 500, "Internal server error", ""},
      {errc::internal_error, 500, "Internal server error", ""},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(to_string(row.failure.code)) + ": " + row.failure.message);
    auto c = http::challenge_for(row.failure, {});
    EXPECT_EQ(c.code, row.failure.code);
    EXPECT_EQ(c.status, row.status);
    EXPECT_EQ(c.detail, row.detail);
    EXPECT_EQ(c.www_authenticate, row.www_authenticate);
  }
}

TEST(http_challenge_test, malformed_and_rejected_tokens_share_one_message) {
  for (errc code :
       {errc::malformed_token, errc::token_too_large, errc::invalid_base64, errc::invalid_json,
        errc::duplicate_member, errc::json_too_complex, errc::invalid_header, errc::invalid_claim,
        errc::unsupported_algorithm, errc::algorithm_not_allowed, errc::unknown_key,
        errc::key_algorithm_mismatch, errc::invalid_signature, errc::unsupported_header,
        errc::invalid_critical_header, errc::invalid_type, errc::invalid_issuer,
        errc::invalid_audience, errc::missing_claim}) {
    // The precise message stays in the error, for logs; the client reads one text.
    auto c = http::challenge_for({code, "precise reason: kid \"k1\" unknown"}, {});
    EXPECT_EQ(c.code, code);
    EXPECT_EQ(c.status, 401) << to_string(code);
    EXPECT_EQ(c.detail, "Invalid token") << to_string(code);
    EXPECT_EQ(c.www_authenticate, invalid_token) << to_string(code);
  }
}

TEST(http_challenge_test, realm_comes_first_and_is_quoted) {
  http::authenticator_options o;
  o.realm = R"(api "v1" \ x)";
  EXPECT_EQ(http::challenge_for(errc::expired, o).www_authenticate,
            R"(Bearer realm="api \"v1\" \\ x", error="invalid_token")");
  o.realm = "api";
  EXPECT_EQ(http::challenge_for(errc::missing_token, o).www_authenticate, R"(Bearer realm="api")");
  EXPECT_EQ(http::challenge_for(errc::invalid_authorization_header, o).www_authenticate,
            R"(Bearer realm="api", error="invalid_request")");
  EXPECT_EQ(http::challenge_for(errc::store_unavailable, o).www_authenticate, "");
  o.header_name = "X-Token";
  EXPECT_EQ(http::challenge_for(errc::missing_token, o).detail, "Missing X-Token Header");
}

TEST(http_challenge_test, scopes_fill_the_scope_attribute_of_insufficient_scope_only) {
  http::authenticator_options o;
  o.realm = "api";
  const std::vector<std::string> scopes = {"read", "write"};
  EXPECT_EQ(http::challenge_for(errc::insufficient_scope, o, scopes).www_authenticate,
            R"(Bearer realm="api", error="insufficient_scope", scope="read write")");
  EXPECT_EQ(http::challenge_for(errc::insufficient_scope, o).www_authenticate,
            R"(Bearer realm="api", error="insufficient_scope")");
  EXPECT_EQ(http::challenge_for(errc::expired, o, scopes).www_authenticate,
            R"(Bearer realm="api", error="invalid_token")");
}

TEST(http_challenge_test, body_is_escaped_json) {
  http::challenge c;
  c.detail =
      "a\"b\\c\nd\te\x01"
      "f\x1f/\xc3\xa9";
  EXPECT_EQ(c.body(), R"({"detail":"a\"b\\c\nd\te\u0001f\u001f/)"
                      "\xc3\xa9"
                      R"("})");
  c.detail = "";
  EXPECT_EQ(c.body(), R"({"detail":""})");
}

}  // namespace
}  // namespace jwtfort
