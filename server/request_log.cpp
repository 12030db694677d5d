#include "request_log.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <ctime>

#include "json.hpp"

namespace jwtfort::server {
namespace {

// One write(2) per line: POSIX makes each write to a file opened for appending, or of up to
// PIPE_BUF bytes to a pipe, a single piece, so concurrent lines do not mix.
void write_stderr(std::string_view line) {
  while (!line.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to report a failing log
    line.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string_view without_query(std::string_view target) {
  return target.substr(0, target.find('?'));
}

// Milliseconds with three decimals, e.g. "0.213".
void append_milliseconds(std::string& out, std::chrono::nanoseconds elapsed) {
  char digits[32];
  const double ms = static_cast<double>(elapsed.count()) / 1e6;
  out.append(digits,
             std::to_chars(digits, digits + sizeof digits, ms, std::chars_format::fixed, 3).ptr);
}

}  // namespace

std::string format_timestamp(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[96];  // room for any int the format could print
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms % 1000));
  return text;
}

request_log::request_log(bool enabled) : request_log(enabled, write_stderr) {}

request_log::request_log(bool enabled, sink out) : enabled_(enabled), out_(std::move(out)) {}

std::string request_log::format(const log_entry& e) {
  std::string line = "{\"ts\":";
  json::append_string(line, format_timestamp(e.received));
  line += ",\"method\":";
  json::append_string(line, e.method);
  line += ",\"path\":";
  json::append_string(line, without_query(e.target));
  line += ",\"status\":" + std::to_string(e.status) + ",\"ms\":";
  append_milliseconds(line, e.elapsed);
  line += ",\"client\":";
  json::append_string(line, e.client);
  line += ",\"bytes\":" + std::to_string(e.bytes);
  if (!e.subject.empty()) {
    line += ",\"subject\":";
    json::append_string(line, e.subject);
  }
  if (!e.outcome.empty()) {
    line += ",\"outcome\":";
    json::append_string(line, e.outcome);
  }
  line += '}';
  return line;
}

void request_log::write(const log_entry& entry) const {
  if (!enabled_) return;
  std::string line = format(entry);
  line += '\n';
  out_(line);
}

void request_log::event(std::string_view name, std::string_view detail) const {
  if (!enabled_) return;
  json::object line;
  line.text("event", name);
  if (!detail.empty()) line.text("detail", detail);
  out_(line.str() + "\n");
}

void request_log::issuer(const issuer_event& e) const {
  if (!enabled_) return;
  using kind = issuer_event::kind;
  const bool failed = e.what == kind::discovery_failed || e.what == kind::jwks_failed;
  std::string_view name = "oidc_jwks_ok";
  if (e.what == kind::discovery_ok) name = "oidc_discovery_ok";
  if (e.what == kind::discovery_failed) name = "oidc_discovery_failed";
  if (e.what == kind::jwks_failed) name = "oidc_jwks_failed";
  json::object line;
  line.text("event", name).text("issuer", e.issuer);
  if (failed) line.text("error", to_string(e.error));
  if (!e.detail.empty()) line.text("detail", e.detail);
  out_(line.str() + "\n");
}

}  // namespace jwtfort::server
