#include "listener.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <charconv>
#include <optional>

#include "handlers.hpp"

namespace jwtfort::server {
namespace {

error bad_listen(std::string_view text, std::string_view why) {
  return error(errc::invalid_configuration,
               "JWTFORT_LISTEN: " + std::string(why) + ", got '" + std::string(text) + "'");
}

result<net::ip::address> resolve(std::string_view host) {
  beast::error_code ec;
  auto address = net::ip::make_address(std::string(host), ec);
  if (!ec) return address;
  net::io_context ioc;
  net::ip::tcp::resolver resolver(ioc);
  auto found = resolver.resolve(std::string(host), "", ec);
  if (ec || found.empty())
    return error(errc::invalid_configuration,
                 "JWTFORT_LISTEN: cannot resolve '" + std::string(host) + "'");
  return found.begin()->endpoint().address();
}

// The client's address, an IPv4 client of a dual-stack socket as IPv4 (not ::ffff:a.b.c.d);
// nullopt when the peer is already gone.
std::optional<net::ip::address> client_of(const net::ip::tcp::socket& socket) {
  beast::error_code ec;
  auto address = socket.remote_endpoint(ec).address();
  if (ec) return std::nullopt;
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6());
  return address;
}

std::string refusal_text(std::string_view detail) {
  const std::string body = detail_reply(503, detail).body;
  return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
         "Cache-Control: no-store\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A connection over a cap gets a 503 and is closed at once. The answer is written without
// waiting (a new socket's send buffer is empty), so a client that does not read costs nothing.
void refuse(net::ip::tcp::socket& socket, bool address_cap) {
  static const std::string total = refusal_text("Too many connections");
  static const std::string address = refusal_text("Too many connections from this address");
  beast::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(net::buffer(address_cap ? address : total), ignored);
  socket.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace

result<net::ip::tcp::endpoint> parse_listen(std::string_view text) {
  std::string_view host, port;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || text.substr(close + 1, 1) != ":")
      return bad_listen(text, "expected [V6]:PORT");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon)
      return bad_listen(text, "expected HOST:PORT or [V6]:PORT");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (host.empty() || port.empty() || ec != std::errc() || end != port.data() + port.size() ||
      number > 65535)
    return bad_listen(text, "expected HOST:PORT with a port 0..65535");
  auto address = resolve(host);
  if (!address) return address.error();
  return net::ip::tcp::endpoint(*address, static_cast<unsigned short>(number));
}

std::string url_of(const net::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return "http://" + host + ":" + std::to_string(endpoint.port());
}

result<std::shared_ptr<listener>> listener::open(net::io_context& ioc,
                                                 const net::ip::tcp::endpoint& endpoint,
                                                 server_context& ctx) {
  net::ip::tcp::acceptor acceptor(net::make_strand(ioc));
  beast::error_code ec;
  auto fail = [&](std::string_view step) {
    return error(errc::invalid_configuration, "JWTFORT_LISTEN: cannot " + std::string(step) + " " +
                                                  url_of(endpoint) + ": " + ec.message());
  };
  if (acceptor.open(endpoint.protocol(), ec); ec) return fail("open");
  if (acceptor.set_option(net::socket_base::reuse_address(true), ec); ec) return fail("configure");
  if (acceptor.bind(endpoint, ec); ec) return fail("bind");
  if (acceptor.listen(net::socket_base::max_listen_connections, ec); ec) return fail("listen on");
  return std::make_shared<listener>(ioc, std::move(acceptor), ctx);
}

listener::listener(net::io_context& ioc, net::ip::tcp::acceptor acceptor, server_context& ctx)
    : ioc_(ioc), acceptor_(std::move(acceptor)), retry_(acceptor_.get_executor()), ctx_(ctx) {}

net::ip::tcp::endpoint listener::local_endpoint() const {
  beast::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void listener::run() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->accept(); });
}

void listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_.cancel();
  });
}

void listener::accept() {
  // Each connection gets its own strand: its handlers never run concurrently.
  acceptor_.async_accept(net::make_strand(ioc_),
                         beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(beast::error_code ec, net::ip::tcp::socket socket) {
  if (!acceptor_.is_open()) return;
  if (ec) {
    // Out of file descriptors or similar: wait a little instead of spinning on the error.
    retry_.expires_after(std::chrono::milliseconds(50));
    retry_.async_wait([self = shared_from_this()](beast::error_code wait) {
      if (!wait) self->accept();
    });
    return;
  }
  const auto client = client_of(socket);
  auto admission = ctx_.limits.admit(client.value_or(net::ip::address{}));
  if (!admission.admitted) {
    const bool address_cap = admission.why == connection_limits::refusal::address;
    ctx_.app.stats().count_connection_refused(address_cap);
    refuse(socket, address_cap);
    return accept();
  }
  beast::error_code ignored;
  socket.set_option(net::ip::tcp::no_delay(true), ignored);
  std::make_shared<session>(std::move(socket), ctx_, std::move(*admission.admitted),
                            client ? client->to_string() : std::string())
      ->run();
  accept();
}

}  // namespace jwtfort::server
