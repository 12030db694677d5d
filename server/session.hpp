#pragma once
// One HTTP connection: reads requests with size limits and timeouts, hands each to the router,
// writes the answer, keeps the connection alive while the client wants it, and passes an
// accepted WebSocket upgrade on. The connection registry lets shutdown reach every connection.
//
// A request is read in three phases, each with its own bound:
// - idle: no byte of it yet (the idle timeout on a kept-alive connection, the header timeout on
//   a new one); the connection may be shed for another one;
// - header: from its first byte to the end of its header, at most `max_header_bytes` in all
//   (request line and every field, however the bytes arrive) within the header timeout;
// - body: at most `max_body_bytes`, the whole request within `request_timeout` of its first byte.
// The read buffer never holds more than `max_buffered_bytes`, which bounds chunk extensions and
// trailers too.

#include <array>
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "connection_limits.hpp"
#include "request_log.hpp"
#include "router.hpp"

namespace jwtfort::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

/// Limits of one connection.
/// The request line and all header fields together.
inline constexpr std::size_t max_header_bytes = 8 * 1024;
/// What the read buffer holds at most: a header and a body, or their unparsed parts.
inline constexpr std::size_t max_buffered_bytes = max_header_bytes + max_body_bytes;
/// The whole time to receive one request, from its first byte.
inline constexpr std::chrono::seconds request_timeout{30};
inline constexpr std::chrono::seconds write_timeout{30};

/// A connection shutdown can ask to wind down.
class connection {
 public:
  virtual ~connection() = default;
  /// Runs on the connection's executor: close now when idle, else after the current exchange.
  virtual void stop() = 0;
};

/// The live connections, for a graceful shutdown.
class connection_registry {
 public:
  /// Registers `c`, whose handlers run on `executor`. False once stopping: the caller closes.
  bool add(const std::shared_ptr<connection>& c, net::any_io_executor executor);
  void remove(const connection* c);
  /// From now on, new connections are refused and finished exchanges close their connection;
  /// every live one is asked to stop. `on_drained` runs once the last one is gone (at once when
  /// there is none), from whichever thread removed it.
  void stop_all(std::function<void()> on_drained);
  /// Drops the drained callback (before what it refers to goes away).
  void forget_drained();
  bool stopping() const noexcept { return stopping_.load(std::memory_order_acquire); }

 private:
  struct entry {
    std::weak_ptr<connection> c;
    net::any_io_executor executor;
  };
  std::mutex mutex_;
  std::unordered_map<const connection*, entry> live_;
  std::function<void()> on_drained_;
  std::atomic<bool> stopping_{false};
};

/// What every connection shares.
struct server_context {
  application& app;
  const server::router& routes;
  const request_log& log;
  connection_registry& connections;
  connection_limits& limits;
};

class session : public connection, public sheddable, public std::enable_shared_from_this<session> {
 public:
  /// `peer`: the client's address as text, as the listener read it.
  session(net::ip::tcp::socket socket, server_context& ctx, connection_limits::slot slot,
          std::string peer);
  ~session() override;

  void run();
  void stop() override;
  void shed() override;

 private:
  // What the log line of the exchange being answered needs once the response is out.
  struct exchange_record {
    std::string method;
    std::string target;
    std::string client;
    std::string subject;
    std::string_view outcome;
    std::chrono::system_clock::time_point received;
    std::chrono::steady_clock::time_point started;
  };

  // What follows a response.
  enum class then { read, close, linger };

  void read();
  void wait_for_request();
  void on_first_bytes(beast::error_code ec, std::size_t bytes);
  void parse_buffered();
  void limit_header_to_what_is_left();
  void read_header();
  void on_header_part(beast::error_code ec, std::size_t bytes);
  void read_body();
  void on_body(beast::error_code ec, std::size_t bytes);
  void refuse_unread(beast::error_code ec, int overflow_status, std::string_view overflow_detail);
  void answer(bhttp::request<bhttp::string_body>&& req);
  response route(bhttp::request<bhttp::string_body>& req);
  void upgrade(bhttp::request<bhttp::string_body>&& req, response&& res);
  unsigned record_unread(int status);
  void reply_and_close(int status, std::string_view detail);
  void timed_out();
  void write(response&& res, unsigned version, then next, bool head);
  void on_write(then next, beast::error_code ec, std::size_t bytes);
  void finish_record(int status, std::size_t bytes);
  void linger();
  void drain();
  void close();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{max_buffered_bytes};
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> reply_;
  server_context& ctx_;
  connection_limits::slot slot_;
  std::string peer_;
  exchange_record record_;
  std::size_t body_bytes_ = 0;
  std::size_t header_bytes_ = 0;  // of the request being read
  std::chrono::steady_clock::time_point first_byte_;
  bool first_request_ = true;
  bool idle_ = false;  // waiting for the first byte of a request
  bool shed_ = false;  // asked to make room: no keep-alive
  bool reading_ = false;
  bool lingering_ = false;
  bool registered_ = false;
  std::array<char, 4096> drain_buffer_{};
  std::size_t drained_ = 0;
};

}  // namespace jwtfort::server
