// A Boost.Beast server whose routes jwtfort protects, and a client that checks it over loopback.
// Server: one io_context, a listener coroutine and one coroutine per connection; every request
// goes through adapters::beast::authenticate before the application sees it.
// Routes: /healthz is public, /admin needs the role "admin", everything else a valid token.
// With JWTFORT_OIDC_ISSUER and JWTFORT_OIDC_AUDIENCE set, an OpenID Connect provider's access
// tokens are accepted too (see trusted_issuer_from_env in example_setup.hpp).
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <jwtfort/adapters/beast.hpp>
#include <jwtfort/service/token_service.hpp>
#include <jwtfort/service/trusted_issuers.hpp>
#include <string>
#include <thread>
#include <vector>

#include "example_setup.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace jwtfort;

// The application's handler: it runs only for callers the authenticator let through.
bhttp::response<bhttp::string_body> handle(const http::authenticator& auth,
                                           const bhttp::request<bhttp::string_body>& request) {
  http::decision d = adapters::beast::authenticate(auth, request);
  if (const http::challenge* denied = d.challenge()) {
    return adapters::beast::challenge_response(*denied, request.version(), request.keep_alive());
  }
  bhttp::response<bhttp::string_body> response{bhttp::status::ok, request.version()};
  response.keep_alive(request.keep_alive());
  response.set(bhttp::field::content_type, "text/plain");
  const http::principal* caller = d.principal();  // null on an excluded path
  response.body() = caller ? "hello, " + std::string(caller->subject()) : "ok";
  response.prepare_payload();
  return response;
}

asio::awaitable<void> session(beast::tcp_stream stream, const http::authenticator& auth) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    stream.expires_after(std::chrono::seconds(30));  // the session owns timeouts, not jwtfort
    bhttp::request<bhttp::string_body> request;
    co_await bhttp::async_read(stream, buffer, request,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // closed by the client, timed out, or not HTTP
    auto response = handle(auth, request);
    co_await bhttp::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !response.keep_alive()) co_return;
  }
}

asio::awaitable<void> serve(tcp::acceptor& acceptor, const http::authenticator& auth) {
  for (;;) {
    tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
    asio::co_spawn(acceptor.get_executor(), session(beast::tcp_stream(std::move(socket)), auth),
                   asio::detached);
  }
}

using example::must;
using example::provider_caller_from_env;
using example::trusted_issuer_from_env;

struct check {
  const char* what;
  const char* target;
  std::string token;
  unsigned status;
  std::string www_authenticate;  // empty: the header must be absent
  std::string body;
};

// The client: one keep-alive connection, one request per check, the whole answer compared.
bool run(unsigned short port, const std::vector<check>& checks) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  beast::flat_buffer buffer;
  bool all_passed = true;
  for (const check& c : checks) {
    bhttp::request<bhttp::empty_body> request{bhttp::verb::get, c.target, 11};
    request.set(bhttp::field::host, "127.0.0.1");
    if (!c.token.empty()) request.set(bhttp::field::authorization, "Bearer " + c.token);
    bhttp::write(stream, request);
    bhttp::response<bhttp::string_body> response;
    bhttp::read(stream, buffer, response);
    const std::string challenge(response[bhttp::field::www_authenticate]);
    const bool passed = response.result_int() == c.status && challenge == c.www_authenticate &&
                        response.body() == c.body;
    std::cout << (passed ? "ok   " : "FAIL ") << c.what << ": GET " << c.target << " -> "
              << response.result_int() << " [" << challenge << "] " << response.body() << '\n';
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
  asio::io_context io;
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  const unsigned short port = acceptor.local_endpoint().port();
  asio::co_spawn(io, serve(acceptor, auth), asio::detached);
  std::thread server([&io] { io.run(); });
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
  bool passed = false;
  try {
    passed = run(port, checks);
  } catch (const std::exception& e) {  // the server did not answer as HTTP
    std::cout << "FAIL client: " << e.what() << '\n';
  }
  io.stop();
  server.join();
  std::cout << (passed ? "all checks passed\n" : "some checks failed\n");
  return passed ? 0 : 1;
}
