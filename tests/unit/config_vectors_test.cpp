// The AUTHJWT_* environment settings from the vectors the Python settings are tested with too
// (vectors/config/authjwt_environment.json; tests/python/test_config_vectors.py reads the same
// file). Each vector is one test: config::from_environment() with exactly its variables set, and
// the C++ outcome asserted exactly (the values, or the error's code and message). A vector for the
// Python side alone is skipped with the reason it gives; one where the sides differ on purpose
// records why (the `differs` property in the XML report).
#include <stdlib.h>

#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "gtest/gtest.h"
#include "jwtfort/service/config.hpp"

namespace jwtfort {
namespace {

using json = nlohmann::json;

json load_vectors() {
  std::ifstream in(JWTFORT_VECTORS_DIR "/config/authjwt_environment.json");
  json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("vectors")) return json::array();
  return doc["vectors"];
}

const json& vectors() {
  static const json all = load_vectors();
  return all;
}

std::vector<json> vector_list() { return {vectors().begin(), vectors().end()}; }

// --- a setting's value as the vectors write it: null for unset, lifetimes in seconds or false --

json text_or_unset(const std::string& text) { return text.empty() ? json() : json(text); }

template <class T>
json optional(const std::optional<T>& value) {
  return value ? json(*value) : json();
}

json seconds_or_false(const std::optional<std::int64_t>& seconds) {
  return seconds ? json(*seconds) : json(false);
}

json list_or_unset(const std::vector<std::string>& items) {
  return items.empty() ? json() : json(items);
}

json algorithm_names(const std::vector<algorithm>& algs) {
  if (algs.empty()) return json();
  json names = json::array();
  for (algorithm a : algs) names.push_back(std::string(to_string(a)));
  return names;
}

json token_types(const std::vector<token_type>& types) {
  json names = json::array();
  for (token_type t : types) names.push_back(std::string(to_string(t)));
  return names;
}

using value_reader = std::function<json(const config&)>;

const std::map<std::string, value_reader>& readers() {
  static const std::map<std::string, value_reader> table = {
      {"AUTHJWT_TOKEN_LOCATION", [](const config& c) { return json(c.token_location); }},
      {"AUTHJWT_SECRET_KEY", [](const config& c) { return text_or_unset(c.secret_key); }},
      {"AUTHJWT_PUBLIC_KEY", [](const config& c) { return text_or_unset(c.public_key); }},
      {"AUTHJWT_PRIVATE_KEY", [](const config& c) { return text_or_unset(c.private_key); }},
      {"AUTHJWT_ALGORITHM", [](const config& c) { return json(std::string(to_string(c.alg))); }},
      {"AUTHJWT_DECODE_ALGORITHMS",
       [](const config& c) { return algorithm_names(c.decode_algorithms); }},
      {"AUTHJWT_DECODE_LEEWAY", [](const config& c) { return json(c.decode_leeway); }},
      {"AUTHJWT_ENCODE_ISSUER", [](const config& c) { return optional(c.encode_issuer); }},
      {"AUTHJWT_DECODE_ISSUER", [](const config& c) { return optional(c.decode_issuer); }},
      {"AUTHJWT_DECODE_AUDIENCE", [](const config& c) { return list_or_unset(c.decode_audience); }},
      {"AUTHJWT_DENYLIST_ENABLED", [](const config& c) { return json(c.denylist_enabled); }},
      {"AUTHJWT_DENYLIST_TOKEN_CHECKS",
       [](const config& c) { return token_types(c.denylist_token_checks); }},
      {"AUTHJWT_HEADER_NAME", [](const config& c) { return json(c.header_name); }},
      {"AUTHJWT_HEADER_TYPE", [](const config& c) { return json(c.header_type); }},
      {"AUTHJWT_ACCESS_TOKEN_EXPIRES",
       [](const config& c) { return seconds_or_false(c.access_token_expires); }},
      {"AUTHJWT_REFRESH_TOKEN_EXPIRES",
       [](const config& c) { return seconds_or_false(c.refresh_token_expires); }},
      {"AUTHJWT_ACCESS_COOKIE_KEY", [](const config& c) { return json(c.access_cookie_key); }},
      {"AUTHJWT_REFRESH_COOKIE_KEY", [](const config& c) { return json(c.refresh_cookie_key); }},
      {"AUTHJWT_ACCESS_COOKIE_PATH", [](const config& c) { return json(c.access_cookie_path); }},
      {"AUTHJWT_REFRESH_COOKIE_PATH", [](const config& c) { return json(c.refresh_cookie_path); }},
      {"AUTHJWT_COOKIE_MAX_AGE", [](const config& c) { return optional(c.cookie_max_age); }},
      {"AUTHJWT_COOKIE_DOMAIN", [](const config& c) { return optional(c.cookie_domain); }},
      {"AUTHJWT_COOKIE_SECURE", [](const config& c) { return json(c.cookie_secure); }},
      {"AUTHJWT_COOKIE_SAMESITE", [](const config& c) { return optional(c.cookie_samesite); }},
      {"AUTHJWT_COOKIE_CSRF_PROTECT", [](const config& c) { return json(c.cookie_csrf_protect); }},
      {"AUTHJWT_ACCESS_CSRF_COOKIE_KEY",
       [](const config& c) { return json(c.access_csrf_cookie_key); }},
      {"AUTHJWT_REFRESH_CSRF_COOKIE_KEY",
       [](const config& c) { return json(c.refresh_csrf_cookie_key); }},
      {"AUTHJWT_ACCESS_CSRF_COOKIE_PATH",
       [](const config& c) { return json(c.access_csrf_cookie_path); }},
      {"AUTHJWT_REFRESH_CSRF_COOKIE_PATH",
       [](const config& c) { return json(c.refresh_csrf_cookie_path); }},
      {"AUTHJWT_ACCESS_CSRF_HEADER_NAME",
       [](const config& c) { return json(c.access_csrf_header_name); }},
      {"AUTHJWT_REFRESH_CSRF_HEADER_NAME",
       [](const config& c) { return json(c.refresh_csrf_header_name); }},
      {"AUTHJWT_CSRF_METHODS", [](const config& c) { return json(c.csrf_methods); }},
  };
  return table;
}

// The variables of one vector, set for the lifetime of this object and no longer.
class environment {
 public:
  explicit environment(const json& variables) {
    for (const auto& [name, value] : variables.items()) {
      if (setenv(name.c_str(), value.get<std::string>().c_str(), 1) != 0)
        throw std::runtime_error("setenv " + name);
      names_.push_back(name);
    }
  }
  ~environment() {
    for (const auto& name : names_) unsetenv(name.c_str());
  }
  environment(const environment&) = delete;
  environment& operator=(const environment&) = delete;

