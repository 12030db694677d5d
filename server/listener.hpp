#pragma once
// The listener: accepts connections and starts a session for each, until stopped.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "jwtfort/result.hpp"
#include "session.hpp"

namespace jwtfort::server {

/// The address `HOST:PORT` or `[V6]:PORT` names; HOST may be a name, resolved here.
/// Errors: invalid_configuration naming JWTFORT_LISTEN.
result<net::ip::tcp::endpoint> parse_listen(std::string_view text);

/// `http://HOST:PORT`, with an IPv6 address in brackets.
std::string url_of(const net::ip::tcp::endpoint& endpoint);

class listener : public std::enable_shared_from_this<listener> {
 public:
  /// Binds and listens on `endpoint` (port 0 picks a free one).
  /// Errors: invalid_configuration (address in use, not available, no permission).
  static result<std::shared_ptr<listener>> open(net::io_context& ioc,
                                                const net::ip::tcp::endpoint& endpoint,
                                                server_context& ctx);

  listener(net::io_context& ioc, net::ip::tcp::acceptor acceptor, server_context& ctx);

  /// The address actually bound.
  net::ip::tcp::endpoint local_endpoint() const;
  void run();
  /// Stops accepting; safe from any thread.
  void stop();

 private:
  void accept();
  void on_accept(beast::error_code ec, net::ip::tcp::socket socket);

  net::io_context& ioc_;
  net::ip::tcp::acceptor acceptor_;
  net::steady_timer retry_;
  server_context& ctx_;
};

}  // namespace jwtfort::server
