#include "websocket_session.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/websocket/error.hpp>
#include <utility>

#include "json.hpp"

namespace jwtfort::server {

namespace websocket = beast::websocket;

websocket_session::websocket_session(beast::tcp_stream&& stream, server_context& ctx,
                                     connection_limits::slot slot, std::string subject)
    : ws_(std::move(stream)), ctx_(ctx), slot_(std::move(slot)), subject_(std::move(subject)) {}

websocket_session::~websocket_session() {
  if (registered_) ctx_.connections.remove(this);
}

void websocket_session::run(bhttp::request<bhttp::string_body> upgrade) {
  registered_ = ctx_.connections.add(shared_from_this(), ws_.get_executor());
  if (!registered_) return;  // shutting down: the socket closes with this session
  // The WebSocket layer's own timeouts (handshake, idle with pings) replace the HTTP ones.
  beast::get_lowest_layer(ws_).expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.read_message_max(max_message_bytes);
  ws_.async_accept(upgrade,
                   beast::bind_front_handler(&websocket_session::on_accept, shared_from_this()));
}

void websocket_session::stop() {
  if (closing_) return;
  closing_ = true;
  ws_.async_close(websocket::close_code::going_away,
                  [self = shared_from_this()](beast::error_code) {});
}

void websocket_session::on_accept(beast::error_code ec) {
  if (ec) return;
  greeting_ = json::object().text("user", subject_).str();
  ws_.text(true);
  ws_.async_write(net::buffer(greeting_),
                  [self = shared_from_this()](beast::error_code error, std::size_t) {
                    if (!error) self->read();
                  });
}

void websocket_session::read() {
  ws_.async_read(buffer_,
                 beast::bind_front_handler(&websocket_session::on_read, shared_from_this()));
}

void websocket_session::on_read(beast::error_code ec, std::size_t) {
  if (ec) return;  // closed by the client, by stop(), a timeout or a protocol error
  if (!ws_.got_text()) {
    closing_ = true;
    ws_.async_close(websocket::close_code::unknown_data,
                    [self = shared_from_this()](beast::error_code) {});
    return;
  }
  if (closing_) {  // keep reading until the client's close frame answers ours
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
