#include "serve.hpp"

#include <algorithm>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <csignal>
#include <exception>
#include <thread>
#include <vector>

#include "listener.hpp"
#include "router.hpp"
#include "session.hpp"

namespace jwtfort::server {
namespace {

int thread_count(std::int64_t configured) {
  if (configured > 0) return static_cast<int>(configured);
  return static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
}

// Shutdown runs on one strand, so the drained callback (posted from whichever thread closes the
// last connection) never races the code that started the shutdown.
class shutdown_control {
 public:
  shutdown_control(net::io_context& ioc, listener& accepting, connection_registry& connections)
      : ioc_(ioc),
        strand_(net::make_strand(ioc)),
        signals_(strand_, SIGINT, SIGTERM),
        deadline_(strand_),
        accepting_(accepting),
        connections_(connections) {}

  void arm() {
    signals_.async_wait([this](beast::error_code ec, int) {
      if (!ec) begin();
    });
  }

 private:
  void begin() {
    accepting_.stop();
    deadline_.expires_after(std::chrono::seconds(shutdown_grace_seconds));
    deadline_.async_wait([this](beast::error_code ec) {
      if (!ec) ioc_.stop();
    });
    signals_.async_wait([this](beast::error_code ec, int) {  // a second signal: now
      if (!ec) ioc_.stop();
    });
    connections_.stop_all([this] { net::post(strand_, [this] { drained(); }); });
  }

  // Nothing is left to wait for: with the timer and the signal wait gone, run() returns.
  void drained() {
    deadline_.cancel();
    signals_.cancel();
  }

  net::io_context& ioc_;
  net::strand<net::io_context::executor_type> strand_;
  net::signal_set signals_;
  net::steady_timer deadline_;
  listener& accepting_;
  connection_registry& connections_;
};

}  // namespace

result<void> serve(application& app, const request_log& log,
                   const std::function<void(const std::string& url)>& on_listening) {
  auto endpoint = parse_listen(app.settings().listen);
  if (!endpoint) return endpoint.error();
  const int threads = thread_count(app.settings().threads);

  // Declared before the io_context: pending handlers hold sessions, which use these.
  const router routes(app);
  connection_registry connections;
  const auto& settings = app.settings();
  auto limits = std::make_shared<connection_limits>(
      derive_caps(settings.max_connections, settings.max_connections_per_address,
                  raise_open_file_limit(), settings.trust_forwarded_for));
  app.stats().watch_connections([limits] { return limits->open(); });
  server_context ctx{app, routes, log, connections, *limits};
  {
    net::io_context ioc(threads);
    auto accepting = listener::open(ioc, *endpoint, ctx);
    if (!accepting) return accepting.error();
    shutdown_control control(ioc, **accepting, connections);
    control.arm();
    (*accepting)->run();
    on_listening(url_of((*accepting)->local_endpoint()));

    // A handler that throws leaves run(); the loop goes on serving (sessions catch their own
    // errors, so this is a last resort for the rest).
    auto run = [&ioc, &log] {
      for (;;) {
        try {
          ioc.run();
          return;
        } catch (const std::exception& e) {
          log.event("error", e.what());
        }
      }
    };
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back(run);
    run();
    for (std::thread& t : pool) t.join();
    connections.forget_drained();
    // Destroying the io_context destroys what the grace period cut short.
  }
  return {};
}

}  // namespace jwtfort::server
