// `open_store(url)`: the one place a store URL is read, so the CLI, the server, the config
// loader and the Python package all accept the same spellings.
#include <charconv>

#include "jwtfort/store/open_store.hpp"
#include "jwtfort/store/redis_store.hpp"
#include "jwtfort/store/sqlite_store.hpp"
#include "jwtfort/store/token_store.hpp"

namespace jwtfort {
namespace {

error bad_url(std::string_view why) {
  return {errc::invalid_configuration, "store URL: " + std::string(why)};
}

bool parse_int(std::string_view text, int& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// Decodes %XX escapes, so a password may hold ':' '@' or '/'.
result<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    int value = 0;
    if (i + 2 >= text.size()) return bad_url("bad % escape");
    auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (ec != std::errc() || end != text.data() + i + 3) return bad_url("bad % escape");
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

// redis://[[user]:password@]host[:port][/db]
result<redis_endpoint> parse_redis(std::string_view rest) {
  redis_endpoint e;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    auto colon = userinfo.find(':');
    auto user = percent_decode(userinfo.substr(0, colon));
    if (!user) return user.error();
    e.username = *user;
    if (colon != std::string_view::npos) {
      auto password = percent_decode(userinfo.substr(colon + 1));
      if (!password) return password.error();
      e.password = *password;
    }
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty() && (!parse_int(db, e.database) || e.database < 0))
      return bad_url("the Redis database must be a number >= 0");
  }
  std::string_view host = rest;
  if (!rest.empty() && rest.front() == '[') {  // [::1]:6379
    auto close = rest.find(']');
    if (close == std::string_view::npos) return bad_url("unclosed [ in the Redis host");
    host = rest.substr(1, close - 1);
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() != ':') return bad_url("junk after the Redis host");
  } else {
    auto colon = rest.find(':');
    host = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon);
  }
  if (!rest.empty()) {
    if (!parse_int(rest.substr(1), e.port) || e.port < 1 || e.port > 65535)
      return bad_url("the Redis port must be 1..65535");
  }
  if (!host.empty()) e.host = std::string(host);
  return e;
}

}  // namespace

result<std::unique_ptr<token_store>> open_store(std::string_view url, store_options options) {
  auto take = [&url](std::string_view scheme) {
    if (!url.starts_with(scheme)) return false;
    url.remove_prefix(scheme.size());
    return true;
  };
  if (take("memory://")) {
    if (!url.empty()) return bad_url("memory:// takes nothing after the scheme");
    return make_memory_store(std::move(options));
  }
  if (take("sqlite://")) {
    if (url.empty()) return bad_url("sqlite:// needs a file path, e.g. sqlite:///var/lib/t.db");
    return open_sqlite_store(std::string(url), std::move(options));
  }
  if (take("redis://")) {
    auto endpoint = parse_redis(url);
    if (!endpoint) return endpoint.error();
    return open_redis_store(std::move(*endpoint), std::move(options));
  }
  return bad_url("unknown scheme; use memory://, sqlite://PATH or redis://HOST:PORT/DB");
}

}  // namespace jwtfort
