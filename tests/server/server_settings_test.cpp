// The server's own settings: their defaults, every one read beside the library's from a lookup,
// the environment and each file format, one bad value per setting with the library's message,
// unknown names refused for the whole set, and docs/server.md listing each.
#include "server_settings.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>

#include "server_test_support.hpp"

namespace jwtfort::server {
namespace {

using test::outcome;
using test::temp_dir;
using values = std::map<std::string, std::string>;

result<server_settings> from(const values& v) {
  return server_settings::from_lookup([&v](std::string_view name) -> std::optional<std::string> {
    auto it = v.find(std::string(name));
    if (it == v.end()) return std::nullopt;
    return it->second;
  });
}

// server_settings::from_environment() with `v` in the process environment for that call only.
result<server_settings> from_environment_with(const values& v) {
  for (const auto& [name, value] : v)
    if (setenv(name.c_str(), value.c_str(), 1) != 0) throw std::runtime_error("setenv " + name);
  auto s = server_settings::from_environment();
  for (const auto& [name, value] : v) unsetenv(name.c_str());
  return s;
}

auto server_fields(const server_settings& s) {
  return std::tie(s.listen, s.threads, s.login_attempts_per_user, s.login_attempts_per_address,
                  s.login_window, s.trust_forwarded_for, s.log, s.max_connections,
                  s.max_connections_per_address, s.header_timeout, s.idle_timeout,
                  s.verified_cache_entries, s.verified_cache_bytes);
}

// Every server setting with a value other than its default.
const values every_server_setting = {
    {"JWTFORT_LISTEN", "[::1]:0"},
    {"JWTFORT_THREADS", "4"},
    {"JWTFORT_LOGIN_ATTEMPTS_PER_USER", "3"},
    {"JWTFORT_LOGIN_ATTEMPTS_PER_ADDRESS", "7"},
    {"JWTFORT_LOGIN_WINDOW", "120"},
    {"JWTFORT_TRUST_FORWARDED_FOR", "yes"},
    {"JWTFORT_LOG", "OFF"},
    {"JWTFORT_MAX_CONNECTIONS", "500"},
    {"JWTFORT_MAX_CONNECTIONS_PER_ADDRESS", "50"},
    {"JWTFORT_HEADER_TIMEOUT", "5"},
    {"JWTFORT_IDLE_TIMEOUT", "90"},
    {"JWTFORT_VERIFIED_CACHE_ENTRIES", "2000"},
    {"JWTFORT_VERIFIED_CACHE_BYTES", "1048576"},
};

TEST(server_settings, defaults) {
  const server_settings s;
  EXPECT_EQ(s.listen, "127.0.0.1:8000");
  EXPECT_EQ(s.threads, 0);
  EXPECT_EQ(s.login_attempts_per_user, 5);
  EXPECT_EQ(s.login_attempts_per_address, 20);
  EXPECT_EQ(s.login_window, 60);
  EXPECT_FALSE(s.trust_forwarded_for);
  EXPECT_EQ(s.log, "json");
  EXPECT_EQ(s.max_connections, 0);
  EXPECT_EQ(s.max_connections_per_address, 0);
  EXPECT_EQ(s.header_timeout, 10);
  EXPECT_EQ(s.idle_timeout, 30);
  EXPECT_EQ(s.verified_cache_entries, 16384);
  EXPECT_EQ(s.verified_cache_bytes, 16 * 1024 * 1024);
  EXPECT_EQ(s.data_dir, "jwtfort-data");
  auto empty = from({});
  ASSERT_EQ(outcome(empty), "ok");
  EXPECT_EQ(server_fields(*empty), server_fields(s));
}

TEST(server_settings, reads_every_setting_beside_the_librarys) {
  values v = every_server_setting;
  v["AUTHJWT_HEADER_NAME"] = "X-Token";
  v["JWTFORT_DATA_DIR"] = "/srv/jwtfort";
  auto s = from(v);
  ASSERT_EQ(outcome(s), "ok");
  EXPECT_EQ(server_fields(*s),
            std::make_tuple("[::1]:0", 4, 3, 7, 120, true, "off", 500, 50, 5, 90, 2000, 1048576));
  EXPECT_EQ(s->header_name, "X-Token");
  EXPECT_EQ(s->data_dir, "/srv/jwtfort");
}

TEST(server_settings, verified_cache_bounds) {
  EXPECT_EQ(outcome(from({{"JWTFORT_VERIFIED_CACHE_ENTRIES", "-1"}})),
            "invalid_configuration: JWTFORT_VERIFIED_CACHE_ENTRIES: must be 0..16777216, got '-1'");
  EXPECT_EQ(
      outcome(from({{"JWTFORT_VERIFIED_CACHE_BYTES", "16MiB"}})),
      "invalid_configuration: JWTFORT_VERIFIED_CACHE_BYTES: expected an integer, got '16MiB'");
}

TEST(server_settings, refuses_one_bad_value_per_setting_naming_it) {
  const std::pair<const char*, const char*> cases[] = {
      {"JWTFORT_LISTEN", "must not be empty, got ''"},
      {"JWTFORT_THREADS", "must be 0..256, got '257'"},
      {"JWTFORT_LOGIN_ATTEMPTS_PER_USER", "must be > 0, got '0'"},
      {"JWTFORT_LOGIN_ATTEMPTS_PER_ADDRESS", "must be 1..100000, got '100001'"},
      {"JWTFORT_LOGIN_WINDOW", "expected an integer, got '1m'"},
      {"JWTFORT_TRUST_FORWARDED_FOR", "expected true/false, 1/0 or yes/no, got 'proxy'"},
      {"JWTFORT_LOG", "must be one of json, off, got 'text'"},
      {"JWTFORT_MAX_CONNECTIONS", "must be 0..1000000, got '-1'"},
      {"JWTFORT_MAX_CONNECTIONS_PER_ADDRESS", "must be 0..1000000, got '1000001'"},
      {"JWTFORT_HEADER_TIMEOUT", "must be 1..300, got '301'"},
      {"JWTFORT_IDLE_TIMEOUT", "must be > 0, got '0'"},
  };
  for (const auto& [name, message] : cases) {
    const std::string got = std::string(message).substr(std::string(message).find("got '") + 5);
    const std::string value = got.substr(0, got.size() - 1);
    EXPECT_EQ(outcome(from({{name, value}})),
              "invalid_configuration: " + std::string(name) + ": " + message);
  }
}

TEST(server_settings, the_environment_knows_both_sets_and_refuses_other_names) {
  auto s = from_environment_with({{"JWTFORT_LISTEN", "127.0.0.1:0"}, {"JWTFORT_LEEWAY", "12"}});
  ASSERT_EQ(outcome(s), "ok");
  EXPECT_EQ(s->listen, "127.0.0.1:0");
  EXPECT_EQ(s->leeway, 12);
  EXPECT_EQ(outcome(from_environment_with({{"JWTFORT_LISTENS", "127.0.0.1:0"}})),
            "invalid_configuration: JWTFORT_LISTENS: unknown setting");
  EXPECT_EQ(outcome(from_environment_with({{"jwtfort_threads", "2"}})),
            "invalid_configuration: jwtfort_threads: environment names are upper case, expected "
            "JWTFORT_THREADS");
  // The library alone does not know the server's settings.
  setenv("JWTFORT_THREADS", "2", 1);
  auto library = config::from_environment();
  unsetenv("JWTFORT_THREADS");
  EXPECT_EQ(outcome(library), "invalid_configuration: JWTFORT_THREADS: unknown setting");
}

void write(const std::string& path, std::string_view text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(server_settings, every_file_format_reads_both_sets_with_lines_in_messages) {
  temp_dir dir;
  write(dir / "s.toml",
        "[authjwt]\nheader_name = \"X-Token\"\n[jwtfort]\nthreads = 4\n"
        "listen = \"[::1]:0\"\n");
  write(dir / "s.json",
        "{\"authjwt\": {\"header_name\": \"X-Token\"},\n"
        " \"jwtfort\": {\"threads\": 4, \"listen\": \"[::1]:0\"}}");
  write(dir / "s.env", "AUTHJWT_HEADER_NAME=X-Token\nthreads=4\nJWTFORT_LISTEN=[::1]:0\n");
  for (const char* name : {"s.toml", "s.json", "s.env"}) {
    SCOPED_TRACE(name);
    auto s = server_settings::from_file(dir / name);
    ASSERT_EQ(outcome(s), "ok");
    EXPECT_EQ(s->header_name, "X-Token");
    EXPECT_EQ(s->threads, 4);
    EXPECT_EQ(s->listen, "[::1]:0");
  }
  write(dir / "bad.toml", "[jwtfort]\n\nthreads = 999\n");
  EXPECT_EQ(outcome(server_settings::from_file(dir / "bad.toml")),
            "invalid_configuration: " + (dir / "bad.toml") +
                ":3: JWTFORT_THREADS: must be 0..256, got '999'");
  write(dir / "twice.env", "log=off\nJWTFORT_LOG=json\n");
  EXPECT_EQ(outcome(server_settings::from_file(dir / "twice.env")),
            "invalid_configuration: " + (dir / "twice.env") + ":2: JWTFORT_LOG: set twice");
  write(dir / "unknown.json", "{\"jwtfort\": {\n\"listen_address\": \"x\"}}");
  EXPECT_EQ(
      outcome(server_settings::from_file(dir / "unknown.json")),
      "invalid_configuration: " + (dir / "unknown.json") + ":2: listen_address: unknown setting");
}

// Every trusted-issuer setting with a value other than its default (JWTFORT_OIDC_ISSUERS aside:
// only a file gives it).
const values every_oidc_setting = {
    {"JWTFORT_OIDC_ISSUER", "https://idp.example.com/realms/main"},
    {"JWTFORT_OIDC_AUDIENCE", "orders-api, account"},
    {"JWTFORT_OIDC_AUDIENCE_CLAIM", "Client_ID"},
    {"JWTFORT_OIDC_ALGORITHMS", "rs256,ES256"},
    {"JWTFORT_OIDC_ROLES_CLAIM", "realm_access.roles,resource_access.orders-api.roles"},
    {"JWTFORT_OIDC_SCOPES_CLAIM", "scp"},
    {"JWTFORT_OIDC_SUBJECT_CLAIM", "preferred_username"},
    {"JWTFORT_OIDC_REQUIRE_AT_JWT", "true"},
    {"JWTFORT_OIDC_JWKS_URL", "https://idp.example.com/certs"},
    {"JWTFORT_OIDC_CA_FILE", "/etc/ssl/idp-ca.pem"},
    {"JWTFORT_OIDC_LEEWAY", "30"},
    {"JWTFORT_ACCEPT_OWN_TOKENS", "false"},
    {"JWTFORT_OIDC_REFRESH_INTERVAL", "600"},
    {"JWTFORT_OIDC_MIN_REFRESH_INTERVAL", "10"},
    {"JWTFORT_OIDC_MAX_KEY_AGE", "3600"},
};

TEST(server_settings, one_trusted_issuer_from_the_oidc_settings) {
  const server_settings defaults;
  EXPECT_TRUE(defaults.accept_own_tokens);
  EXPECT_TRUE(defaults.trusted_issuer_options().empty());
  auto s = from(every_oidc_setting);
  ASSERT_EQ(outcome(s), "ok");
  const auto issuers = s->trusted_issuer_options();
  ASSERT_EQ(issuers.size(), 1u);
  const issuer_options& o = issuers[0];
  EXPECT_EQ(o.issuer, "https://idp.example.com/realms/main");
  EXPECT_EQ(o.audiences, (std::vector<std::string>{"orders-api", "account"}));
  EXPECT_EQ(o.audience_claim, "client_id");
  EXPECT_EQ(o.algorithms, (std::vector<algorithm>{algorithm::rs256, algorithm::es256}));
  EXPECT_EQ(o.claims.roles,
            (std::vector<std::string>{"realm_access.roles", "resource_access.orders-api.roles"}));
  EXPECT_EQ(o.claims.scopes, std::vector<std::string>{"scp"});
  EXPECT_EQ(o.claims.subject, "preferred_username");
  EXPECT_TRUE(o.require_at_jwt);
  EXPECT_EQ(o.jwks_url, "https://idp.example.com/certs");
  EXPECT_EQ(o.ca_file, "/etc/ssl/idp-ca.pem");
  EXPECT_EQ(o.leeway_seconds, 30);
  EXPECT_EQ(o.refresh_interval, std::chrono::seconds(600));
  EXPECT_EQ(o.min_refresh_interval, std::chrono::seconds(10));
  EXPECT_EQ(o.max_key_age, std::chrono::seconds(3600));
  EXPECT_FALSE(s->accept_own_tokens);
  // Unset, the issuer keeps the library's defaults and the server's leeway.
  auto plain = from({{"JWTFORT_OIDC_ISSUER", "https://idp.example.com"},
                     {"JWTFORT_OIDC_AUDIENCE", "api"},
                     {"JWTFORT_LEEWAY", "7"}});
  ASSERT_EQ(outcome(plain), "ok");
  const issuer_options p = plain->trusted_issuer_options().at(0);
  const issuer_options library;
  EXPECT_EQ(p.algorithms, library.algorithms);
  EXPECT_EQ(p.audience_claim, library.audience_claim);
  EXPECT_EQ(p.claims.roles, library.claims.roles);
  EXPECT_EQ(p.claims.scopes, library.claims.scopes);
  EXPECT_EQ(p.claims.subject, library.claims.subject);
  EXPECT_EQ(p.leeway_seconds, 7);
  EXPECT_FALSE(p.require_at_jwt);
}

TEST(server_settings, several_trusted_issuers_from_a_file) {
  temp_dir dir;
  write(dir / "s.toml",
        "[jwtfort]\noidc_issuer = \"https://first.example.com\"\noidc_audience = \"api\"\n\n"
        "[[jwtfort.oidc_issuers]]\nissuer = \"https://second.example.com\"\n"
        "audience = [\"api\", \"admin-api\"]\nroles_claim = \"cognito:groups\"\n\n"
        "[[jwtfort.oidc_issuers]]\nISSUER = \"https://third.example.com/\"\naudience = \"x\"\n"
        "algorithms = [\"ES256\"]\nrequire_at_jwt = true\nleeway = 5\n");
  write(dir / "s.json",
        "{\"jwtfort\": {\"oidc_issuer\": \"https://first.example.com\", \"oidc_audience\": "
        "\"api\",\n\"oidc_issuers\": [\n{\"issuer\": \"https://second.example.com\", "
        "\"audience\": [\"api\", \"admin-api\"], \"roles_claim\": \"cognito:groups\"},\n"
        "{\"ISSUER\": \"https://third.example.com/\", \"audience\": \"x\", \"algorithms\": "
        "[\"ES256\"], \"require_at_jwt\": true, \"leeway\": 5}]}}");
  for (const char* name : {"s.toml", "s.json"}) {
    SCOPED_TRACE(name);
    auto s = server_settings::from_file(dir / name);
    ASSERT_EQ(outcome(s), "ok");
    const auto issuers = s->trusted_issuer_options();
    ASSERT_EQ(issuers.size(), 3u);
    EXPECT_EQ(issuers[0].issuer, "https://first.example.com");
    EXPECT_EQ(issuers[1].issuer, "https://second.example.com");
    EXPECT_EQ(issuers[1].audiences, (std::vector<std::string>{"api", "admin-api"}));
    EXPECT_EQ(issuers[1].claims.roles, std::vector<std::string>{"cognito:groups"});
    EXPECT_EQ(issuers[2].issuer, "https://third.example.com/");
    EXPECT_EQ(issuers[2].algorithms, std::vector<algorithm>{algorithm::es256});
    EXPECT_TRUE(issuers[2].require_at_jwt);
    EXPECT_EQ(issuers[2].leeway_seconds, 5);
  }
}

TEST(server_settings, trusted_issuer_settings_that_do_not_fit) {
  temp_dir dir;
  const std::pair<std::string, std::string> files[] = {
      {"a.toml", "[[jwtfort.oidc_issuers]]\nissuer = \"https://a.example.com\"\n"},
      {"b.toml", "[[jwtfort.oidc_issuers]]\naudience = \"api\"\n"},
      {"c.toml",
       "[[oidc_issuers]]\nissuer = \"https://a.example.com\"\naudience = \"api\"\n"
       "audiences = \"x\"\n"},
      {"d.json",
       "{\"oidc_issuers\": [{\"issuer\": \"https://a\", \"audience\": \"api\",\n"
       "\"algorithms\": \"HS256\"}]}"},
      {"e.json",
       "{\"oidc_issuers\": [{\"issuer\": \"https://a\", \"audience\": \"api\", "
       "\"Issuer\": \"https://b\"}]}"},
      {"f.toml", "oidc_issuers = [\"https://a.example.com\"]\n"},
  };
  const std::string messages[] = {
      ":1: JWTFORT_OIDC_ISSUERS[1].audience: required",
      ":1: JWTFORT_OIDC_ISSUERS[1].issuer: required",
      ":1: JWTFORT_OIDC_ISSUERS[1].audiences: unknown key (line 4)",
      ":1: JWTFORT_OIDC_ISSUERS[1].algorithms: HMAC cannot verify a provider's tokens, got "
      "'HS256' (line 2)",
      ":1: JWTFORT_OIDC_ISSUERS[1].issuer: set twice (line 1)",
      ":1: JWTFORT_OIDC_ISSUERS: expected a list of tables ([[jwtfort.oidc_issuers]] in TOML, an "
      "array of objects in JSON), which only a settings file can give, got '[...]'",
  };
  for (std::size_t i = 0; i < std::size(files); ++i) {
    write(dir / files[i].first, files[i].second);
    EXPECT_EQ(outcome(server_settings::from_file(dir / files[i].first)),
              "invalid_configuration: " + (dir / files[i].first) + messages[i]);
  }
  EXPECT_EQ(outcome(from({{"JWTFORT_OIDC_ISSUERS", "https://a.example.com"}})),
            "invalid_configuration: JWTFORT_OIDC_ISSUERS: expected a list of tables "
            "([[jwtfort.oidc_issuers]] in TOML, an array of objects in JSON), which only a "
            "settings file can give, got 'https://a.example.com'");
  EXPECT_EQ(outcome(from({{"JWTFORT_OIDC_ALGORITHMS", "RS256,XS512"}})),
            "invalid_configuration: JWTFORT_OIDC_ALGORITHMS: expected JWS algorithm names such as "
            "RS256 or ES256, got 'XS512'");
  EXPECT_EQ(outcome(from({{"JWTFORT_OIDC_AUDIENCE_CLAIM", "azp"}})),
            "invalid_configuration: JWTFORT_OIDC_AUDIENCE_CLAIM: must be one of aud, client_id, "
            "got 'azp'");
  EXPECT_EQ(outcome(from({{"JWTFORT_OIDC_LEEWAY", "301"}})),
            "invalid_configuration: JWTFORT_OIDC_LEEWAY: must be 0..300, got '301'");
  EXPECT_EQ(outcome(from({{"JWTFORT_OIDC_MIN_REFRESH_INTERVAL", "0"}})),
            "invalid_configuration: JWTFORT_OIDC_MIN_REFRESH_INTERVAL: must be > 0, got '0'");

  // Checked together, after reading.
  const auto validated = [](const values& v) {
    values with_secret = v;
    with_secret["AUTHJWT_SECRET_KEY"] = std::string(32, 's');
    auto s = from(with_secret);
    if (!s) return outcome(s);
    return outcome(s->validate());
  };
  EXPECT_EQ(validated({{"JWTFORT_OIDC_ISSUER", "https://a.example.com"}}),
            "invalid_configuration: JWTFORT_OIDC_AUDIENCE: must be set with JWTFORT_OIDC_ISSUER "
            "(the `aud` the issuer's tokens carry for this server)");
  EXPECT_EQ(validated({{"JWTFORT_OIDC_ROLES_CLAIM", "groups"}}),
            "invalid_configuration: JWTFORT_OIDC_ISSUER: must be set with "
            "JWTFORT_OIDC_ROLES_CLAIM");
  EXPECT_EQ(validated({{"JWTFORT_ACCEPT_OWN_TOKENS", "no"}}),
            "invalid_configuration: JWTFORT_ACCEPT_OWN_TOKENS: false needs a trusted issuer "
            "(JWTFORT_OIDC_ISSUER or JWTFORT_OIDC_ISSUERS), or no token would ever be accepted");
  EXPECT_EQ(validated({{"JWTFORT_OIDC_ISSUER", "https://a.example.com"},
                       {"JWTFORT_OIDC_AUDIENCE", "api"},
                       {"JWTFORT_ACCEPT_OWN_TOKENS", "no"}}),
            "ok");
}

TEST(server_settings, docs_list_every_setting) {
  std::ifstream in(std::string(JWTFORT_DOCS_DIR) + "/server.md");
  ASSERT_TRUE(in) << "docs/server.md is missing";
  const std::string docs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  values every = every_server_setting;
  every.insert(every_oidc_setting.begin(), every_oidc_setting.end());
  every["JWTFORT_OIDC_ISSUERS"] = "";
  for (const auto& [name, value] : every)
    EXPECT_NE(docs.find("| `" + name + "` |"), std::string::npos) << name << " is not in the table";
}

}  // namespace
}  // namespace jwtfort::server
