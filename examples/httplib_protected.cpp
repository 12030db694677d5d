// A cpp-httplib server whose routes jwtfort protects, and a client that checks it over loopback.
// Each route's handler is wrapped in adapters::httplib::protect, which runs it only for callers
// the authenticator lets through and answers everyone else with the refusal.
// Routes: /healthz is public, /admin needs the role "admin", everything else a valid token.
// With JWTFORT_OIDC_ISSUER and JWTFORT_OIDC_AUDIENCE set, an OpenID Connect provider's access
// tokens are accepted too (see trusted_issuer_from_env in example_setup.hpp).
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <jwtfort/adapters/httplib.hpp>
#include <jwtfort/service/token_service.hpp>
#include <jwtfort/service/trusted_issuers.hpp>
#include <string>
#include <thread>
#include <vector>

#include "example_setup.hpp"

using namespace jwtfort;

using example::must;
using example::provider_caller_from_env;
using example::trusted_issuer_from_env;

// The application's handler: it runs only for callers the authenticator let through.
void hello(const httplib::Request&, httplib::Response& response, const http::principal* caller) {
  // `caller` is null on an excluded path.
  response.set_content(caller ? "hello, " + std::string(caller->subject()) : "ok", "text/plain");
}

struct check {
  const char* what;
  const char* target;
  std::string token;
  int status;
  std::string www_authenticate;  // empty: the header must be absent
  std::string body;
};

// The client: one request per check, the whole answer compared.
bool run(int port, const std::vector<check>& checks) {
  httplib::Client client("127.0.0.1", port);
  bool all_passed = true;
  for (const check& c : checks) {
    httplib::Headers headers;
    if (!c.token.empty()) headers.emplace("Authorization", "Bearer " + c.token);
    const httplib::Result response = client.Get(c.target, headers);
    if (!response) {
      std::cout << "FAIL " << c.what << ": GET " << c.target << ": "
                << httplib::to_string(response.error()) << '\n';
      all_passed = false;
      continue;
    }
    const std::string challenge = response->get_header_value("WWW-Authenticate");
    const bool passed =
        response->status == c.status && challenge == c.www_authenticate && response->body == c.body;
    std::cout << (passed ? "ok   " : "FAIL ") << c.what << ": GET " << c.target << " -> "
              << response->status << " [" << challenge << "] " << response->body << '\n';
    if (!passed) {
      std::cout << "     expected " << c.status << " [" << c.www_authenticate << "] " << c.body
                << '\n';
    }
    all_passed = all_passed && passed;
  }
  return all_passed;
}

int main() {
  // The token service: an ES256 key of its own, revocations in memory.
  auto ring = must(key_ring::from_key(must(key::generate(algorithm::es256), "key")), "key ring");
  token_service_options service_options;
  service_options.store = make_memory_store();
  auto service = std::make_shared<const token_service>(
      must(token_service::create(std::move(ring), std::move(service_options)), "token service"));

  http::authenticator_options options;
  options.excluded_paths = {"/healthz"};
  options.routes = {{.path = "/admin", .roles = {"admin"}}};
  const auto trusted = trusted_issuer_from_env();
  options.trusted = trusted;
  // Declared before the server: the protected handlers refer to it.
  const auto auth = must(http::authenticator::create(service, std::move(options)), "authenticator");

  auto token = [&](const char* subject, const char* extra_claims) {
    return must(
        service->create_access_token({.subject = subject, .extra_claims_json = extra_claims}),
        "token");
  };
  const std::string alice = token("alice", R"({"roles":["user"]})");
  const std::string root = token("root", R"({"roles":["admin"]})");
  const std::string mallory = token("mallory", "");
  must(service->revoke(must(service->require_access(mallory), "verify")), "revoke");

  // The server, on a free port of the loopback interface.
  httplib::Server server;
  server.Get("/me", adapters::httplib::protect(auth, hello));
  server.Get("/admin", adapters::httplib::protect(auth, hello));
  server.Get("/healthz", adapters::httplib::protect(auth, hello));
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port < 0) {
    std::cerr << "cannot bind 127.0.0.1\n";
    return 1;
  }
  std::thread listener([&server] { server.listen_after_bind(); });
  std::cout << "listening on 127.0.0.1:" << port << '\n';

  std::vector<check> checks = {
      {"no token", "/me", "", 401, "Bearer", R"({"detail":"Missing Authorization Header"})"},
      {"valid token", "/me", alice, 200, "", "hello, alice"},
      {"admin route, no admin role", "/admin", alice, 403, R"(Bearer error="insufficient_scope")",
       R"({"detail":"Missing required role"})"},
      {"admin route, admin role", "/admin", root, 200, "", "hello, root"},
      {"revoked token", "/me", mallory, 401, R"(Bearer error="invalid_token")",
       R"({"detail":"Token has been revoked"})"},
      {"excluded path", "/healthz", "", 200, "", "ok"},
  };
  if (auto caller = provider_caller_from_env(trusted.get()))
    checks.push_back({"provider token", "/me", caller->token, 200, "", caller->greeting});
  const bool passed = run(port, checks);
  server.stop();
  listener.join();
  std::cout << (passed ? "all checks passed\n" : "some checks failed\n");
  return passed ? 0 : 1;
}
