// Configuration: fastapi-jwt-auth's defaults, every setting from the environment, one bad value
// per setting with the message naming it, the three file formats agreeing, syntax errors with
// their line, secrets kept out of messages, and the keys and service options a config makes.
#include "jwtfort/service/config.hpp"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <tuple>

#include "test_support.hpp"

namespace jwtfort {
namespace {

namespace fs = std::filesystem;
using settings = std::map<std::string, std::string>;

const std::string vectors = JWTFORT_VECTORS_DIR "/config/";
const std::string secret = "config-test-secret-0123456789abcdef-not-for-production";

result<config> from(const settings& values) {
  return config::from_lookup([&values](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  });
}

// Every field, so that two configs compare in one expectation.
auto fields(const config& c) {
  return std::tie(
      c.token_location, c.secret_key, c.public_key, c.private_key, c.alg, c.decode_algorithms,
      c.decode_leeway, c.encode_issuer, c.decode_issuer, c.decode_audience, c.denylist_enabled,
      c.denylist_token_checks, c.header_name, c.header_type, c.access_token_expires,
      c.refresh_token_expires, c.access_cookie_key, c.refresh_cookie_key, c.access_cookie_path,
      c.refresh_cookie_path, c.cookie_max_age, c.cookie_domain, c.cookie_secure, c.cookie_samesite,
      c.cookie_csrf_protect, c.access_csrf_cookie_key, c.refresh_csrf_cookie_key,
      c.access_csrf_cookie_path, c.refresh_csrf_cookie_path, c.access_csrf_header_name,
      c.refresh_csrf_header_name, c.csrf_methods, c.store_url, c.store_fail_open, c.secret_key_file,
      c.private_key_file, c.public_key_file, c.key_ring_file, c.issuer, c.audience, c.leeway,
      c.refresh_reuse_grace, c.allow_weak_secret, c.data_dir);
}

// The exact outcome of a refused configuration: the code, and a message naming the setting.
template <class R>
void expect_refused(const R& r, errc code, std::string_view name) {
  ASSERT_FALSE(r.has_value()) << "expected a failure naming " << name;
  EXPECT_EQ(r.code(), code) << r.error().message;
  EXPECT_NE(r.error().message.find(name), std::string::npos) << r.error().message;
}

// config::from_environment() with `values` set in the process environment for that call only.
result<config> from_environment_with(const settings& values) {
  for (const auto& [name, value] : values)
    if (setenv(name.c_str(), value.c_str(), 1) != 0) throw std::runtime_error("setenv " + name);
  auto c = config::from_environment();
  for (const auto& [name, value] : values) unsetenv(name.c_str());
  return c;
}

void write(const fs::path& path, std::string_view text) {
  std::ofstream(path, std::ios::binary) << text;
}

struct config_test : testing::Test {
  fs::path dir;
  void SetUp() override {
    char pattern[] = "/tmp/jwtfort-config-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir = pattern;
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string file(const std::string& name, std::string_view text) {
    write(dir / name, text);
    return (dir / name).string();
  }
};

TEST(config_defaults, equal_fastapi_jwt_auths) {
  const config c;
  EXPECT_EQ(c.token_location, std::vector<std::string>{"headers"});
  EXPECT_EQ(c.secret_key, "");
  EXPECT_EQ(c.public_key, "");
  EXPECT_EQ(c.private_key, "");
  EXPECT_EQ(c.alg, algorithm::hs256);
  EXPECT_TRUE(c.decode_algorithms.empty());
  EXPECT_EQ(c.decode_leeway, 0);
  EXPECT_EQ(c.encode_issuer, std::nullopt);
  EXPECT_EQ(c.decode_issuer, std::nullopt);
  EXPECT_TRUE(c.decode_audience.empty());
  EXPECT_FALSE(c.denylist_enabled);
  EXPECT_EQ(c.denylist_token_checks,
            (std::vector<token_type>{token_type::access, token_type::refresh}));
  EXPECT_EQ(c.header_name, "Authorization");
  EXPECT_EQ(c.header_type, "Bearer");
  EXPECT_EQ(c.access_token_expires, 15 * 60);
  EXPECT_EQ(c.refresh_token_expires, 30 * 86400);
  EXPECT_EQ(c.access_cookie_key, "access_token_cookie");
  EXPECT_EQ(c.refresh_cookie_key, "refresh_token_cookie");
  EXPECT_EQ(c.access_cookie_path, "/");
  EXPECT_EQ(c.refresh_cookie_path, "/");
  EXPECT_EQ(c.cookie_max_age, std::nullopt);
  EXPECT_EQ(c.cookie_domain, std::nullopt);
  EXPECT_FALSE(c.cookie_secure);
  EXPECT_EQ(c.cookie_samesite, std::nullopt);
  EXPECT_TRUE(c.cookie_csrf_protect);
  EXPECT_EQ(c.access_csrf_cookie_key, "csrf_access_token");
  EXPECT_EQ(c.refresh_csrf_cookie_key, "csrf_refresh_token");
  EXPECT_EQ(c.access_csrf_cookie_path, "/");
  EXPECT_EQ(c.refresh_csrf_cookie_path, "/");
  EXPECT_EQ(c.access_csrf_header_name, "X-CSRF-Token");
  EXPECT_EQ(c.refresh_csrf_header_name, "X-CSRF-Token");
  EXPECT_EQ(c.csrf_methods, (std::vector<std::string>{"POST", "PUT", "PATCH", "DELETE"}));
  EXPECT_EQ(c.store_url, "");
  EXPECT_EQ(c.store_url_or_default(), "sqlite://jwtfort-data/tokens.db");
  EXPECT_FALSE(c.store_fail_open);
  EXPECT_EQ(c.secret_key_file, "");
  EXPECT_EQ(c.private_key_file, "");
  EXPECT_EQ(c.public_key_file, "");
  EXPECT_EQ(c.key_ring_file, "");
  EXPECT_EQ(c.issuer, std::nullopt);
  EXPECT_TRUE(c.audience.empty());
  EXPECT_EQ(c.leeway, std::nullopt);
  EXPECT_EQ(c.refresh_reuse_grace, 0);
  EXPECT_FALSE(c.allow_weak_secret);
  // Nothing set anywhere gives exactly the defaults.
  auto empty = from({});
  ASSERT_OK(empty);
  EXPECT_EQ(fields(*empty), fields(c));
}

// Every setting with a value other than its default.
const settings every_setting = {
    {"AUTHJWT_TOKEN_LOCATION", "headers, cookies"},
    {"AUTHJWT_SECRET_KEY", "  " + secret + "\n"},
    {"AUTHJWT_PUBLIC_KEY", "public pem"},
    {"AUTHJWT_PRIVATE_KEY", "private pem"},
    {"AUTHJWT_ALGORITHM", "ES256"},
    {"AUTHJWT_DECODE_ALGORITHMS", "ES256,ES384"},
    {"AUTHJWT_DECODE_LEEWAY", "7"},
    {"AUTHJWT_ENCODE_ISSUER", "https://enc.example.com"},
    {"AUTHJWT_DECODE_ISSUER", "https://dec.example.com"},
    {"AUTHJWT_DECODE_AUDIENCE", "api,admin"},
    {"AUTHJWT_DENYLIST_ENABLED", "YES"},
    {"AUTHJWT_DENYLIST_TOKEN_CHECKS", "Refresh"},
    {"AUTHJWT_HEADER_NAME", "X-Token"},
    {"AUTHJWT_HEADER_TYPE", ""},
    {"AUTHJWT_ACCESS_TOKEN_EXPIRES", "60"},
    {"AUTHJWT_REFRESH_TOKEN_EXPIRES", "3600"},
    {"AUTHJWT_ACCESS_COOKIE_KEY", "a"},
    {"AUTHJWT_REFRESH_COOKIE_KEY", "r"},
    {"AUTHJWT_ACCESS_COOKIE_PATH", "/a"},
    {"AUTHJWT_REFRESH_COOKIE_PATH", "/r"},
    {"AUTHJWT_COOKIE_MAX_AGE", "120"},
    {"AUTHJWT_COOKIE_DOMAIN", "example.com"},
    {"AUTHJWT_COOKIE_SECURE", "true"},
    {"AUTHJWT_COOKIE_SAMESITE", "None"},
    {"AUTHJWT_COOKIE_CSRF_PROTECT", "0"},
    {"AUTHJWT_ACCESS_CSRF_COOKIE_KEY", "ca"},
    {"AUTHJWT_REFRESH_CSRF_COOKIE_KEY", "cr"},
    {"AUTHJWT_ACCESS_CSRF_COOKIE_PATH", "/ca"},
    {"AUTHJWT_REFRESH_CSRF_COOKIE_PATH", "/cr"},
    {"AUTHJWT_ACCESS_CSRF_HEADER_NAME", "X-A"},
    {"AUTHJWT_REFRESH_CSRF_HEADER_NAME", "X-R"},
    {"AUTHJWT_CSRF_METHODS", "get, head,post,put,delete,patch"},
    {"JWTFORT_STORE_URL", "memory://"},
    {"JWTFORT_STORE_FAIL_OPEN", "True"},
    {"JWTFORT_SECRET_KEY_FILE", "/run/secrets/jwt"},
    {"JWTFORT_PRIVATE_KEY_FILE", "/etc/jwtfort/private.pem"},
    {"JWTFORT_PUBLIC_KEY_FILE", "/etc/jwtfort/public.pem"},
    {"JWTFORT_KEY_RING_FILE", "/etc/jwtfort/ring.json"},
    {"JWTFORT_ISSUER", "https://issuer.example.com"},
    {"JWTFORT_AUDIENCE", "mobile"},
    {"JWTFORT_LEEWAY", "300"},
    {"JWTFORT_REFRESH_REUSE_GRACE", "15"},
    {"JWTFORT_ALLOW_WEAK_SECRET", "no"},
};

TEST(config_lookup, reads_every_setting) {
  auto c = from(every_setting);
  ASSERT_OK(c);
  EXPECT_EQ(c->token_location, (std::vector<std::string>{"headers", "cookies"}));
  EXPECT_EQ(c->secret_key, secret);  // trimmed, as pydantic's anystr_strip_whitespace
  EXPECT_EQ(c->public_key, "public pem");
  EXPECT_EQ(c->private_key, "private pem");
  EXPECT_EQ(c->alg, algorithm::es256);
  EXPECT_EQ(c->decode_algorithms, (std::vector<algorithm>{algorithm::es256, algorithm::es384}));
  EXPECT_EQ(c->decode_leeway, 7);
  EXPECT_EQ(c->encode_issuer, "https://enc.example.com");
  EXPECT_EQ(c->decode_issuer, "https://dec.example.com");
  EXPECT_EQ(c->decode_audience, (std::vector<std::string>{"api", "admin"}));
  EXPECT_TRUE(c->denylist_enabled);
  EXPECT_EQ(c->denylist_token_checks, std::vector<token_type>{token_type::refresh});
  EXPECT_EQ(c->header_name, "X-Token");
  EXPECT_EQ(c->header_type, "");  // the header holds the bare token
  EXPECT_EQ(c->access_token_expires, 60);
  EXPECT_EQ(c->refresh_token_expires, 3600);
  EXPECT_EQ(c->access_cookie_key, "a");
  EXPECT_EQ(c->refresh_cookie_key, "r");
  EXPECT_EQ(c->access_cookie_path, "/a");
  EXPECT_EQ(c->refresh_cookie_path, "/r");
  EXPECT_EQ(c->cookie_max_age, 120);
  EXPECT_EQ(c->cookie_domain, "example.com");
  EXPECT_TRUE(c->cookie_secure);
  EXPECT_EQ(c->cookie_samesite, "none");
  EXPECT_FALSE(c->cookie_csrf_protect);
  EXPECT_EQ(c->access_csrf_cookie_key, "ca");
  EXPECT_EQ(c->refresh_csrf_cookie_key, "cr");
  EXPECT_EQ(c->access_csrf_cookie_path, "/ca");
  EXPECT_EQ(c->refresh_csrf_cookie_path, "/cr");
  EXPECT_EQ(c->access_csrf_header_name, "X-A");
  EXPECT_EQ(c->refresh_csrf_header_name, "X-R");
  EXPECT_EQ(c->csrf_methods,
            (std::vector<std::string>{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"}));
  EXPECT_EQ(c->store_url, "memory://");
  EXPECT_TRUE(c->store_fail_open);
  EXPECT_EQ(c->secret_key_file, "/run/secrets/jwt");
  EXPECT_EQ(c->private_key_file, "/etc/jwtfort/private.pem");
  EXPECT_EQ(c->public_key_file, "/etc/jwtfort/public.pem");
  EXPECT_EQ(c->key_ring_file, "/etc/jwtfort/ring.json");
  EXPECT_EQ(c->issuer, "https://issuer.example.com");
  EXPECT_EQ(c->audience, std::vector<std::string>{"mobile"});
  EXPECT_EQ(c->leeway, 300);
  EXPECT_EQ(c->refresh_reuse_grace, 15);
  EXPECT_FALSE(c->allow_weak_secret);
}

TEST(config_docs, list_every_setting) {
  std::ifstream in(std::string(JWTFORT_DOCS_DIR) + "/configuration.md");
  ASSERT_TRUE(in) << "docs/configuration.md is missing";
  const std::string docs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& [name, value] : every_setting)
    EXPECT_NE(docs.find("| `" + name + "` |"), std::string::npos) << name << " is not in the table";
}

TEST(config_lookup, empty_values_unset_optional_settings) {
  auto c = from({{"AUTHJWT_ENCODE_ISSUER", ""},
                 {"AUTHJWT_COOKIE_DOMAIN", " "},
                 {"AUTHJWT_COOKIE_SAMESITE", ""},
                 {"AUTHJWT_COOKIE_MAX_AGE", ""},
                 {"AUTHJWT_DECODE_ALGORITHMS", ""},
                 {"JWTFORT_LEEWAY", ""},
                 {"AUTHJWT_SECRET_KEY", ""}});
  ASSERT_OK(c);
  EXPECT_EQ(fields(*c), fields(config{}));
}

TEST(config_lookup, list_settings_also_take_json_arrays_as_pydantic_settings_do) {
  auto c = from({{"AUTHJWT_TOKEN_LOCATION", R"(["cookies", "headers"])"},
                 {"AUTHJWT_CSRF_METHODS", R"(["post"])"}});
  ASSERT_OK(c);
  EXPECT_EQ(c->token_location, (std::vector<std::string>{"cookies", "headers"}));
  EXPECT_EQ(c->csrf_methods, std::vector<std::string>{"POST"});
  expect_refused(from({{"AUTHJWT_TOKEN_LOCATION", R"(["cookies", 1])"}}),
                 errc::invalid_configuration, "AUTHJWT_TOKEN_LOCATION");
}

TEST(config_lookup, expiries_take_false_for_tokens_without_exp) {
  for (const char* no : {"false", "False", "FALSE"}) {
    auto c = from({{"AUTHJWT_ACCESS_TOKEN_EXPIRES", no}, {"AUTHJWT_REFRESH_TOKEN_EXPIRES", no}});
    ASSERT_OK(c);
    EXPECT_EQ(c->access_token_expires, std::nullopt);
    EXPECT_EQ(c->refresh_token_expires, std::nullopt);
    EXPECT_EQ(c->make_service_options().access_lifetime, std::nullopt);
  }
}

TEST(config_lookup, expiries_refuse_true_as_fastapi_jwt_auth_does) {
  for (const char* name : {"AUTHJWT_ACCESS_TOKEN_EXPIRES", "AUTHJWT_REFRESH_TOKEN_EXPIRES"}) {
    auto r = from({{name, "true"}});
    expect_refused(r, errc::invalid_configuration, name);
    EXPECT_EQ(r.error().message,
              std::string(name) + ": only false (no exp) is accepted as a boolean, got 'true'");
  }
}

// One bad value per setting that can be wrong on its own; the key and file settings are checked
// by validate() and make_key_ring() below, since any text is a possible key or path.
struct bad_value {
  const char* name;
  const char* value;
  const char* shown;  // what the message quotes after "got"
};

TEST(config_lookup, refuses_one_bad_value_per_setting_naming_it) {
  const bad_value cases[] = {
      {"AUTHJWT_TOKEN_LOCATION", "headers,body", "body"},
      {"AUTHJWT_TOKEN_LOCATION", "headers,,cookies", "headers,,cookies"},
      {"AUTHJWT_TOKEN_LOCATION", "", ""},
      {"AUTHJWT_ALGORITHM", "hs256", "hs256"},
      {"AUTHJWT_ALGORITHM", "none", "none"},
      {"AUTHJWT_DECODE_ALGORITHMS", "HS256,HS257", "HS257"},
      {"AUTHJWT_DECODE_LEEWAY", "301", "301"},
      {"AUTHJWT_DECODE_LEEWAY", "-1", "-1"},
      {"AUTHJWT_DECODE_LEEWAY", "1.5", "1.5"},
      {"AUTHJWT_DENYLIST_ENABLED", "maybe", "maybe"},
      {"AUTHJWT_DENYLIST_TOKEN_CHECKS", "access,id", "id"},
      {"AUTHJWT_HEADER_NAME", " ", ""},
      {"AUTHJWT_ACCESS_TOKEN_EXPIRES", "soon", "soon"},
      {"AUTHJWT_ACCESS_TOKEN_EXPIRES", "0", "0"},
      {"AUTHJWT_REFRESH_TOKEN_EXPIRES", "-60", "-60"},
      {"AUTHJWT_REFRESH_TOKEN_EXPIRES", "99999999999999999999", "99999999999999999999"},
      {"AUTHJWT_ACCESS_COOKIE_KEY", "", ""},
      {"AUTHJWT_REFRESH_COOKIE_KEY", "", ""},
      {"AUTHJWT_ACCESS_COOKIE_PATH", "", ""},
      {"AUTHJWT_REFRESH_COOKIE_PATH", "", ""},
      {"AUTHJWT_COOKIE_MAX_AGE", "0", "0"},
      {"AUTHJWT_COOKIE_SECURE", "2", "2"},
      {"AUTHJWT_COOKIE_SAMESITE", "sometimes", "sometimes"},
      {"AUTHJWT_COOKIE_CSRF_PROTECT", "on", "on"},
      {"AUTHJWT_ACCESS_CSRF_COOKIE_KEY", "", ""},
      {"AUTHJWT_REFRESH_CSRF_COOKIE_KEY", "", ""},
      {"AUTHJWT_ACCESS_CSRF_COOKIE_PATH", "", ""},
      {"AUTHJWT_REFRESH_CSRF_COOKIE_PATH", "", ""},
      {"AUTHJWT_ACCESS_CSRF_HEADER_NAME", "", ""},
      {"AUTHJWT_REFRESH_CSRF_HEADER_NAME", "", ""},
      {"AUTHJWT_CSRF_METHODS", "POST,TRACE", "TRACE"},
      {"JWTFORT_STORE_URL", "", ""},
      {"JWTFORT_STORE_FAIL_OPEN", "sometimes", "sometimes"},
      {"JWTFORT_LEEWAY", "301", "301"},
      {"JWTFORT_REFRESH_REUSE_GRACE", "301", "301"},
      {"JWTFORT_ALLOW_WEAK_SECRET", "please", "please"},
  };
  for (const auto& bad : cases) {
    SCOPED_TRACE(std::string(bad.name) + "=" + bad.value);
    auto r = from({{bad.name, bad.value}});
    expect_refused(r, errc::invalid_configuration, bad.name);
    if (r) continue;
    const std::string& m = r.error().message;
    EXPECT_TRUE(m.starts_with(std::string(bad.name) + ": ")) << m;
    EXPECT_TRUE(m.ends_with(", got '" + std::string(bad.shown) + "'")) << m;
  }
}

TEST(config_environment, reads_the_process_environment) {
  auto c = from_environment_with({{"AUTHJWT_HEADER_NAME", "X-From-Env"}, {"JWTFORT_LEEWAY", "12"}});
  ASSERT_OK(c);
  EXPECT_EQ(c->header_name, "X-From-Env");
  EXPECT_EQ(c->leeway, 12);
}

TEST(config_environment, unknown_names_are_errors_without_their_value) {
  auto typo = from_environment_with({{"JWTFORT_STORE_URLS", "sqlite://typo.db"}});
  expect_refused(typo, errc::invalid_configuration, "JWTFORT_STORE_URLS");
  EXPECT_EQ(typo.error().message, "JWTFORT_STORE_URLS: unknown setting");

  // A misspelt secret must not leak through the message either.
  auto leaked = from_environment_with({{"AUTHJWT_SECRET_KEYS", secret}});
  expect_refused(leaked, errc::invalid_configuration, "AUTHJWT_SECRET_KEYS");
  EXPECT_EQ(leaked.error().message.find(secret), std::string::npos);

  auto lower = from_environment_with({{"authjwt_header_name", "X-Token"}});
  expect_refused(lower, errc::invalid_configuration, "authjwt_header_name");
  EXPECT_NE(lower.error().message.find("AUTHJWT_HEADER_NAME"), std::string::npos);

  EXPECT_OK(config::from_environment());  // restored
}

TEST(config_file, toml_json_and_env_files_with_the_same_content_are_equal) {
  auto env = config::from_file(vectors + "full.env");
  auto toml = config::from_file(vectors + "full.toml");
  auto json = config::from_file(vectors + "full.json");
  ASSERT_OK(env);
  ASSERT_OK(toml);
  ASSERT_OK(json);
  EXPECT_EQ(fields(*env), fields(*toml));
  EXPECT_EQ(fields(*env), fields(*json));
  // And they say what the files say.
  EXPECT_EQ(env->secret_key, secret);
  EXPECT_EQ(env->public_key,
            "-----BEGIN PUBLIC KEY-----\n"
            "MCowBQYDK2VwAyEA8VhxMk+ilCS2XorQEyadUz1w5IMYDtabKBlj6dwANVc=\n"
            "-----END PUBLIC KEY-----");
  EXPECT_EQ(env->alg, algorithm::hs384);
  EXPECT_EQ(env->decode_audience, (std::vector<std::string>{"api", "admin"}));
  EXPECT_EQ(env->header_type, "");
  EXPECT_EQ(env->refresh_token_expires, std::nullopt);
  EXPECT_EQ(env->cookie_samesite, "lax");
  EXPECT_EQ(env->csrf_methods, (std::vector<std::string>{"POST", "PUT", "DELETE"}));
  EXPECT_EQ(env->issuer, "https://issuer.example.com");
  EXPECT_NE(fields(*env), fields(config{}));
}

TEST(config_file, syntax_errors_name_the_file_and_line) {
  for (const char* name : {"bad_syntax.toml", "bad_syntax.json", "bad_syntax.env"}) {
    auto r = config::from_file(vectors + name);
    expect_refused(r, errc::invalid_configuration, vectors + name + ":3: syntax error");
  }
}

TEST_F(config_test, file_syntax_errors_in_detail) {
  auto unterminated = config::from_file(
      file("a.env", "header_name=X\nAUTHJWT_SECRET_KEY=\"abc\n\nheader_type=Y\n"));
  expect_refused(unterminated, errc::invalid_configuration, "a.env:2: syntax error");
  auto open_string = config::from_file(file("b.json", "{\n\"header_name\": \"X\",\n\"a\": \"b\n}"));
  expect_refused(open_string, errc::invalid_configuration, "b.json:3: syntax error");
  auto trailing = config::from_file(file("c.json", "{\n\"header_name\": \"X\",\n}\n"));
  expect_refused(trailing, errc::invalid_configuration, "c.json:3: syntax error");
  auto truncated = config::from_file(file("d.json", "{\n\"header_name\": \"X\"\n"));
  expect_refused(truncated, errc::invalid_configuration, "d.json:2: syntax error");
  auto after = config::from_file(file("e.json", "{\n\"header_name\": \"X\"\n}\n{}\n"));
  expect_refused(after, errc::invalid_configuration, "e.json:4: syntax error");
  expect_refused(config::from_file(file("f.json", "[1]")), errc::invalid_configuration,
                 "f.json:1: syntax error: expected a JSON object");
}

TEST_F(config_test, file_values_are_checked_with_their_line) {
  auto toml = config::from_file(file("a.toml", "[authjwt]\n\ncookie_max_age = 1.5\n"));
  expect_refused(toml, errc::invalid_configuration, "a.toml:3: AUTHJWT_COOKIE_MAX_AGE");
  EXPECT_TRUE(toml.error().message.ends_with("got '1.5'")) << toml.error().message;
  auto json = config::from_file(file("b.json", "{\n\"jwtfort\": {\n\"leeway\": 400}}"));
  expect_refused(json, errc::invalid_configuration, "b.json:3: JWTFORT_LEEWAY: must be 0..300");
  auto env = config::from_file(file("c.env", "\nAUTHJWT_ACCESS_TOKEN_EXPIRES=true\n"));
  expect_refused(env, errc::invalid_configuration, "c.env:2: AUTHJWT_ACCESS_TOKEN_EXPIRES");
  auto list = config::from_file(file("d.toml", "header_name = [\"a\", \"b\"]\n"));
  expect_refused(list, errc::invalid_configuration, "d.toml:1: AUTHJWT_HEADER_NAME: expected one");
}

TEST_F(config_test, file_keys_must_be_known_and_given_once) {
  expect_refused(config::from_file(file("a.env", "AUTHJWT_SECRET_KEYS=x\n")),
                 errc::invalid_configuration, "a.env:1: AUTHJWT_SECRET_KEYS: unknown setting");
  expect_refused(config::from_file(file("b.toml", "[jwtfort]\nheader_name = \"X\"\n")),
                 errc::invalid_configuration, "b.toml:2: header_name: unknown setting");
  expect_refused(config::from_file(file("c.toml", "[other]\nx = 1\n")), errc::invalid_configuration,
                 "c.toml:1: other: unknown table");
  expect_refused(
      config::from_file(file("d.json", "{\"header_name\": \"a\",\n\"header_name\": \"b\"}")),
      errc::invalid_configuration, "d.json:2: AUTHJWT_HEADER_NAME: set twice");
  expect_refused(config::from_file(file("e.env", "secret_key=a\nAUTHJWT_SECRET_KEY=b\n")),
                 errc::invalid_configuration, "e.env:2: AUTHJWT_SECRET_KEY: set twice");
  expect_refused(config::from_file((dir / "missing.toml").string()), errc::invalid_configuration,
                 "missing.toml: cannot read the file");
}

TEST_F(config_test, secrets_never_appear_in_messages) {
  const std::string pem =
      test::encode_key(test::test_key(algorithm::es256), true, "PrivateKeyInfo");
  const std::vector<result<config>> loaded = {
      config::from_file(file("a.toml", "secret_key = [\"" + secret + "\"]\n")),
      config::from_file(file("b.json", "{\"private_key\": [\"" + secret + "\"]}")),
  };
  for (const auto& r : loaded) {
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.code(), errc::invalid_configuration);
    EXPECT_EQ(r.error().message.find(secret), std::string::npos) << r.error().message;
  }
  config weak;
  weak.secret_key = "short-secret";
  auto w = weak.validate();
  expect_refused(w, errc::weak_key, "AUTHJWT_SECRET_KEY");
  EXPECT_EQ(w.error().message.find("short-secret"), std::string::npos) << w.error().message;
  config broken;
  broken.alg = algorithm::es256;
  broken.private_key = pem.substr(0, pem.size() / 2);
  auto b = broken.validate();
  expect_refused(b, errc::invalid_key, "AUTHJWT_PRIVATE_KEY");
  EXPECT_EQ(b.error().message.find(pem.substr(40, 20)), std::string::npos) << b.error().message;
}

// A program's own rows next to the library's: one table, one pass, the library's messages.
TEST_F(config_test, a_program_adds_its_own_settings_to_the_table) {
  struct program_settings : config {
    std::int64_t workers = 4;
    std::string mode = "fast";
    std::string token_prefix;  // a parser of the program's own, for a secret
  } s;
  settings_table table;
  s.add_settings(table);
  table.add(setting::integer("JWTFORT_WORKERS", s.workers, 1, 64));
  table.add(setting::one_of("JWTFORT_MODE", s.mode, {"fast", "safe"}));
  table.add(setting(
      "JWTFORT_TOKEN_PREFIX",
      [&s](const setting& row, const setting_value& v) -> result<void> {
        if (v.text.size() < 3) return row.invalid("must be at least 3 characters", v.text);
        s.token_prefix = v.text;
        return {};
      },
      true));
  ASSERT_NE(table.find("AUTHJWT_HEADER_NAME"), nullptr);
  ASSERT_NE(table.find("JWTFORT_WORKERS"), nullptr);
  EXPECT_EQ(table.find("JWTFORT_WORKER"), nullptr);

  ASSERT_OK(table.read_file(file("a.toml",
                                 "[authjwt]\nheader_name = \"X\"\n[jwtfort]\n"
                                 "workers = 8\nmode = \"SAFE\"\n")));
  EXPECT_EQ(s.header_name, "X");
  EXPECT_EQ(s.workers, 8);
  EXPECT_EQ(s.mode, "safe");

  auto bad = table.read_file(file("b.env", "\njwtfort_workers=65\n"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            (dir / "b.env").string() + ":2: JWTFORT_WORKERS: must be 1..64, got '65'");
  auto unknown = table.read_file(file("c.json", "{\"jwtfort\": {\"workerz\": 1}}"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, (dir / "c.json").string() + ":1: workerz: unknown setting");

  auto lookup = [](std::string_view name) -> std::optional<std::string> {
    if (name == "JWTFORT_MODE") return "slow";
    return std::nullopt;
  };
  auto refused = table.read_lookup(lookup);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::invalid_configuration);
  EXPECT_EQ(refused.error().message, "JWTFORT_MODE: must be one of fast, safe, got 'slow'");
  auto hidden = table.read_lookup([](std::string_view name) -> std::optional<std::string> {
    if (name == "JWTFORT_TOKEN_PREFIX") return "ab";
    return std::nullopt;
  });
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().message, "JWTFORT_TOKEN_PREFIX: must be at least 3 characters");

  ASSERT_EQ(setenv("JWTFORT_WORKERS", "2", 1), 0);
  auto from_env = table.read_environment();
  auto library_alone = config::from_environment();
  unsetenv("JWTFORT_WORKERS");
  ASSERT_OK(from_env);
  EXPECT_EQ(s.workers, 2);
  ASSERT_FALSE(library_alone);
  EXPECT_EQ(library_alone.error().message, "JWTFORT_WORKERS: unknown setting");
}

// A list of tables (TOML `[[name]]`, a JSON array of objects): each table's keys in order, with
// their lines, for a program row that reads several records (trusted issuers).
TEST_F(config_test, a_program_reads_lists_of_tables_from_files) {
  config c;
  std::vector<std::vector<setting_field>> things;
  std::vector<std::string> names;
  settings_table table;
  c.add_settings(table);
  table.add(setting("JWTFORT_THINGS", [&things](const setting& row, const setting_value& v) {
    if (!v.tables) return result<void>(row.invalid("expected a list of tables", v.text));
    things = *v.tables;
    return result<void>();
  }));
  table.add(setting::list("JWTFORT_NAMES", names));
  const auto expect_things = [&things](std::size_t first_line) {
    ASSERT_EQ(things.size(), 2u);
    ASSERT_EQ(things[0].size(), 2u);
    EXPECT_EQ(things[0][0].key, "name");
    EXPECT_EQ(things[0][0].value.text, "a");
    EXPECT_EQ(things[0][0].line, first_line);
    EXPECT_EQ(things[0][1].key, "sizes");
    EXPECT_EQ(things[0][1].value.items, (std::vector<std::string>{"1", "two"}));
    ASSERT_EQ(things[1].size(), 1u);
    EXPECT_EQ(things[1][0].value.text, "b");
  };
  ASSERT_OK(table.read_file(file("a.toml",
                                 "[[jwtfort.things]]\nname = \"a\"\nsizes = [1, \"two\"]\n"
                                 "[[jwtfort.things]]\nname = \"b\"\n")));
  expect_things(2);
  things.clear();
  ASSERT_OK(table.read_file(
      file("b.json",
           "{\"jwtfort\": {\"things\": [\n{\"name\": \"a\", \"sizes\": [1, \"two\"]},\n"
           "{\"name\": \"b\"}]}}")));
  expect_things(2);

  const std::pair<std::string, std::string> refused[] = {
      {"c.toml", "[[things]]\nname = \"a\"\n[things.inner]\nx = 1\n"},
      {"d.json", "{\"things\": [{\"name\": \"a\",\n\"inner\": {\"x\": 1}}]}"},
      {"e.json", "{\"things\": [{\"name\": \"a\"},\n\"b\"]}"},
      {"f.json", "{\"header_name\": [{\"a\": \"b\"}]}"},
      {"g.toml", "[[names]]\nx = 1\n"},
  };
  const std::string reasons[] = {
      "c.toml:3: inner: a table cannot hold a table",
      "d.json:2: inner: a table cannot hold a table",
      "e.json:2: things: mixes tables and values",
      "f.json:1: AUTHJWT_HEADER_NAME: expected one value, not a list of tables",
      "g.toml:1: JWTFORT_NAMES: expected a list of values, not a list of tables",
  };
  for (std::size_t i = 0; i < std::size(refused); ++i) {
    auto r = table.read_file(file(refused[i].first, refused[i].second));
    expect_refused(r, errc::invalid_configuration, reasons[i]);
  }

  const auto lookup = [](std::string value) {
    return [value](std::string_view name) -> std::optional<std::string> {
      if (name == "JWTFORT_NAMES") return value;
      return std::nullopt;
    };
  };
  ASSERT_OK(table.read_lookup(lookup(" a, b ")));
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
  ASSERT_OK(table.read_lookup(lookup(R"(["x, y"])")));
  EXPECT_EQ(names, std::vector<std::string>{"x, y"});
  expect_refused(table.read_lookup(lookup("a,,b")), errc::invalid_configuration,
                 "JWTFORT_NAMES: has an empty item");
}

// JWTFORT_JWKS_URL was read and never used: a deployment that sets it is told what replaced it.
TEST(config_lookup, the_removed_jwks_url_names_its_successor) {
  auto r = from({{"JWTFORT_JWKS_URL", "https://idp.example.com/jwks"}});
  expect_refused(r, errc::invalid_configuration, "JWTFORT_JWKS_URL: no longer read");
  EXPECT_NE(r.error().message.find("JWTFORT_OIDC_ISSUER"), std::string::npos) << r.error().message;
}

TEST_F(config_test, validate_refuses_a_missing_or_weak_secret) {
  auto missing = config{}.validate();
  expect_refused(missing, errc::invalid_configuration, "AUTHJWT_SECRET_KEY");
  EXPECT_EQ(missing.error().message,
            "AUTHJWT_SECRET_KEY: must be set when AUTHJWT_ALGORITHM is HS256");

  config c;
  c.secret_key = std::string(31, 'k');
  auto weak = c.validate();
  expect_refused(weak, errc::weak_key, "AUTHJWT_SECRET_KEY");
  EXPECT_NE(weak.error().message.find("32 bytes"), std::string::npos) << weak.error().message;
  c.allow_weak_secret = true;
  EXPECT_OK(c.validate());

  c = config{};
  c.alg = algorithm::hs512;
  c.secret_key = std::string(32, 'k');
  auto weak512 = c.validate();
  expect_refused(weak512, errc::weak_key, "AUTHJWT_SECRET_KEY");
  EXPECT_NE(weak512.error().message.find("64 bytes"), std::string::npos);
  c.secret_key = std::string(64, 'k');
  EXPECT_OK(c.validate());
}

TEST_F(config_test, validate_reads_secret_files) {
  config c;
  c.secret_key_file = file("secret", secret + "\n");
  EXPECT_OK(c.validate());
  c.secret_key = secret;
  expect_refused(c.validate(), errc::invalid_configuration, "JWTFORT_SECRET_KEY_FILE");
  c.secret_key.clear();
  c.secret_key_file = file("short", "short\n");
  expect_refused(c.validate(), errc::weak_key, "JWTFORT_SECRET_KEY_FILE");
  c.secret_key_file = (dir / "missing").string();
  expect_refused(c.validate(), errc::invalid_configuration, "JWTFORT_SECRET_KEY_FILE");
}

TEST_F(config_test, validate_checks_keys_and_algorithms_together) {
  config rsa;
  rsa.alg = algorithm::rs256;
  rsa.secret_key = secret;
  auto no_private = rsa.validate();
  expect_refused(no_private, errc::invalid_configuration, "AUTHJWT_PRIVATE_KEY");
  EXPECT_TRUE(no_private.error().message.starts_with(
      "AUTHJWT_PRIVATE_KEY: must be set when AUTHJWT_ALGORITHM is RS256"));

  config mixed;
  mixed.secret_key = secret;
  mixed.decode_algorithms = {algorithm::hs256, algorithm::rs256};
  auto family = mixed.validate();
  expect_refused(family, errc::invalid_configuration, "AUTHJWT_DECODE_ALGORITHMS");
  EXPECT_TRUE(family.error().message.ends_with("got 'RS256'")) << family.error().message;
  // A key serves one algorithm: an HS256 secret verifies no HS512 token.
  mixed.decode_algorithms = {algorithm::hs256, algorithm::hs512};
  expect_refused(mixed.validate(), errc::invalid_configuration, "AUTHJWT_DECODE_ALGORITHMS");
  config ed;
  ed.alg = algorithm::eddsa;
  ed.private_key = test::encode_key(test::test_key(algorithm::eddsa), true, "PrivateKeyInfo");
  ed.decode_algorithms = {algorithm::eddsa, algorithm::ed25519};  // two names, one operation
  EXPECT_OK(ed.validate());

  config ec;
  ec.alg = algorithm::es256;
  ec.private_key = test::encode_key(test::test_key(algorithm::es256), true, "PrivateKeyInfo");
  ec.public_key = *test::test_key(algorithm::es384).to_public_pem();
  expect_refused(ec.validate(), errc::invalid_key, "AUTHJWT_PUBLIC_KEY");
  ec.public_key = *test::test_key(algorithm::es256).to_public_pem();
  EXPECT_OK(ec.validate());
}

TEST_F(config_test, validate_rechecks_values_a_program_assigned) {
  // A valid config but for one setting that `assign` sets in code, past the text parsers.
  auto refuses = [](const char* name, void (*assign)(config&)) {
    SCOPED_TRACE(name);
    config c;
    c.secret_key = secret;
    assign(c);
    expect_refused(c.validate(), errc::invalid_configuration, name);
  };
  refuses("AUTHJWT_CSRF_METHODS", [](config& c) { c.csrf_methods = {"POST", "TRACE"}; });
  refuses("AUTHJWT_TOKEN_LOCATION", [](config& c) { c.token_location = {"body"}; });
  refuses("AUTHJWT_COOKIE_SAMESITE", [](config& c) { c.cookie_samesite = "sometimes"; });
  refuses("AUTHJWT_ACCESS_TOKEN_EXPIRES", [](config& c) { c.access_token_expires = 0; });
  refuses("JWTFORT_LEEWAY", [](config& c) { c.leeway = 301; });
}

TEST_F(config_test, make_key_ring_from_a_secret) {
  config c;
  c.secret_key = secret;
  auto ring = c.make_key_ring();
  ASSERT_OK(ring);
  EXPECT_EQ(ring->active().alg(), algorithm::hs256);
  EXPECT_TRUE(ring->active().is_symmetric());
  EXPECT_EQ(ring->keys().size(), 1u);
}

TEST_F(config_test, make_key_ring_from_a_pem_file) {
  const key& k = test::test_key(algorithm::es256);
  config c;
  c.alg = algorithm::es256;
  c.private_key_file = file("private.pem", test::encode_key(k, true, "PrivateKeyInfo"));
  c.public_key_file = file("public.pem", *k.to_public_pem());
  auto ring = c.make_key_ring();
  ASSERT_OK(ring);
  EXPECT_EQ(ring->active().alg(), algorithm::es256);
  EXPECT_TRUE(ring->active().can_sign());
  EXPECT_EQ(ring->active().thumbprint(), k.thumbprint());
  c.private_key_file = (dir / "missing.pem").string();
  expect_refused(c.make_key_ring(), errc::invalid_configuration, "JWTFORT_PRIVATE_KEY_FILE");
  c.private_key_file = file("garbage.pem", "not a key");
  expect_refused(c.make_key_ring(), errc::invalid_key, "JWTFORT_PRIVATE_KEY_FILE");
}

TEST_F(config_test, make_key_ring_from_a_ring_file_before_anything_else) {
  auto first = test::must(key_ring::from_key(test::test_key(algorithm::es256)));
  auto ring = test::must(first.rotated(2));
  config c;
  c.alg = algorithm::es256;
  c.secret_key = secret;  // the ring file wins
  c.key_ring_file = file("ring.json", test::must(ring.to_private_jwks()));
  auto loaded = c.make_key_ring();
  ASSERT_OK(loaded);
  EXPECT_EQ(loaded->active().id(), ring.active().id());
  EXPECT_EQ(loaded->keys().size(), 2u);
  EXPECT_OK(c.validate());
  c.alg = algorithm::hs256;  // the ring signs with ES256, not what the setting says
  expect_refused(c.validate(), errc::invalid_configuration, "AUTHJWT_ALGORITHM");
  c.key_ring_file = file("ring2.json", "{\"keys\": []}");
  auto empty = c.make_key_ring();
  ASSERT_FALSE(empty.has_value());
  EXPECT_NE(empty.error().message.find("JWTFORT_KEY_RING_FILE"), std::string::npos);
}

TEST(config_service, options_follow_the_settings) {
  auto c = from({{"AUTHJWT_SECRET_KEY", secret},
                 {"AUTHJWT_ACCESS_TOKEN_EXPIRES", "60"},
                 {"AUTHJWT_REFRESH_TOKEN_EXPIRES", "false"},
                 {"AUTHJWT_DECODE_ISSUER", "https://explicit.example.com"},
                 {"AUTHJWT_DECODE_AUDIENCE", "api"},
                 {"AUTHJWT_DECODE_LEEWAY", "5"},
                 {"AUTHJWT_TOKEN_LOCATION", "cookies"},
                 {"AUTHJWT_DENYLIST_ENABLED", "true"},
                 {"AUTHJWT_DENYLIST_TOKEN_CHECKS", "refresh"},
                 {"JWTFORT_ISSUER", "https://issuer.example.com"},
                 {"JWTFORT_AUDIENCE", "mobile,api"},
                 {"JWTFORT_LEEWAY", "20"},
                 {"JWTFORT_REFRESH_REUSE_GRACE", "10"}});
  ASSERT_OK(c);
  const auto o = c->make_service_options();
  EXPECT_TRUE(o.algorithms.empty());  // the service takes the key's: AUTHJWT_ALGORITHM
  EXPECT_EQ(o.access_lifetime, 60);
  EXPECT_EQ(o.refresh_lifetime, std::nullopt);
  EXPECT_EQ(o.encode_issuer, "https://issuer.example.com");
  EXPECT_EQ(o.decode_issuer, "https://explicit.example.com");
  EXPECT_EQ(o.audiences, (std::vector<std::string>{"api", "mobile"}));
  EXPECT_EQ(o.leeway_seconds, 20);
  EXPECT_TRUE(o.csrf_claim);
  EXPECT_EQ(o.revocation_checks, std::vector<token_type>{token_type::refresh});
  EXPECT_EQ(o.reuse_grace_seconds, 10);

  config off;
  off.token_location = {"headers", "cookies"};
  off.cookie_csrf_protect = false;
  off.denylist_enabled = false;
  EXPECT_FALSE(off.make_service_options().csrf_claim);
  EXPECT_TRUE(off.make_service_options().revocation_checks.empty());
  EXPECT_FALSE(config{}.make_service_options().csrf_claim);  // headers only
}

TEST(config_service, a_loaded_config_runs_a_token_service) {
  auto c = config::from_file(vectors + "full.toml");
  ASSERT_OK(c);
  ASSERT_OK(c->validate());
  auto options = c->make_service_options();
  options.clock = fixed_clock(test::now);
  auto service = token_service::create(test::must(c->make_key_ring()), std::move(options));
  ASSERT_OK(service);
  auto token = service->create_access_token({.subject = "alice", .audience = {"mobile"}});
  ASSERT_OK(token);
  EXPECT_OK(service->require_access(*token));
}

}  // namespace
}  // namespace jwtfort
