#pragma once
// An accepted WebSocket connection (RFC 6455) on GET /ws: the upgrade was authenticated by the
// router; this greets the caller with `{"user":"<sub>"}` and echoes text messages until the
// client closes.

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <cstddef>
#include <memory>
#include <string>

#include "session.hpp"

namespace jwtfort::server {

/// The largest WebSocket message accepted, in bytes (a longer one closes the connection with
/// 1009, message too big).
inline constexpr std::size_t max_message_bytes = 1024 * 1024;

class websocket_session : public connection,
                          public std::enable_shared_from_this<websocket_session> {
 public:
  /// `slot` is the connection's, taken over from the HTTP session.
  websocket_session(beast::tcp_stream&& stream, server_context& ctx, connection_limits::slot slot,
                    std::string subject);
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

  beast::websocket::stream<beast::tcp_stream> ws_;
  server_context& ctx_;
  connection_limits::slot slot_;
  std::string subject_;
  std::string greeting_;
  beast::flat_buffer buffer_;
  bool registered_ = false;
  bool closing_ = false;
};

}  // namespace jwtfort::server
