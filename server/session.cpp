#include "session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <ctime>
#include <exception>
#include <utility>
#include <vector>

#include "handlers.hpp"
#include "websocket_session.hpp"

namespace jwtfort::server {
namespace {

std::string_view to_std(beast::string_view s) { return {s.data(), s.size()}; }

request to_request(bhttp::request<bhttp::string_body>& req, const std::string& peer) {
  request r;
  r.method = to_std(req.method_string());
  r.target = to_std(req.target());
  r.headers.reserve(16);
  for (const auto& f : req)
    r.headers.push_back({std::string(to_std(f.name_string())), std::string(to_std(f.value()))});
  r.body = std::move(req.body());
  r.client = peer;
  r.version = req.version();
  return r;
}

// RFC 9110 §6.6.1: an origin server with a clock sends Date. Formatted once a second per thread.
std::string_view http_date() {
  thread_local std::time_t cached_second = -1;
  thread_local char text[64];
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm utc{};
    gmtime_r(&now, &utc);
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
    cached_second = now;
  }
  return text;
}

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

// What the first read of an idle connection asks for: a typical request header.
constexpr std::size_t idle_read_bytes = 2048;

// RFC 9112 §6.1 and §6.3: the body's length must be read the same way by every hop. Beast
// accepts a transfer coding other than chunked as "no body", which lets the bytes that follow
// pass as the next request behind a proxy that reads them as a body; and HTTP/1.0 has no
// transfer codings. Beast itself refuses Content-Length together with Transfer-Encoding.
// Empty when the framing is acceptable, else why not.
std::string_view framing_error(const bhttp::request_header<>& header) {
  std::size_t codings = 0;
  bool chunked = false;
  for (const auto& f : header) {
    if (f.name() != bhttp::field::transfer_encoding) continue;
    ++codings;
    chunked = ascii_iequals(trim_ows(to_std(f.value())), "chunked");
  }
  if (codings == 0) return {};
  if (header.version() < 11) return "Transfer-Encoding is not allowed in HTTP/1.0";
  if (codings != 1 || !chunked) return "Transfer-Encoding must be exactly chunked";
  return {};
}

}  // namespace

// --- connection_registry

bool connection_registry::add(const std::shared_ptr<connection>& c, net::any_io_executor executor) {
  std::lock_guard lock(mutex_);
  if (stopping()) return false;
  live_.emplace(c.get(), entry{c, std::move(executor)});
  return true;
}

void connection_registry::remove(const connection* c) {
  std::function<void()> drained;
  {
    std::lock_guard lock(mutex_);
    if (live_.erase(c) == 0) return;
    if (stopping() && live_.empty()) drained = std::move(on_drained_);
  }
  if (drained) drained();
}

void connection_registry::stop_all(std::function<void()> on_drained) {
  std::vector<entry> to_stop;
  {
    std::lock_guard lock(mutex_);
    stopping_.store(true, std::memory_order_release);
    if (!live_.empty()) {
      on_drained_ = std::move(on_drained);
      for (auto& [key, e] : live_) to_stop.push_back(e);
    }
  }
  if (to_stop.empty() && on_drained) on_drained();
  for (entry& e : to_stop)
    if (auto c = e.c.lock()) net::post(e.executor, [c] { c->stop(); });
}

void connection_registry::forget_drained() {
  std::lock_guard lock(mutex_);
  on_drained_ = nullptr;
}

// --- session

session::session(net::ip::tcp::socket socket, server_context& ctx, connection_limits::slot slot,
                 std::string peer)
    : stream_(std::move(socket)), ctx_(ctx), slot_(std::move(slot)), peer_(std::move(peer)) {}

session::~session() {
  if (registered_) ctx_.connections.remove(this);
}

void session::run() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    self->registered_ = self->ctx_.connections.add(self, self->stream_.get_executor());
    if (!self->registered_) return self->close();
    self->slot_.attach(self, self->stream_.get_executor());
    self->read();
  });
}

void session::stop() {
  // Waiting for a request, or draining after a refused one: nothing is in flight, close now.
  // Otherwise the exchange finishes and on_write sees the registry stopping.
  if (reading_ || lingering_) stream_.cancel();
}

void session::shed() {
  shed_ = true;
  if (idle_) stream_.cancel();
}

void session::read() {
  parser_.emplace();
  parser_->body_limit(max_body_bytes);
  header_bytes_ = 0;
  if (buffer_.size() > 0) {  // a pipelined request is already here
    first_byte_ = std::chrono::steady_clock::now();
    return parse_buffered();
  }
  wait_for_request();
}

