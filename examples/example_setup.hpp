// What the adapter examples (beast_protected.cpp, httplib_protected.cpp) set up alike: setup
// steps that must succeed, the trusted OpenID Connect provider they read from the environment, and
// that provider's token their self-check sends.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <jwtfort/service/trusted_issuers.hpp>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

namespace example {

using namespace jwtfort;

// Setup must succeed: a server does not start without its keys.
template <class T>
T must(result<T> r, const char* what) {
  if (!r) {
    std::cerr << what << ": " << r.error().message << '\n';
    std::exit(1);
  }
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

// A trusted OpenID Connect provider from the environment, next to the service's own tokens:
//   JWTFORT_OIDC_ISSUER      its issuer URL (https://, or http:// on loopback)
//   JWTFORT_OIDC_AUDIENCE    this API's audience in its tokens
//   JWTFORT_OIDC_ALGORITHMS  optional, comma-separated (default RS256)
//   JWTFORT_OIDC_ROLES       optional claim path of the roles, e.g. realm_access.roles
// Without JWTFORT_OIDC_ISSUER: null, own tokens only.
inline std::shared_ptr<const trusted_issuers> trusted_issuer_from_env() {
  auto env = [](const char* name) {
    const char* value = std::getenv(name);
    return std::string(value ? value : "");
  };
  issuer_options o;
  o.issuer = env("JWTFORT_OIDC_ISSUER");
  if (o.issuer.empty()) return nullptr;
  o.audiences = {env("JWTFORT_OIDC_AUDIENCE")};
  if (const std::string algs = env("JWTFORT_OIDC_ALGORITHMS"); !algs.empty()) {
    o.algorithms.clear();
    for (std::size_t start = 0; start <= algs.size();) {
      const std::size_t end = std::min(algs.find(',', start), algs.size());
      const std::string name = algs.substr(start, end - start);
      const auto alg = algorithm_from_string(name);
      if (!alg) {
        std::cerr << "JWTFORT_OIDC_ALGORITHMS: unknown algorithm " << name << '\n';
        std::exit(1);
      }
      o.algorithms.push_back(*alg);
      start = end + 1;
    }
  }
  if (const std::string roles = env("JWTFORT_OIDC_ROLES"); !roles.empty()) o.claims.roles = {roles};
  trusted_issuers_options options;
  options.issuers = {o};
  options.on_event = [](const issuer_event& e) {  // one line per change, never a token
    std::cerr << "trusted issuer " << e.issuer << ": " << e.detail << '\n';
  };
  auto trusted = must(trusted_issuers::create(std::move(options)), "trusted issuer");
  // Requests get 503 until its keys are in; waiting here only makes the first checks meaningful.
  if (!trusted->wait_until_ready(std::chrono::seconds(10)))
    std::cerr << "trusted issuer " << o.issuer << ": no keys yet\n";
  return trusted;
}

// With a provider configured and one of its access tokens in JWTFORT_OIDC_TOKEN, that token is a
// caller too, greeted by the subject the trusted issuer maps. Without either: none.
struct provider_caller {
  std::string token;
  std::string greeting;  // what /me answers it
};

inline std::optional<provider_caller> provider_caller_from_env(const trusted_issuers* trusted) {
  const char* token = std::getenv("JWTFORT_OIDC_TOKEN");
  if (!trusted || !token || !*token) return std::nullopt;
  auto who = trusted->verify(token);
  if (!who) std::cout << "provider token: " << who.error().message << '\n';
  return provider_caller{token, who ? "hello, " + who->subject : "(a verified provider token)"};
}

}  // namespace example
