#include "websocket_session.hpp"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/websocket/error.hpp>
#include <cstdint>
#include <utility>

#include "json.hpp"

namespace jwtfort::server {

namespace websocket = beast::websocket;

namespace {

// Why a token that opened a connection no longer keeps it open. RFC 6455 §7.4.1: 1008 for a
// policy violation; 1013 (try again later) when the store cannot vouch for the token.
websocket::close_reason close_reason_for(errc code) {
  switch (code) {
    case errc::expired: return {websocket::close_code::policy_error, "token expired"};
    case errc::revoked: return {websocket::close_code::policy_error, "token revoked"};
    case errc::store_unavailable:
      return {websocket::close_code::try_again_later, "token store unavailable"};
    default: return {websocket::close_code::policy_error, "token no longer valid"};
  }
}

}  // namespace

websocket_session::websocket_session(beast::tcp_stream&& stream, server_context& ctx,
                                     connection_limits::slot slot, verified_token token)
    : ws_(std::move(stream)),
      token_timer_(ws_.get_executor()),
      ctx_(ctx),
      slot_(std::move(slot)),
      token_(std::move(token)) {}

websocket_session::~websocket_session() {
  if (registered_) ctx_.connections.remove(this);
}

void websocket_session::run(bhttp::request<bhttp::string_body> upgrade) {
  registered_ = ctx_.connections.add(shared_from_this(), ws_.get_executor());
  if (!registered_) return;  // shutting down: the socket closes with this session
  // The WebSocket layer's own timeouts (handshake, idle with pings) replace the HTTP ones.
  beast::get_lowest_layer(ws_).expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  // Beast names itself and its version in `Server` unless told otherwise; no answer of this
  // server advertises a library version.
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(bhttp::field::server, "jwtfort-server"); }));
  ws_.read_message_max(max_message_bytes);
  ws_.async_accept(upgrade,
                   beast::bind_front_handler(&websocket_session::on_accept, shared_from_this()));
}

void websocket_session::stop() { close(websocket::close_code::going_away); }

void websocket_session::close(const websocket::close_reason& reason) {
  if (closing_) return;
  closing_ = true;
  token_timer_.cancel();
  // A read stays pending (or is started by on_read) until the client's close frame answers.
  ws_.async_close(reason, [self = shared_from_this()](beast::error_code) {});
}

void websocket_session::on_accept(beast::error_code ec) {
  if (ec) return;
  greeting_ = json::object().text("user", token_.subject()).str();
  ws_.text(true);
  ws_.async_write(net::buffer(greeting_),
                  [self = shared_from_this()](beast::error_code error, std::size_t) {
                    if (!error) self->read();
                  });
  watch_token();
}

// The token is checked again on every message and by this timer: at its expiry, and every
// `token_recheck_interval` for a revocation (a logout elsewhere), whichever comes first.
void websocket_session::watch_token() {
  auto wait = std::chrono::seconds(token_recheck_interval);
  if (const auto exp = token_.expires_at()) {
    const token_service_options& o = ctx_.app.tokens().options();
    const std::int64_t left = *exp + o.leeway_seconds - o.clock();
    wait = std::min(wait, std::chrono::seconds(std::max<std::int64_t>(left, 0)));
  }
  token_timer_.expires_after(wait);
  token_timer_.async_wait(
      beast::bind_front_handler(&websocket_session::on_watch, shared_from_this()));
}

void websocket_session::on_watch(beast::error_code ec) {
  if (ec || closing_) return;  // cancelled: the connection is closing
  if (token_still_valid()) watch_token();
}

// Closes the connection when its token can no longer be used.
bool websocket_session::token_still_valid() {
  const auto ok = ctx_.app.tokens().recheck_access(token_);
  if (ok) return true;
  const websocket::close_reason reason = close_reason_for(ok.code());
  ctx_.log.event("websocket_closed", std::string_view(reason.reason.data(), reason.reason.size()));
  close(reason);
  return false;
}

void websocket_session::read() {
  ws_.async_read(buffer_,
                 beast::bind_front_handler(&websocket_session::on_read, shared_from_this()));
}

void websocket_session::on_read(beast::error_code ec, std::size_t) {
  if (ec) {  // closed by the client, by close(), a timeout or a protocol error
    token_timer_.cancel();
    return;
  }
  if (closing_) {  // keep reading until the client's close frame answers ours
    buffer_.consume(buffer_.size());
    return read();
  }
  if (!ws_.got_text()) {
    close(websocket::close_code::unknown_data);
    return read();
  }
  if (!token_still_valid()) {
    buffer_.consume(buffer_.size());
    return read();
  }
  ws_.text(true);
  ws_.async_write(buffer_.data(),
                  beast::bind_front_handler(&websocket_session::on_echo, shared_from_this()));
}

void websocket_session::on_echo(beast::error_code ec, std::size_t bytes) {
  buffer_.consume(bytes);
  if (!ec) read();
}

}  // namespace jwtfort::server
