#pragma once
// An accepted WebSocket connection (RFC 6455) on GET /ws: the upgrade was authenticated by the
// router; this greets the caller with `{"user":"<sub>"}` and echoes text messages until the
// client closes, or until the token that opened it expires or is revoked.

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "jwtfort/token.hpp"
#include "session.hpp"

namespace jwtfort::server {

/// The largest WebSocket message accepted, in bytes (a longer one closes the connection with
/// 1009, message too big).
inline constexpr std::size_t max_message_bytes = 1024 * 1024;

/// How often an open WebSocket checks, between messages, that its token is not revoked. The
/// check is the store's in-process lookup; expiry has a timer of its own.
inline constexpr std::chrono::seconds token_recheck_interval{1};

class websocket_session : public connection,
                          public std::enable_shared_from_this<websocket_session> {
 public:
  /// `slot`: the connection's, taken over from the HTTP session; `token`: the access token
  /// the upgrade was authenticated with.
  websocket_session(beast::tcp_stream&& stream, server_context& ctx, connection_limits::slot slot,
                    verified_token token);
  ~websocket_session() override;

  /// Completes the handshake of `upgrade`, an upgrade request the router accepted.
  void run(bhttp::request<bhttp::string_body> upgrade);
  /// Sends a close frame (1001, going away); the client's answer ends the connection.
  void stop() override;

 private:
  void on_accept(beast::error_code ec);
  void read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void on_echo(beast::error_code ec, std::size_t bytes);
  void watch_token();
  void on_watch(beast::error_code ec);
  bool token_still_valid();
  void close(const beast::websocket::close_reason& reason);

  beast::websocket::stream<beast::tcp_stream> ws_;
  net::steady_timer token_timer_;
  server_context& ctx_;
  connection_limits::slot slot_;
  verified_token token_;
  std::string greeting_;
  beast::flat_buffer buffer_;
  bool registered_ = false;
  bool closing_ = false;
};

}  // namespace jwtfort::server