 private:
  std::vector<std::string> names_;
};

// What the C++ side must do: the shared outcome, or its own when the sides differ.
json cpp_outcome(const json& vector) {
  if (vector.contains("cpp")) return vector["cpp"];
  if (vector.contains("error")) return {{"error", vector["error"]["cpp"]}};
  return {{"expect", vector["expect"]}};
}

struct config_vector : testing::TestWithParam<json> {};

TEST_P(config_vector, has_the_outcome_it_gives_for_cpp) {
  const json& vector = GetParam();
  if (vector.value("only", "") == "python")
    GTEST_SKIP() << "Python only: " << vector["why"].get<std::string>();
  if (vector.contains("differs")) RecordProperty("differs", vector["differs"].get<std::string>());
  const json want = cpp_outcome(vector);
  result<config> loaded = [&vector] {
    environment set(vector["env"]);
    return config::from_environment();
  }();
  if (want.contains("error")) {
    ASSERT_FALSE(loaded.has_value()) << "expected: " << want["error"];
    EXPECT_EQ(loaded.code(), errc::invalid_configuration);
    EXPECT_EQ(loaded.error().message, want["error"].get<std::string>());
    return;
  }
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  for (const auto& [name, value] : want["expect"].items()) {
    const auto found = readers().find(name);
    ASSERT_NE(found, readers().end()) << name << " is no AUTHJWT_* setting of the C++ config";
    EXPECT_EQ(found->second(*loaded), value) << name;
  }
}

std::string vector_name(const testing::TestParamInfo<json>& info) {
  return info.param["name"].get<std::string>();
}

INSTANTIATE_TEST_SUITE_P(authjwt_environment, config_vector, testing::ValuesIn(vector_list()),
                         vector_name);

TEST(config_vectors, are_read_and_cover_every_authjwt_setting_of_the_cpp_config) {
  ASSERT_FALSE(vectors().empty()) << "vectors/config/authjwt_environment.json is missing or broken";
  for (const json& vector : vectors()) {
    if (vector["name"] != "every_setting") continue;
    for (const auto& [name, read] : readers())
      EXPECT_TRUE(vector["env"].contains(name)) << name << " has no vector";
    return;
  }
  FAIL() << "no every_setting vector";
}

}  // namespace
}  // namespace jwtfort
