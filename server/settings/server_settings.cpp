// The server's rows of the settings table, after the library's. The defaults are the field
// initializers in server_settings.hpp.
#include "server_settings.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <utility>

namespace jwtfort::server {
namespace {

std::string_view trimmed(std::string_view s) {
  constexpr std::string_view blanks = " \t\r\n\v\f";
  const auto first = s.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(blanks) - first + 1);
}

std::string lower_case(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper_case(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

result<void> one_value(const setting& row, const setting_value& v) {
  if (v.items || v.tables) return row.invalid("expected one value, not a list", "[...]");
  return {};
}

// Any text; an empty one leaves the setting unset.
setting optional_text(std::string name, std::string& target) {
  return setting(std::move(name), [&target](const setting& row, const setting_value& v) {
    if (auto ok = one_value(row, v); !ok) return ok;
    target = std::string(trimmed(v.text));
    return result<void>();
  });
}

// An integer in 0..300; an empty value leaves it unset.
setting optional_leeway(std::string name, std::optional<std::int64_t>& target) {
  return setting(std::move(name), [&target](const setting& row, const setting_value& v) {
    if (auto ok = one_value(row, v); !ok) return ok;
    if (trimmed(v.text).empty()) {
      target.reset();
      return result<void>();
    }
    std::int64_t seconds = 0;
    auto read = setting::integer(row.name(), seconds, 0, 300).parse(v);
    if (!read) return read;
    target = seconds;
    return result<void>();
  });
}

// JWS algorithm names; HMAC is refused: its key would be a secret shared with the provider,
// and a provider publishes only public keys.
setting algorithms(std::string name, std::vector<algorithm>& target) {
  return setting(std::move(name), [&target](const setting& row, const setting_value& v) {
    std::vector<std::string> names;
    if (auto ok = setting::list(row.name(), names).parse(v); !ok) return ok;
    std::vector<algorithm> out;
    for (const std::string& text : names) {
      const auto alg = algorithm_from_string(upper_case(text));
      if (!alg)
        return result<void>(
            row.invalid("expected JWS algorithm names such as RS256 or ES256", text));
      if (family_of(*alg) == key_family::hmac)
        return result<void>(row.invalid("HMAC cannot verify a provider's tokens", text));
      out.push_back(*alg);
    }
    target = std::move(out);
    return result<void>();
  });
}

// The settings of one issuer, by their key in a table of JWTFORT_OIDC_ISSUERS; `name` gives
// each row's name in messages.
struct issuer_row {
  std::string_view key;
  setting row;
};

std::vector<issuer_row> issuer_rows(oidc_issuer_settings& s,
                                    const std::function<std::string(std::string_view)>& name) {
  std::vector<issuer_row> rows;
  rows.push_back({"issuer", optional_text(name("issuer"), s.issuer)});
  rows.push_back({"audience", setting::list(name("audience"), s.audience)});
  rows.push_back({"audience_claim",
                  setting::one_of(name("audience_claim"), s.audience_claim, {"aud", "client_id"})});
  rows.push_back({"algorithms", algorithms(name("algorithms"), s.algorithms)});
  rows.push_back({"roles_claim", setting::list(name("roles_claim"), s.roles_claim)});
  rows.push_back({"scopes_claim", setting::list(name("scopes_claim"), s.scopes_claim)});
  rows.push_back({"subject_claim", optional_text(name("subject_claim"), s.subject_claim)});
  rows.push_back({"require_at_jwt", setting::boolean(name("require_at_jwt"), s.require_at_jwt)});
  rows.push_back({"jwks_url", optional_text(name("jwks_url"), s.jwks_url)});
  rows.push_back({"ca_file", optional_text(name("ca_file"), s.ca_file)});
  rows.push_back({"leeway", optional_leeway(name("leeway"), s.leeway)});
  return rows;
}

error at_line(const error& e, std::size_t line) {
  if (line == 0) return e;
  return error(e.code, e.message + " (line " + std::to_string(line) + ")");
}

// One table of JWTFORT_OIDC_ISSUERS: known keys once each, issuer and audience required.
result<oidc_issuer_settings> issuer_from_table(const std::string& prefix,
                                               const std::vector<setting_field>& fields) {
  oidc_issuer_settings s;
  auto rows =
      issuer_rows(s, [&prefix](std::string_view key) { return prefix + "." + std::string(key); });
  std::vector<std::string_view> seen;
  for (const setting_field& field : fields) {
    const std::string key = lower_case(trimmed(field.key));
    auto row =
        std::find_if(rows.begin(), rows.end(), [&](const issuer_row& r) { return r.key == key; });
    if (row == rows.end())
      return at_line(error(errc::invalid_configuration, prefix + "." + field.key + ": unknown key"),
                     field.line);
    if (std::find(seen.begin(), seen.end(), row->key) != seen.end())
      return at_line(error(errc::invalid_configuration, row->row.name() + ": set twice"),
                     field.line);
    seen.push_back(row->key);
    if (auto ok = row->row.parse(field.value); !ok) return at_line(ok.error(), field.line);
  }
  if (s.issuer.empty()) return error(errc::invalid_configuration, prefix + ".issuer: required");
  if (s.audience.empty()) return error(errc::invalid_configuration, prefix + ".audience: required");
  return s;
}

setting issuer_tables(std::string name, std::vector<oidc_issuer_settings>& target) {
  return setting(std::move(name), [&target](const setting& row, const setting_value& v) {
    if (!v.tables)
      return result<void>(row.invalid(
          "expected a list of tables ([[jwtfort.oidc_issuers]] in TOML, an array of objects in "
          "JSON), which only a settings file can give",
          v.items ? "[...]" : trimmed(v.text)));
    std::vector<oidc_issuer_settings> out;
    for (std::size_t i = 0; i < v.tables->size(); ++i) {
      auto one = issuer_from_table(row.name() + "[" + std::to_string(i + 1) + "]", (*v.tables)[i]);
      if (!one) return result<void>(one.error());
      out.push_back(std::move(*one));
    }
    target = std::move(out);
    return result<void>();
  });
}

void add_oidc_settings(server_settings& s, settings_table& t) {
  for (issuer_row& r :
       issuer_rows(s.oidc, [](std::string_view key) { return "JWTFORT_OIDC_" + upper_case(key); }))
    t.add(std::move(r.row));
  t.add(issuer_tables("JWTFORT_OIDC_ISSUERS", s.oidc_issuers));
  t.add(setting::boolean("JWTFORT_ACCEPT_OWN_TOKENS", s.accept_own_tokens));
  t.add(setting::integer("JWTFORT_OIDC_REFRESH_INTERVAL", s.oidc_refresh_interval, 1, 86400));
  t.add(
      setting::integer("JWTFORT_OIDC_MIN_REFRESH_INTERVAL", s.oidc_min_refresh_interval, 1, 3600));
  t.add(setting::integer("JWTFORT_OIDC_MAX_KEY_AGE", s.oidc_max_key_age, 1, 30 * 86400));
}

// The first JWTFORT_OIDC_* issuer setting given, other than the issuer itself.
std::optional<std::string_view> first_issuer_setting(const oidc_issuer_settings& o) {
  if (!o.audience.empty()) return "JWTFORT_OIDC_AUDIENCE";
  if (!o.audience_claim.empty()) return "JWTFORT_OIDC_AUDIENCE_CLAIM";
  if (!o.algorithms.empty()) return "JWTFORT_OIDC_ALGORITHMS";
  if (!o.roles_claim.empty()) return "JWTFORT_OIDC_ROLES_CLAIM";
  if (!o.scopes_claim.empty()) return "JWTFORT_OIDC_SCOPES_CLAIM";
  if (!o.subject_claim.empty()) return "JWTFORT_OIDC_SUBJECT_CLAIM";
  if (o.require_at_jwt) return "JWTFORT_OIDC_REQUIRE_AT_JWT";
  if (!o.jwks_url.empty()) return "JWTFORT_OIDC_JWKS_URL";
  if (!o.ca_file.empty()) return "JWTFORT_OIDC_CA_FILE";
  if (o.leeway) return "JWTFORT_OIDC_LEEWAY";
  return std::nullopt;
}

error invalid(std::string message) {
  return error(errc::invalid_configuration, std::move(message));
}

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
  add_oidc_settings(*this, table);
}

result<void> server_settings::validate() const {
  if (auto ok = config::validate(); !ok) return ok;
  if (oidc.issuer.empty()) {
    if (auto other = first_issuer_setting(oidc))
      return invalid("JWTFORT_OIDC_ISSUER: must be set with " + std::string(*other));
  } else if (oidc.audience.empty()) {
    return invalid(
        "JWTFORT_OIDC_AUDIENCE: must be set with JWTFORT_OIDC_ISSUER (the `aud` the issuer's "
        "tokens carry for this server)");
  }
  if (!accept_own_tokens && oidc.issuer.empty() && oidc_issuers.empty())
    return invalid(
        "JWTFORT_ACCEPT_OWN_TOKENS: false needs a trusted issuer (JWTFORT_OIDC_ISSUER or "
        "JWTFORT_OIDC_ISSUERS), or no token would ever be accepted");
  return {};
}

std::vector<issuer_options> server_settings::trusted_issuer_options() const {
  std::vector<issuer_options> out;
  const std::int64_t default_leeway = leeway.value_or(decode_leeway);
  auto add = [&](const oidc_issuer_settings& s) {
    issuer_options o;
    o.issuer = s.issuer;
    o.audiences = s.audience;
    if (!s.audience_claim.empty()) o.audience_claim = s.audience_claim;
    if (!s.algorithms.empty()) o.algorithms = s.algorithms;
    o.jwks_url = s.jwks_url;
    o.require_at_jwt = s.require_at_jwt;
    if (!s.roles_claim.empty()) o.claims.roles = s.roles_claim;
    if (!s.scopes_claim.empty()) o.claims.scopes = s.scopes_claim;
    if (!s.subject_claim.empty()) o.claims.subject = s.subject_claim;
    o.leeway_seconds = s.leeway.value_or(default_leeway);
    o.refresh_interval = std::chrono::seconds(oidc_refresh_interval);
    o.min_refresh_interval = std::chrono::seconds(oidc_min_refresh_interval);
    o.max_key_age = std::chrono::seconds(oidc_max_key_age);
    o.ca_file = s.ca_file;
    out.push_back(std::move(o));
  };
  if (!oidc.issuer.empty()) add(oidc);
  for (const oidc_issuer_settings& s : oidc_issuers) add(s);
  return out;
}

}  // namespace jwtfort::server
