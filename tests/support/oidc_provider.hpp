#pragma once
// An OpenID Connect provider's key publishing, for tests: a cpp-httplib server on 127.0.0.1 in the
// test process serving a discovery document at the well-known path and a JWKS at /jwks. Every
// request is counted by path, and any path can be made to answer badly (status, redirect, size,
// delay, or never while the provider lives). Tokens are signed by the test with the keys it serves.
#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "jwtfort/key.hpp"
#include "jwtfort/key_set.hpp"
#include "support/assertions.hpp"

namespace jwtfort::test {

inline constexpr const char* discovery_path = "/.well-known/openid-configuration";

// What the provider answers on one path.
struct answer {
  int status = 200;
  std::string body;
  std::string location;  // for a redirect
  std::chrono::milliseconds delay{0};
  bool hang = false;  // never answers while the provider lives
};

// A certificate and its key (PEM files) for a provider that speaks HTTPS.
struct tls_files {
  std::string cert, key;
};

// An identity provider on 127.0.0.1 (a free port, or the given one, e.g. to bring a stopped
// provider back): discovery at the well-known path naming its own issuer, the JWKS at /jwks.
// With `tls`, it speaks HTTPS and its issuer is https://127.0.0.1:<port>.
class oidc_provider {
 public:
  explicit oidc_provider(int port = 0, const tls_files* tls = nullptr)
      : server_(tls ? std::make_unique<httplib::SSLServer>(tls->cert.c_str(), tls->key.c_str())
                    : std::make_unique<httplib::Server>()),
        scheme_(tls ? "https" : "http") {
    if (!server_->is_valid()) throw std::runtime_error("provider: cannot load the certificate");
    server_->Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
      respond(req.path, res);
    });
    if (port == 0) {
      port_ = server_->bind_to_any_port("127.0.0.1");
    } else if (server_->bind_to_port("127.0.0.1", port)) {
      port_ = port;
    }
    if (port_ <= 0) throw std::runtime_error("provider: cannot bind 127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    serve_discovery(issuer());
  }

  ~oidc_provider() {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    released_cv_.notify_all();
    server_->stop();
    thread_.join();
  }

  int port() const { return port_; }
  std::string issuer() const { return scheme_ + "://127.0.0.1:" + std::to_string(port_); }

  void on(const std::string& path, answer a) {
    std::lock_guard lock(mutex_);
    answers_[path] = std::move(a);
  }

  void serve_discovery(const std::string& named_issuer, std::string jwks_uri = "") {
    if (jwks_uri.empty()) jwks_uri = issuer() + "/jwks";
    nlohmann::json doc = {{"issuer", named_issuer}, {"jwks_uri", jwks_uri}};
    on(discovery_path, {200, doc.dump()});
  }

  void serve_keys(const std::vector<key>& keys) {
    key_set set;
    for (const key& k : keys) must(set.add(k), "key_set::add");
    on("/jwks", {200, set.to_jwks()});
  }

  int requests(const std::string& path) const {
    std::lock_guard lock(mutex_);
    auto it = counts_.find(path);
    return it == counts_.end() ? 0 : it->second;
  }

  int all_requests() const {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (const auto& [path, count] : counts_) n += count;
    return n;
  }

 private:
  void respond(const std::string& path, httplib::Response& res) {
    answer a{404, "not found"};
    {
      std::unique_lock lock(mutex_);
      ++counts_[path];
      if (auto it = answers_.find(path); it != answers_.end()) a = it->second;
      if (a.hang) released_cv_.wait(lock, [&] { return released_; });
    }
    if (a.delay.count() > 0) std::this_thread::sleep_for(a.delay);
    res.status = a.status;
    if (!a.location.empty()) res.set_header("Location", a.location);
    res.set_content(a.body, "application/json");
  }

  mutable std::mutex mutex_;
  std::condition_variable released_cv_;
  bool released_ = false;
  std::map<std::string, answer> answers_;
  std::map<std::string, int> counts_;
  std::unique_ptr<httplib::Server> server_;
  std::string scheme_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace jwtfort::test
