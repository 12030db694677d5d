// The server's rows of the settings table, after the library's. The defaults are the field
// initializers in server_settings.hpp.
#include "server_settings.hpp"

namespace jwtfort::server {
namespace {

void add_listener_settings(server_settings& s, settings_table& t) {
  t.add(setting::text("JWTFORT_LISTEN", s.listen));
  t.add(setting::integer("JWTFORT_THREADS", s.threads, 0, 256));
  t.add(setting::integer("JWTFORT_LOGIN_ATTEMPTS_PER_USER", s.login_attempts_per_user, 1, 100000));
  t.add(setting::integer("JWTFORT_LOGIN_ATTEMPTS_PER_ADDRESS", s.login_attempts_per_address, 1,
                         100000));
  t.add(setting::integer("JWTFORT_LOGIN_WINDOW", s.login_window, 1, 86400));
  t.add(setting::boolean("JWTFORT_TRUST_FORWARDED_FOR", s.trust_forwarded_for));
  t.add(setting::one_of("JWTFORT_LOG", s.log, {"json", "off"}));
}

void add_connection_settings(server_settings& s, settings_table& t) {
  t.add(setting::integer("JWTFORT_MAX_CONNECTIONS", s.max_connections, 0, 1000000));
  t.add(setting::integer("JWTFORT_MAX_CONNECTIONS_PER_ADDRESS", s.max_connections_per_address, 0,
                         1000000));
  t.add(setting::integer("JWTFORT_HEADER_TIMEOUT", s.header_timeout, 1, 300));
  t.add(setting::integer("JWTFORT_IDLE_TIMEOUT", s.idle_timeout, 1, 3600));
  t.add(setting::integer("JWTFORT_VERIFIED_CACHE_ENTRIES", s.verified_cache_entries, 0, 16777216));
  t.add(setting::integer("JWTFORT_VERIFIED_CACHE_BYTES", s.verified_cache_bytes, 0, 68719476736));
}

}  // namespace

result<server_settings> server_settings::from_environment() {
  return read_settings<server_settings>([](settings_table& t) { return t.read_environment(); });
}

result<server_settings> server_settings::from_lookup(const settings_lookup& lookup) {
  return read_settings<server_settings>(
      [&lookup](settings_table& t) { return t.read_lookup(lookup); });
}

result<server_settings> server_settings::from_file(const std::string& path) {
  return read_settings<server_settings>([&path](settings_table& t) { return t.read_file(path); });
}

void server_settings::add_settings(settings_table& table) {
  config::add_settings(table);
  add_listener_settings(*this, table);
  add_connection_settings(*this, table);
}

}  // namespace jwtfort::server
