// The Redis store. Each revocation is one key that expires with it ({p}t:JTI, {p}s:SUB,
// {p}f:FAMILY, value "ISSUED_BEFORE KEEP_UNTIL"), used refresh tokens are {p}u:JTI ("USED_AT
// FAMILY"). Every write is a Lua script that also publishes the merged record on {p}revocations,
// so each process's index (which answers check() with no round trip) follows through pub/sub,
// and is re-read in full after every reconnect. Needs Redis 6 or later (SET ... KEEPTTL).
//
// This is the only file that includes hiredis.
#include "jwtfort/store/redis_store.hpp"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "store/indexed_store.hpp"
#include "store/periodic_task.hpp"

namespace jwtfort {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;
using store_detail::revocation;
using store_detail::revocation_kind;

struct context_free {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct reply_free {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using context_ptr = std::unique_ptr<redisContext, context_free>;
using reply_ptr = std::unique_ptr<redisReply, reply_free>;
using arguments = std::vector<std::string_view>;

// Merges a record into its key the way the index merges (the later issued_before and keep_until
// win), sets its expiry and publishes the merged record, in one step. Numbers stay the decimal
// strings they came as: Lua numbers are doubles, exact only up to 2^53 (keep_forever is not).
constexpr std::string_view revoke_lua = R"lua(
local function revoke(key, channel, kind, name, ib, ku, expire_at)
  local old = redis.call('GET', key)
  if old then
    local oib, oku = string.match(old, '^(%-?%d+) (%-?%d+)$')
    if oib and tonumber(oib) > tonumber(ib) then ib = oib end
    if oku and tonumber(oku) >= tonumber(ku) then ku, expire_at = oku, nil end
  end
  redis.call('SET', key, ib .. ' ' .. ku, 'KEEPTTL')
  if expire_at == '' then redis.call('PERSIST', key)
  elseif expire_at then redis.call('EXPIREAT', key, expire_at) end
  redis.call('PUBLISH', channel, kind .. ' ' .. ib .. ' ' .. ku .. ' ' .. name)
end
)lua";

// KEYS: record. ARGV: channel, kind, name, issued_before, keep_until, expire_at.
constexpr std::string_view write_lua = R"lua(
revoke(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
return 1
)lua";

// KEYS: used, family, token. ARGV: channel, family, now, grace, used value, its expire_at,
// family keep_until, its expire_at. The same rules as memory_store, atomic across processes.
constexpr std::string_view use_lua = R"lua(
if redis.call('EXISTS', KEYS[2], KEYS[3]) > 0 then return 'revoked' end
if redis.call('SET', KEYS[1], ARGV[5], 'NX') then
  if ARGV[6] ~= '' then redis.call('EXPIREAT', KEYS[1], ARGV[6]) end
  return 'first_use'
end
local used_at = tonumber(string.match(redis.call('GET', KEYS[1]) or '', '^%-?%d+'))
local grace = tonumber(ARGV[4])
if grace > 0 and used_at and tonumber(ARGV[3]) - used_at <= grace then return 'within_grace' end
revoke(KEYS[2], ARGV[1], 'f', ARGV[2], '0', ARGV[7], ARGV[8])
return 'reused'
)lua";

struct lua_script {
  std::string body;
  std::string sha;  // set once by SCRIPT LOAD when the store opens
};

error unavailable(std::string_view what, std::string_view detail) {
  return {errc::store_unavailable, "Redis " + std::string(what) + ": " + std::string(detail)};
}

std::string_view text(const redisReply& r) { return r.str ? std::string_view(r.str, r.len) : ""; }

// EXPIREAT one second after keep_until: the index keeps a record while keep_until >= now, so
// Redis must still hold it during that last second. Times past year 5000 never expire.
std::string expire_at(std::int64_t keep_until) {
  constexpr std::int64_t far_future = 100'000'000'000;
  return keep_until >= far_future ? "" : std::to_string(keep_until + 1);
}

// SCAN MATCH takes a glob; the prefix is literal.
std::string glob_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '*' || ch == '?' || ch == '[' || ch == ']' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

bool take_int(std::string_view& s, std::int64_t& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc()) return false;
  s.remove_prefix(static_cast<std::size_t>(end - s.data()));
  return true;
}