void session::wait_for_request() {
  const auto& settings = ctx_.app.settings();
  stream_.expires_after(
      std::chrono::seconds(first_request_ ? settings.header_timeout : settings.idle_timeout));
  idle_ = reading_ = true;
  slot_.idle();
  stream_.async_read_some(buffer_.prepare(idle_read_bytes),
                          beast::bind_front_handler(&session::on_first_bytes, shared_from_this()));
}

void session::on_first_bytes(beast::error_code ec, std::size_t bytes) {
  idle_ = reading_ = false;
  slot_.busy();
  // Nothing of a request arrived: end of stream, idle timeout, shed or shutdown. No answer is
  // owed for a request that was never started.
  if (ec) return close();
  buffer_.commit(bytes);
  first_request_ = false;
  first_byte_ = std::chrono::steady_clock::now();
  parse_buffered();
}

// What has arrived is parsed at once: a request that came in one segment, as most do, goes to
// the router without another trip through the event loop. What is missing is read after.
void session::parse_buffered() {
  limit_header_to_what_is_left();
  beast::error_code ec;
  const std::size_t used = parser_->put(buffer_.data(), ec);
  buffer_.consume(used);
  if (ec == bhttp::error::need_more) ec = {};
  on_header_part(ec, used);
}

// Beast's header limit holds for what one parse call sees, so fields that arrive a few at a time
// would pass it; the bytes it consumed are counted here, and each call may see only what is left.
void session::limit_header_to_what_is_left() {
  parser_->header_limit(static_cast<std::uint32_t>(max_header_bytes - header_bytes_));
}

void session::read_header() {
  limit_header_to_what_is_left();
  stream_.expires_at(first_byte_ + std::chrono::seconds(ctx_.app.settings().header_timeout));
  reading_ = true;
  bhttp::async_read_some(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&session::on_header_part, shared_from_this()));
}

void session::on_header_part(beast::error_code ec, std::size_t bytes) {
  reading_ = false;
  header_bytes_ += bytes;
  if (!ec && header_bytes_ > max_header_bytes) ec = bhttp::error::header_limit;
  if (ec) return refuse_unread(ec, 431, "Request header too large");
  if (!parser_->is_header_done()) return read_header();
  if (auto why = framing_error(parser_->get()); !why.empty()) return reply_and_close(400, why);
  if (!parser_->is_done() && buffer_.size() > 0) {  // the body, or its start, came along
    parser_->eager(true);
    beast::error_code body_ec;
    buffer_.consume(parser_->put(buffer_.data(), body_ec));
    if (body_ec && body_ec != bhttp::error::need_more)
      return refuse_unread(body_ec, 413, "Chunk extensions or trailers too large");
  }
  if (parser_->is_done()) return answer(parser_->release());
  read_body();
}

void session::read_body() {
  stream_.expires_at(first_byte_ + request_timeout);
  reading_ = true;
  bhttp::async_read(stream_, buffer_, *parser_,
                    beast::bind_front_handler(&session::on_body, shared_from_this()));
}

void session::on_body(beast::error_code ec, std::size_t) {
  reading_ = false;
  if (ec) return refuse_unread(ec, 413, "Chunk extensions or trailers too large");
  answer(parser_->release());
}

// A request that could not be read to its end. `overflow_*` answer a full read buffer: in the
// header, its fields; in the body, a chunk line or trailers too long to hold.
void session::refuse_unread(beast::error_code ec, int overflow_status,
                            std::string_view overflow_detail) {
  if (ec == bhttp::error::header_limit) return reply_and_close(431, "Request header too large");
  if (ec == bhttp::error::body_limit) return reply_and_close(413, "Request body too large");
  if (ec == bhttp::error::buffer_overflow) return reply_and_close(overflow_status, overflow_detail);
  if (ec == beast::error::timeout) return timed_out();
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return close();
  if (is_parse_error(ec)) return reply_and_close(400, "Bad request");
  close();  // reset, or cancelled by shutdown
}

response session::route(bhttp::request<bhttp::string_body>& req) {
  try {
    const request r = to_request(req, peer_);
    record_.client = client_address(r, ctx_.app.settings().trust_forwarded_for);
    return ctx_.routes.handle(r);
  } catch (const std::exception& e) {
    // Last resort: handlers report through result<T>, so this is allocation failure or a bug.
    // The detail names the exception only; request data stays out of the log.
    ctx_.log.event("error", e.what());
    ctx_.app.stats().count_request(ctx_.app.stats().unmatched(), record_.method, 500);
    return detail_reply(500, "Internal server error");
  }
}

