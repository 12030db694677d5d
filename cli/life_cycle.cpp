// The token life cycle from the command line, on the configured keys and store: the same
// `config` (environment or --config FILE) a server would run with.
#include <filesystem>

#include "command.hpp"
#include "json_writer.hpp"
#include "jwtfort/service/config.hpp"
#include "jwtfort/service/token_service.hpp"
#include "jwtfort/store/open_store.hpp"
#include "key_files.hpp"
#include "server_settings.hpp"

namespace jwtfort::cli {
namespace {

// Read as the server reads them, so that its own settings (JWTFORT_LISTEN...) are known names
// here too; the command uses the library's part.
outcome<config> load_config(const parsed_args& a) {
  using server::server_settings;
  auto c = a.has("config") ? server_settings::from_file(*a.value("config"))
                           : server_settings::from_environment();
  if (!c) return failure::configuration(c.error());
  return config(std::move(*c));
}

outcome<std::shared_ptr<token_store>> open_configured_store(const config& c) {
  store_options o;
  std::error_code ec;
  o.fail_open = c.store_fail_open;
  o.purge_interval = std::chrono::milliseconds(0);  // a command lives too short to need it
  // The default store lives in the data directory, which the first command creates.
  if (c.store_url.empty()) std::filesystem::create_directories(c.data_dir, ec);
  auto store = open_store(c.store_url_or_default(), o);
  if (!store) return failure::of(store.error());
  return std::shared_ptr<token_store>(std::move(*store));
}

// The service the configuration describes, on its store.
outcome<token_service> configured_service(const parsed_args& a) {
  auto c = load_config(a);
  if (!c) return c.error();
  if (auto valid = c->validate(); !valid) return failure::configuration(valid.error());
  auto ring = c->make_key_ring();
  if (!ring) return failure::configuration(ring.error());
  auto options = c->make_service_options();
  auto store = open_configured_store(*c);
  if (!store) return store.error();
  options.store = std::move(*store);
  auto service = token_service::create(std::move(*ring), std::move(options));
  if (!service) return failure::configuration(service.error());
  return std::move(*service);
}

outcome<long long> seconds_option(const parsed_args& a, std::string_view name) {
  auto v = integer_option(a, name, 0);
  if (!v || *v <= 0) return failure::usage("--" + std::string(name) + " needs seconds > 0");
  return *v;
}

outcome<std::string> one_token(const parsed_args& a) {
  if (a.positionals.size() != 1) return failure::usage("give exactly one TOKEN");
  return token_argument(a.positionals.front());
}

std::string pair_json(const std::string& access, const std::string& refresh) {
  return json_object()
             .text("access_token", access)
             .text("refresh_token", refresh)
             .text("token_type", "bearer")
             .str() +
         "\n";
}

// --- token create --------------------------------------------------------------------------------

constexpr option_spec create_options[] = {{"config"},          {"sub"},     {"type"},
                                          {"fresh", false},    {"expires"}, {"no-expiry", false},
                                          {"aud", true, true}, {"claims"}};

outcome<token_request> request_from(const parsed_args& a) {
  token_request r;
  auto sub = a.value("sub");
  if (!sub || sub->empty()) return failure::usage("token create needs --sub SUBJECT");
  r.subject = *sub;
  r.fresh = a.has("fresh");
  r.never_expires = a.has("no-expiry");
  if (a.has("expires")) {
    if (r.never_expires) return failure::usage("--expires and --no-expiry exclude each other");
    auto seconds = seconds_option(a, "expires");
    if (!seconds) return seconds.error();
    r.lifetime = *seconds;
  }
  r.audience = a.values("aud");
  r.extra_claims_json = a.value("claims").value_or("");
  return r;
}

outcome<std::string> token_create(const parsed_args& a) {
  if (!a.positionals.empty()) return failure::usage("token create takes options only");
  std::string type = a.value("type").value_or("pair");
  if (type != "pair" && type != "access" && type != "refresh")
    return failure::usage("--type is access, refresh or pair");
  auto request = request_from(a);
  if (!request) return request.error();
  auto service = configured_service(a);
  if (!service) return service.error();
  auto make = [&](token_type t) {
    return t == token_type::access ? service->create_access_token(*request)
                                   : service->create_refresh_token(*request);
  };
  if (type != "pair") {
    auto token = make(type == "access" ? token_type::access : token_type::refresh);
    if (!token) return failure::configuration(token.error());
    return *token + "\n";
  }
  // One family for both, so that revoking it (reuse, `token revoke` of the refresh token) also
  // ends the access token.
  auto pair = service->create_token_pair(*request);
  if (!pair) return failure::configuration(pair.error());
  return pair_json(pair->access_token, pair->refresh_token);
}

// --- token refresh / verify / revoke -------------------------------------------------------------

constexpr option_spec config_only[] = {{"config"}};

outcome<std::string> token_refresh(const parsed_args& a) {
  auto token = one_token(a);
  if (!token) return token.error();
  auto service = configured_service(a);
  if (!service) return service.error();
  auto pair = service->refresh(*token);
  if (!pair) return failure::of(pair.error());
  return pair_json(pair->access_token, pair->refresh_token);
}

// Accepts either type: what the token says it is decides which check applies.
result<verified_token> check_any(const token_service& service, const std::string& token) {
  auto t = service.require_access(token);
  if (t || t.code() != errc::wrong_token_type) return t;
  return service.require_refresh(token);
}

constexpr option_spec verify_options[] = {{"config"}, {"type"}, {"fresh", false}};

outcome<std::string> token_verify(const parsed_args& a) {
  auto token = one_token(a);
  if (!token) return token.error();
  std::string type = a.value("type").value_or("any");
  if (type != "any" && type != "access" && type != "refresh")
    return failure::usage("--type is access, refresh or any");
  auto service = configured_service(a);
  if (!service) return service.error();
  auto t = a.has("fresh")      ? service->require_fresh(*token)
           : type == "access"  ? service->require_access(*token)
           : type == "refresh" ? service->require_refresh(*token)
                               : check_any(*service, *token);
  if (!t) return failure::of(t.error());
  // Members in name order at every level, as this command has always printed them.
  return json_object()
             .raw("claims", sorted_json(t->claims_json()))
             .raw("header", sorted_json(t->header_json()))
             .str() +
         "\n";
}

constexpr option_spec revoke_options[] = {{"config"}, {"subject"}};

outcome<std::string> token_revoke(const parsed_args& a) {
  auto subject = a.value("subject");
  if (subject.has_value() == !a.positionals.empty())
    return failure::usage("token revoke needs one TOKEN or --subject SUBJECT");
  auto service = configured_service(a);
  if (!service) return service.error();
  if (subject) {
    if (auto done = service->revoke_subject(*subject); !done) return failure::of(done.error());
    return json_object().text("revoked", "subject").text("sub", *subject).str() + "\n";
  }
  auto token = one_token(a);
  if (!token) return token.error();
  auto t = check_any(*service, *token);
  if (!t) return failure::of(t.error());
  if (auto done = service->revoke(*t); !done) return failure::of(done.error());
  return json_object()
             .text("jti", t->jwt_id())
             .text("revoked", "token")
             .text("type", t->string_claim("type").value_or(""))
             .str() +
         "\n";
}

// --- keys rotate ---------------------------------------------------------------------------------

constexpr option_spec rotate_options[] = {{"config"}, {"keep"}, {"alg"}};

// The ring in the file, or a new one-key ring when the file does not exist yet and --alg says
// which algorithm it should have.
outcome<key_ring> current_ring(const std::string& path, const parsed_args& a, bool& created) {
  auto text = read_input(path, "key ring");
  if (!text) {
    auto name = a.value("alg");
    if (!name) return text.error();
    auto alg = parse_algorithm(*name);
    if (!alg) return alg.error();
    auto k = key::generate(*alg);
    if (!k) return failure::configuration(k.error());
    created = true;
    auto ring = key_ring::from_key(std::move(*k));
    if (!ring) return failure::configuration(ring.error());
    return std::move(*ring);
  }
  auto ring = key_ring::from_jwks(*text);
  wipe(*text);
  if (!ring) return failure::configuration(ring.error());
  if (a.has("alg") && to_string(ring->active().alg()) != *a.value("alg"))
    return failure::usage("--alg differs from the algorithm of the existing ring");
  return std::move(*ring);
}

outcome<std::string> keys_rotate(const parsed_args& a) {
  if (!a.positionals.empty()) return failure::usage("keys rotate takes options only");
  auto c = load_config(a);
  if (!c) return c.error();
  if (c->key_ring_file.empty())
    return failure::configuration(
        error(errc::invalid_configuration, "JWTFORT_KEY_RING_FILE: must be set to rotate keys"));
  auto keep = integer_option(a, "keep", 3);
  if (!keep || *keep < 2 || *keep > 100) return failure::usage("--keep needs 2..100");
  bool created = false;
  auto ring = current_ring(c->key_ring_file, a, created);
  if (!ring) return ring.error();
  if (!created) {
    auto next = ring->rotated(static_cast<std::size_t>(*keep));
    if (!next) return failure::configuration(next.error());
    *ring = std::move(*next);
  }
  auto text = ring->to_private_jwks();
  if (!text) return failure::configuration(text.error());
  auto written = write_private_file(c->key_ring_file, *text + "\n");
  wipe(*text);
  if (!written) return written.error();
  std::vector<std::string> ids;
  for (const key& k : ring->keys().keys()) ids.push_back(k.id());
  return json_object().text("active", ring->active().id()).texts("keys", ids).str() + "\n";
}

// --- store purge / stats -------------------------------------------------------------------------

// The configured store, for a `store` command (which takes options only).
outcome<std::shared_ptr<token_store>> store_for(const parsed_args& a, std::string_view command) {
  if (!a.positionals.empty()) return failure::usage(std::string(command) + " takes options only");
  auto c = load_config(a);
  if (!c) return c.error();
  return open_configured_store(*c);
}

outcome<std::string> store_purge(const parsed_args& a) {
  auto store = store_for(a, "store purge");
  if (!store) return store.error();
  auto purged = (*store)->purge_expired(system_now());
  if (!purged) return failure::of(purged.error());
  return json_object().number("purged", *purged).str() + "\n";
}

outcome<std::string> store_stats(const parsed_args& a) {
  auto store = store_for(a, "store stats");
  if (!store) return store.error();
  auto s = (*store)->stats();
  if (!s) return failure::of(s.error());
  return json_object()
             .number("revoked_families", s->revoked_families)
             .number("revoked_subjects", s->revoked_subjects)
             .number("revoked_tokens", s->revoked_tokens)
             .number("used_refresh_tokens", s->used_refresh_tokens)
             .str() +
         "\n";
}

const command commands[] = {
    {"token create",
     "jwtfort token create --sub SUBJECT [--type access|refresh|pair] [--fresh] "
     "[--expires SECONDS | --no-expiry] [--aud AUD]... [--claims JSON] [--config FILE]",
     "Prints a new token, or for --type pair (the default) the JSON\n"
     "{\"access_token\":...,\"refresh_token\":...,\"token_type\":\"bearer\"}.\n",
     create_options, token_create},
    {"token refresh", "jwtfort token refresh [--config FILE] (REFRESH_TOKEN | -)",
     "Spends the refresh token and prints a new pair of the same family. A refresh token used\n"
     "twice revokes its family and exits 1 with token_reused.\n"
     "`-` reads the token from stdin, out of the process list: prefer it to the token itself.\n",
     config_only, token_refresh},
    {"token revoke", "jwtfort token revoke [--config FILE] (TOKEN | - | --subject SUBJECT)",
     "Revokes one token until it expires (a refresh token takes its family with it), or every\n"
     "token of SUBJECT issued up to now.\n"
     "`-` reads the token from stdin, out of the process list: prefer it to the token itself.\n",
     revoke_options, token_revoke},
    {"token verify",
     "jwtfort token verify [--type access|refresh] [--fresh] [--config FILE] (TOKEN | -)",
     "Verifies TOKEN like a server would, revocations included, and prints its header and\n"
     "claims. Exits 1 when rejected.\n"
     "`-` reads the token from stdin, out of the process list: prefer it to the token itself.\n",
     verify_options, token_verify},
    {"keys rotate", "jwtfort keys rotate [--keep N] [--alg ALG] [--config FILE]",
     "Puts a new signing key at the front of the ring file (JWTFORT_KEY_RING_FILE) and keeps\n"
     "the N newest keys in all (default 3) for verification. Creates the ring with --alg when\n"
     "the file does not exist.\n",
     rotate_options, keys_rotate},
    {"store purge", "jwtfort store purge [--config FILE]",
     "Deletes the expired records of the configured store (JWTFORT_STORE_URL).\n", config_only,
     store_purge},
    {"store stats", "jwtfort store stats [--config FILE]",
     "Prints the record counts of the configured store.\n", config_only, store_stats},
};

}  // namespace

std::span<const command> life_cycle_commands() { return commands; }

}  // namespace jwtfort::cli