// Reads "ISSUED_BEFORE KEEP_UNTIL" from the front of `s`.
bool take_times(std::string_view& s, revocation& r) {
  if (!take_int(s, r.issued_before) || !s.starts_with(' ')) return false;
  s.remove_prefix(1);
  return take_int(s, r.keep_until);
}

bool is_revocation_kind(char c) { return c == 't' || c == 's' || c == 'f'; }

// "KIND ISSUED_BEFORE KEEP_UNTIL NAME": the name goes last so it may hold spaces or any byte.
std::optional<revocation> parse_message(std::string_view m) {
  revocation r;
  if (m.size() < 2 || !is_revocation_kind(m[0]) || m[1] != ' ') return std::nullopt;
  r.kind = static_cast<revocation_kind>(m[0]);
  m.remove_prefix(2);
  if (!take_times(m, r) || m.size() < 2 || m[0] != ' ') return std::nullopt;
  r.name = m.substr(1);
  return r;
}

reply_ptr call(redisContext& c, const arguments& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (std::string_view a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  return reply_ptr(static_cast<redisReply*>(
      redisCommandArgv(&c, static_cast<int>(argv.size()), argv.data(), lengths.data())));
}

// One command on a connection being set up, where any failure fails the setup.
result<void> setup_command(redisContext& c, const arguments& args) {
  reply_ptr r = call(c, args);
  if (!r) return unavailable(args[0], c.errstr);
  if (r->type == REDIS_REPLY_ERROR) return unavailable(args[0], text(*r));
  return {};
}

// Opens one connection: TCP with `timeout` on connecting and on every read and write, then
// AUTH and SELECT.
result<context_ptr> open_connection(const redis_endpoint& e, milliseconds timeout) {
  const timeval tv{static_cast<time_t>(timeout.count() / 1000),
                   static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  context_ptr c(redisConnectWithTimeout(e.host.c_str(), e.port, tv));
  const std::string where = "at " + e.host + ":" + std::to_string(e.port);
  if (!c) return unavailable(where, "cannot allocate a connection");
  if (c->err) return unavailable(where, c->errstr);
  ::fcntl(c->fd, F_SETFD, FD_CLOEXEC);  // a child process must not inherit the connection
  if (redisSetTimeout(c.get(), tv) != REDIS_OK) return unavailable(where, c->errstr);
  if (!e.password.empty()) {
    auto ok = e.username.empty() ? setup_command(*c, {"AUTH", e.password})
                                 : setup_command(*c, {"AUTH", e.username, e.password});
    if (!ok) return ok.error();
  }
  if (e.database != 0) {
    if (auto ok = setup_command(*c, {"SELECT", std::to_string(e.database)}); !ok) return ok.error();
  }
  return c;
}

class redis_store final : public store_detail::indexed_store {
 public:
  redis_store(redis_endpoint endpoint, store_options options)
      : indexed_store(std::move(options)),
        endpoint_(std::move(endpoint)),
        prefix_(options_.redis_prefix),
        channel_(prefix_ + "revocations"),
        write_{std::string(revoke_lua) + std::string(write_lua), {}},
        use_{std::string(revoke_lua) + std::string(use_lua), {}},
        purge_(options_.purge_interval, [this] { (void)purge_expired(options_.clock()); }) {
    set_current(false);  // until the first re-read
  }

  // Connects both connections and reads every record; then follows the channel on a thread.
  result<void> start() {
    for (lua_script* s : {&write_, &use_}) {
      auto sha = run({"SCRIPT", "LOAD", s->body});
      if (!sha) return sha.error();
      s->sha = text(**sha);
    }
    auto subscriber = subscribe({});
    if (!subscriber) return subscriber.error();
    set_current(true);
    subscriber_ = std::jthread([this, c = std::move(*subscriber)](std::stop_token stop) mutable {
      follow(stop, std::move(c));
    });
    return {};
  }

  result<refresh_verdict> use_refresh_token(const refresh_use& use) override {
    if (use.jwt_id.empty() || use.family.empty())
      return error(errc::invalid_claim, "a refresh token needs a jti and a family");
    if (index_.is_revoked({.jwt_id = use.jwt_id, .family = use.family})) return errc::revoked;
    const std::string used = key('u', use.jwt_id), family = key('f', use.family);
    const std::string used_value = std::to_string(use.now) + ' ' + std::string(use.family);
    auto r = eval(use_, {"3", used, family, key('t', use.jwt_id), channel_, use.family,
                         std::to_string(use.now), std::to_string(use.grace_seconds), used_value,
                         expire_at(use.expires_at), std::to_string(use.family_keep_until),
                         expire_at(use.family_keep_until)});
    if (!r) return r.error();
    const std::string_view verdict = text(**r);
    if (verdict == "first_use") return refresh_verdict::first_use;
    if (verdict == "within_grace") return refresh_verdict::within_grace;
    if (verdict == "revoked") return errc::revoked;
    if (verdict != "reused") return unavailable("refresh script", "unexpected reply");
    // The script revoked the family in Redis; make it visible here without waiting for pub/sub.
    index_.apply({revocation_kind::family, std::string(use.family), 0, use.family_keep_until});
    return error(errc::token_reused, "refresh token reused: its family is revoked");
  }

  // Redis expires its keys by their TTL; only the local replica needs purging.
  result<std::size_t> purge_expired(std::int64_t now) override { return index_.purge(now); }

  result<store_stats> stats() const override {
    store_stats s;
    std::unordered_set<std::string> seen;  // SCAN may return a key twice
    auto ok = scan_keys([&](const std::vector<std::string>& keys) -> result<void> {
      for (const std::string& k : keys) {
        const char kind = kind_of(k);
        if (kind == 0 || !seen.insert(k).second) continue;
        switch (kind) {
          case 't': ++s.revoked_tokens; break;
          case 's': ++s.revoked_subjects; break;
          case 'f': ++s.revoked_families; break;
          default: ++s.used_refresh_tokens; break;
        }
      }
      return {};
    });
    if (!ok) return ok.error();
    return s;
  }

 protected:
  result<void> persist(const revocation& r) override {
    const auto r_kind = static_cast<char>(r.kind);
    auto done = eval(write_, {"1", key(r_kind, r.name), channel_, std::string_view(&r_kind, 1),
                              r.name, std::to_string(r.issued_before), std::to_string(r.keep_until),
                              expire_at(r.keep_until)});
    if (!done) return done.error();
    return {};
  }

 private:
  std::string key(char kind, std::string_view name) const {
    return prefix_ + kind + ':' + std::string(name);
  }

  // The kind letter of one of our keys ("jwtfort:t:..." -> 't'), or 0 for any other key.
  char kind_of(std::string_view k) const {
    if (k.size() < prefix_.size() + 2 || k[prefix_.size() + 1] != ':') return 0;
    const char kind = k[prefix_.size()];
    return is_revocation_kind(kind) || kind == 'u' ? kind : 0;
  }

  // Sends one command on the shared connection. An I/O failure or timeout leaves a hiredis
  // context unusable, so it is dropped and the next call connects afresh.
  result<reply_ptr> send(const arguments& args) const {
    std::lock_guard lock(command_mutex_);
    if (!command_) {
      auto c = open_connection(endpoint_, options_.redis_timeout);
      if (!c) return c.error();
      command_ = std::move(*c);
    }
    reply_ptr r = call(*command_, args);
    if (!r) {
      error e = unavailable(args[0], command_->errstr);
      command_.reset();
      return e;
    }
    return r;
  }

  // `send`, with an error reply (LOADING after a restart, OOM, NOPERM...) as the failure.
  result<reply_ptr> run(const arguments& args) const {
    auto r = send(args);
    if (r && (*r)->type == REDIS_REPLY_ERROR) return unavailable(args[0], text(**r));
    return r;
  }

  // EVALSHA; a server that lost its script cache (restart, SCRIPT FLUSH) gets the body again.
  result<reply_ptr> eval(const lua_script& s, arguments args) const {
    args.insert(args.begin(), {"EVALSHA", s.sha});
    auto r = send(args);
    if (r && (*r)->type == REDIS_REPLY_ERROR && text(**r).starts_with("NOSCRIPT")) {
      args[0] = "EVAL";
      args[1] = s.body;
      r = send(args);
    }
    if (r && (*r)->type == REDIS_REPLY_ERROR) return unavailable("script", text(**r));
    return r;
  }

  // Calls `page` with each page of keys under the prefix. SCAN may repeat a key.
  template <class Page>
  result<void> scan_keys(Page&& page) const {
    const std::string pattern = glob_escape(prefix_) + "*";
    std::string cursor = "0";
    do {
      auto r = run({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
      if (!r) return r.error();
      const redisReply& reply = **r;
      if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 2 ||
          reply.element[1]->type != REDIS_REPLY_ARRAY)
        return unavailable("SCAN", "unexpected reply");
      cursor = text(*reply.element[0]);
      std::vector<std::string> keys;
      for (std::size_t i = 0; i < reply.element[1]->elements; ++i)
        keys.emplace_back(text(*reply.element[1]->element[i]));
      if (auto ok = page(keys); !ok) return ok;
    } while (cursor != "0");
    return {};
  }

  // Every revocation record in Redis, by key.
  result<std::unordered_map<std::string, revocation>> read_all(std::stop_token stop) const {
    std::unordered_map<std::string, revocation> records;
    auto ok = scan_keys([&](const std::vector<std::string>& keys) -> result<void> {
      if (stop.stop_requested()) return unavailable("re-read", "the store is closing");
      arguments mget{"MGET"};
      for (const std::string& k : keys)
        if (is_revocation_kind(kind_of(k))) mget.push_back(k);
      if (mget.size() == 1) return {};
      auto values = run(mget);
      if (!values) return values.error();
      for (std::size_t i = 1; i < mget.size() && i <= (*values)->elements; ++i) {
        const redisReply& value = *(*values)->element[i - 1];
        revocation r{static_cast<revocation_kind>(kind_of(mget[i])),
                     std::string(mget[i].substr(prefix_.size() + 2)), 0, 0};
        std::string_view v = text(value);  // nil when the key expired meanwhile
        if (value.type == REDIS_REPLY_STRING && take_times(v, r) && v.empty() && validate(r))
          records.emplace(mget[i], std::move(r));
      }
      return {};
    });
    if (!ok) return ok.error();
    return records;
  }

  // Brings the index up to date with Redis, then writes back what only this process still
  // knows, so a Redis that restarted without its data does not forget a revocation. Merging
  // rather than replacing the index keeps a revocation made here during the re-read visible.
  result<void> resync(std::stop_token stop) {
    auto remote = read_all(stop);
    if (!remote) return remote.error();
    for (const auto& [k, r] : *remote) index_.apply(r);
    const std::int64_t now = options_.clock();
    for (const revocation& mine : index_.snapshot()) {
      if (stop.stop_requested()) return unavailable("re-read", "the store is closing");
      auto it = remote->find(key(static_cast<char>(mine.kind), mine.name));
      const bool known = it != remote->end() && it->second.issued_before >= mine.issued_before &&
                         it->second.keep_until >= mine.keep_until;
      if (known || mine.keep_until < now) continue;
      if (auto ok = persist(mine); !ok) return ok;
    }
    return {};
  }

  // A subscribed connection with the index current. SUBSCRIBE comes first, so a record published
  // during the re-read waits in the socket and is applied right after it.
  result<context_ptr> subscribe(std::stop_token stop) {
    auto c = open_connection(endpoint_, options_.redis_timeout);
    if (!c) return c.error();
    if (auto ok = setup_command(**c, {"SUBSCRIBE", channel_}); !ok) return ok.error();
    if (auto ok = resync(stop); !ok) return ok.error();
    return c;
  }

  // The subscriber thread: listen while connected; when the connection dies, fail closed at once
  // and reconnect with a short backoff until a re-read makes the index current again.
  void follow(std::stop_token stop, context_ptr c) {
    constexpr milliseconds first_backoff = 50ms, max_backoff = 1s;
    milliseconds backoff = first_backoff;
    std::mutex m;
    std::condition_variable_any wake;
    while (!stop.stop_requested()) {
      if (!c) {
        auto fresh = subscribe(stop);
        if (!fresh) {
          std::unique_lock lock(m);
          wake.wait_for(lock, stop, backoff, [] { return false; });
          backoff = std::min(backoff * 2, max_backoff);
          continue;
        }
        c = std::move(*fresh);
        backoff = first_backoff;
        set_current(true);
      }
      listen(*c, stop);
      set_current(false);
      c.reset();
    }
  }

  // Applies published records until the connection fails or goes silent. A PING every
  // redis_timeout makes a live server answer, so 2 x redis_timeout without any reply means the
  // connection is dead even if the socket never says so (a cut link, a frozen server).
  void listen(redisContext& c, const std::stop_token& stop) {
    const milliseconds period = options_.redis_timeout;
    auto last_reply = steady::now();
    auto next_ping = last_reply + period;
    while (!stop.stop_requested()) {
      for (;;) {
        void* raw = nullptr;
        if (redisGetReplyFromReader(&c, &raw) != REDIS_OK) return;
        if (!raw) break;
        last_reply = steady::now();
        on_message(*reply_ptr(static_cast<redisReply*>(raw)));
      }
      const auto now = steady::now();
      if (now - last_reply > 2 * period) return;
      if (now >= next_ping) {
        if (!send_ping(c)) return;
        next_ping = now + period;
      }
      // Short slices keep the destructor's join quick.
      const auto wait = std::clamp(std::chrono::ceil<milliseconds>(next_ping - now), 1ms, 50ms);
      pollfd p{c.fd, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(wait.count()));
      if (ready < 0 && errno != EINTR) return;
      if (ready > 0 && redisBufferRead(&c) != REDIS_OK) return;
    }
  }

  static bool send_ping(redisContext& c) {
    if (redisAppendCommand(&c, "PING") != REDIS_OK) return false;
    int done = 0;
    while (!done)
      if (redisBufferWrite(&c, &done) != REDIS_OK) return false;
    return true;
  }

  // ["message", channel, payload]; subscribe confirmations and PING replies carry nothing.
  void on_message(const redisReply& r) {
    if (r.type != REDIS_REPLY_ARRAY || r.elements != 3 || text(*r.element[0]) != "message") return;
    if (auto record = parse_message(text(*r.element[2])); record && validate(*record))
      index_.apply(*record);
  }

  const redis_endpoint endpoint_;
  const std::string prefix_;
  const std::string channel_;
  lua_script write_, use_;
  mutable std::mutex command_mutex_;  // guards command_
  mutable context_ptr command_;
  // Last: stopped before the members they use go away.
  store_detail::periodic_task purge_;
  std::jthread subscriber_;
};

}  // namespace

result<std::unique_ptr<token_store>> open_redis_store(redis_endpoint endpoint,
                                                      store_options options) {
  if (endpoint.database < 0)
    return error(errc::invalid_configuration, "the Redis database must be a number >= 0");
  if (endpoint.port < 1 || endpoint.port > 65535)
    return error(errc::invalid_configuration, "the Redis port must be 1..65535");
  if (options.redis_timeout <= milliseconds(0))
    return error(errc::invalid_configuration, "redis_timeout must be positive");
  auto store = std::make_unique<redis_store>(std::move(endpoint), std::move(options));
  if (auto ok = store->start(); !ok) return ok.error();
  return std::unique_ptr<token_store>(std::move(store));
}

}  // namespace jwtfort