void session::answer(bhttp::request<bhttp::string_body>&& req) {
  record_ = {.method = std::string(to_std(req.method_string())),
             .target = std::string(to_std(req.target())),
             .client = peer_,
             .received = std::chrono::system_clock::now(),
             .started = std::chrono::steady_clock::now()};
  response res = route(req);
  record_.subject = res.subject;
  record_.outcome = res.outcome();
  if (res.status == 101) return upgrade(std::move(req), std::move(res));
  const bool keep_alive = req.keep_alive() && !shed_ && !ctx_.connections.stopping();
  write(std::move(res), req.version(), keep_alive ? then::read : then::close,
        req.method() == bhttp::verb::head);
}

void session::upgrade(bhttp::request<bhttp::string_body>&& req, response&& res) {
  if (!res.token) return close();  // the WebSocket route never answers 101 without its token
  finish_record(101, 0);
  auto ws = std::make_shared<websocket_session>(std::move(stream_), ctx_, std::move(slot_),
                                                std::move(*res.token));
  ws->run(std::move(req));
}

void session::write(response&& res, unsigned version, then next, bool head) {
  reply_ = {};
  reply_.version(version);
  reply_.result(static_cast<unsigned>(res.status));
  reply_.set(bhttp::field::date, http_date());
  for (field& f : res.headers) reply_.insert(f.name, f.value);
  reply_.body() = std::move(res.body);
  reply_.keep_alive(next == then::read);
  reply_.prepare_payload();
  body_bytes_ = reply_.body().size();
  if (head) reply_.body().clear();  // RFC 9110 §9.3.2: the GET headers, Content-Length included
  stream_.expires_after(write_timeout);
  bhttp::async_write(stream_, reply_,
                     beast::bind_front_handler(&session::on_write, shared_from_this(), next));
}

unsigned session::record_unread(int status) {
  unsigned version = 11;
  record_ = {.received = std::chrono::system_clock::now(),
             .started = std::chrono::steady_clock::now()};
  if (parser_) {  // the start line, when it was read before the limit hit
    const auto& header = parser_->get();
    record_.method = to_std(header.method_string());
    record_.target = to_std(header.target());
    version = header.version() == 10 ? 10 : 11;
  }
  record_.client = peer_;
  ctx_.app.stats().count_request(ctx_.app.stats().unmatched(), record_.method, status);
  return version;
}

void session::reply_and_close(int status, std::string_view detail) {
  const unsigned version = record_unread(status);
  // The request was not read to its end: linger after the answer (see `linger`).
  write(detail_reply(status, detail), version, then::linger, false);
}

// The stream closes its socket when a deadline passes, so a request that missed its deadline
// gets no answer; the log and the metrics say 408.
void session::timed_out() {
  record_unread(408);
  finish_record(408, 0);
  close();
}

void session::on_write(then next, beast::error_code ec, std::size_t) {
  finish_record(reply_.result_int(), body_bytes_);
  if (ec) return close();
  if (next == then::linger) return linger();
  if (next == then::close || ctx_.connections.stopping()) {
    beast::error_code ignored;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    return;  // the last handler is done: the session and its socket go away
  }
  read();
}

void session::finish_record(int status, std::size_t bytes) {
  const auto elapsed = std::chrono::steady_clock::now() - record_.started;
  ctx_.app.stats().observe_duration(elapsed);
  ctx_.log.write({.received = record_.received,
                  .method = record_.method,
                  .target = record_.target,
                  .status = status,
                  .elapsed = elapsed,
                  .client = record_.client,
                  .bytes = bytes,
                  .subject = record_.subject,
                  .outcome = record_.outcome});
}

// After answering a request that was not read to its end, closing at once would make the
// kernel answer the unread bytes with a reset, which can destroy the response before the client
// reads it. So: stop sending, read and discard for a moment, then close.
void session::linger() {
  beast::error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  stream_.expires_after(std::chrono::seconds(1));
  lingering_ = true;
  drain();
}

void session::drain() {
  stream_.async_read_some(net::buffer(drain_buffer_),
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                            self->drained_ += n;
                            if (ec || self->drained_ > 64 * 1024) return self->close();
                            self->drain();
                          });
}

void session::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  stream_.close();
}

}  // namespace jwtfort::server
