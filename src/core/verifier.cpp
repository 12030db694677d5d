// src/core: the JWS/JWT engine of component `core`: compact serialization, base64url, the
// private JSON wrapper (json.hpp; the only simdjson of the engine), JWK JSON in and out (jwk.cpp),
// claims, key sets and rings, the signer and this verifier. It may use src/crypto (through
// crypto.hpp and jwk_fields.hpp only) and the standard library; every other folder may use it.
//
// Compact JWS verification: RFC 7515 §5.2 in order, then RFC 7519 §7.2 claim checks, hardened as
// RFC 8725 asks. Checks run cheapest first and nothing about the claims is trusted before the
// signature verifies.

#include "jwtfort/verifier.hpp"

#include <array>
#include <atomic>
#include <cmath>
#include <ctime>
#include <tuple>

#include "core/base64url.hpp"
#include "core/compact.hpp"
#include "core/flat_json.hpp"
#include "core/json.hpp"
#include "crypto/crypto.hpp"

namespace jwtfort {
namespace {

constexpr std::size_t max_kid_bytes = 256;
constexpr std::size_t max_signature_bytes = 1024;  // RSA-8192

// Lower-cases and prefixes "application/" when there is no slash (RFC 7515 §4.1.9).
std::string normalize_media_type(std::string_view type) {
  std::string out;
  if (type.find('/') == std::string_view::npos) out = "application/";
  for (char c : type) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

bool media_type_equals(std::string_view a, std::string_view normalized_b) {
  return normalize_media_type(a) == normalized_b;
}

// Header parameters registered by JWS/JWE/JWA: listing one in `crit` is refused (RFC 7515 §4.1.11
// says "MUST NOT"; jwtfort enforces it) and "b64" (RFC 7797) is not supported.
constexpr std::string_view registered_header_names[] = {
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit",
    "enc", "zip", "epk", "apu", "apv", "iv",  "tag", "p2s",      "p2c", "b64"};

// Parameters that carry key material, URLs, compression or JWS variants jwtfort never honours
// (RFC 8725 §3.10, CVE-2018-0114; RFC 7797; JWE markers).
constexpr std::string_view refused_header_names[] = {"jwk", "jku", "x5u", "x5c",
                                                     "zip", "b64", "enc"};

template <std::size_t N>
bool contains(const std::string_view (&list)[N], std::string_view name) {
  for (std::string_view s : list)
    if (s == name) return true;
  return false;
}

struct header_fields {
  std::optional<std::string_view> alg, kid, typ;
  std::optional<json::value> crit;
};

result<header_fields> read_header(const json::object& header) {
  header_fields h;
  std::string_view refused;
  for (auto field : header) {
    std::string_view name = field.name;
    auto string_value = [&](std::optional<std::string_view>& slot) -> result<void> {
      slot = field.value.as_string();
      if (!slot)
        return error(errc::invalid_header, "header \"" + std::string(name) + "\" must be a string");
      return {};
    };
    if (name == "alg") {
      if (auto r = string_value(h.alg); !r) return r.error();
    } else if (name == "kid") {
      if (auto r = string_value(h.kid); !r) return r.error();
      if (h.kid->size() > max_kid_bytes)
        return error(errc::invalid_header, "header \"kid\" is too long");
    } else if (name == "typ") {
      if (auto r = string_value(h.typ); !r) return r.error();
    } else if (name == "cty") {
      std::optional<std::string_view> cty;
      if (auto r = string_value(cty); !r) return r.error();
      // A nested JWT (RFC 7519 §5.2) would need a second verification this API does not do.
      if (media_type_equals(*cty, "application/jwt"))
        return error(errc::unsupported_header, "nested JWTs (cty: JWT) are not accepted");
    } else if (name == "crit") {
      h.crit = field.value;
    } else if (refused.empty() && contains(refused_header_names, name)) {
      refused = name;
    }
  }
  if (!h.alg) return error(errc::invalid_header, "header has no \"alg\"");
  if (!refused.empty())
    return error(errc::unsupported_header,
                 "header \"" + std::string(refused) + "\" is not accepted");
  return h;
}

// RFC 7515 §4.1.11: every name in crit must be understood, present, and not a registered one.
result<void> check_critical(const json::value& crit, const json::object& header,
                            const std::vector<std::string>& understood) {
  auto list = crit.as_array();
  if (!list || list->size() == 0)
    return error(errc::invalid_critical_header, "\"crit\" must be a non-empty array");
  std::vector<std::string_view> seen;
  for (json::value item : *list) {
    auto string = item.as_string();
    if (!string) return error(errc::invalid_critical_header, "\"crit\" must hold strings");
    std::string_view name = *string;
    if (contains(registered_header_names, name))
      return error(errc::invalid_critical_header, "\"crit\" lists a registered header parameter");
    for (auto s : seen)
      if (s == name) return error(errc::invalid_critical_header, "\"crit\" lists a name twice");
    seen.push_back(name);
    if (!json::find(header, name))
      return error(errc::invalid_critical_header, "\"crit\" lists a parameter the header lacks");
    bool ok = false;
    for (const auto& u : understood) ok = ok || u == name;
    if (!ok)
      return error(errc::invalid_critical_header, "\"crit\" lists a parameter not understood");
  }
  return {};
}

// The registered claim names are all three characters: one integer compare each.
constexpr std::uint32_t pack3(const char* s) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(s[0])) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[1])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[2])) << 16;
}

// One bit per registered claim, so "are the required claims present" is one mask compare.
enum claim_bit : std::uint8_t {
  exp_bit = 1,
  nbf_bit = 2,
  iat_bit = 4,
  aud_bit = 8,
  iss_bit = 16,
  sub_bit = 32,
  jti_bit = 64
};

std::uint8_t registered_claim_bit(std::string_view name) {
  if (name.size() != 3) return 0;
  switch (pack3(name.data())) {
    case pack3("exp"): return exp_bit;
    case pack3("nbf"): return nbf_bit;
    case pack3("iat"): return iat_bit;
    case pack3("aud"): return aud_bit;
    case pack3("iss"): return iss_bit;
    case pack3("sub"): return sub_bit;
    case pack3("jti"): return jti_bit;
    default: return 0;
  }
}

struct claim_fields {
  std::uint8_t present = 0;  // claim_bits of the registered claims found, whatever their type
  std::optional<json::value> exp, nbf, iat, aud;
  std::optional<std::string_view> iss, sub, jti;

  // Presence of a claim; the registered ones were already found by read_claim().
  bool has(std::string_view name, const json::object& all) const {
    if (std::uint8_t bit = registered_claim_bit(name); bit != 0) return (present & bit) != 0;
    return json::find(all, name).has_value();
  }
};

result<void> read_string_claim(std::string_view name, const json::value& value,
                               std::optional<std::string_view>& slot) {
  slot = value.as_string();
  if (!slot)
    return error(errc::invalid_claim, "claim \"" + std::string(name) + "\" must be a string");
  return {};
}

// Picks out the registered claims; runs as the payload's member visitor.
result<void> read_claim(void* context, std::string_view name, const json::value& value) {
  auto& c = *static_cast<claim_fields*>(context);
  const std::uint8_t bit = registered_claim_bit(name);
  c.present = static_cast<std::uint8_t>(c.present | bit);
  switch (bit) {
    case exp_bit: c.exp = value; break;
    case nbf_bit: c.nbf = value; break;
    case iat_bit: c.iat = value; break;
    case aud_bit: c.aud = value; break;
    case iss_bit: return read_string_claim(name, value, c.iss);
    case sub_bit: return read_string_claim(name, value, c.sub);
    case jti_bit: return read_string_claim(name, value, c.jti);
    default: break;
  }
  return {};
}

// RFC 7519 §4.1.3: a string or an array of strings; exact, case-sensitive match of one entry.
result<void> check_audience(const json::value& aud, const std::vector<std::string>& expected) {
  auto matches = [&](std::string_view a) {
    for (const auto& e : expected)
      if (e == a) return true;
    return false;
  };
  if (auto single = aud.as_string()) {
    if (expected.empty() || matches(*single)) return {};
    return error(errc::invalid_audience, "token audience is not accepted");
  }
  auto list = aud.as_array();
  if (!list || list->size() == 0)
    return error(errc::invalid_claim,
                 "claim \"aud\" must be a string or a non-empty array of strings");
  bool found = false;
  for (json::value item : *list) {
    auto a = item.as_string();
    if (!a) return error(errc::invalid_claim, "claim \"aud\" array must hold only strings");
    found = found || matches(*a);
  }
  if (expected.empty() || found) return {};
  return error(errc::invalid_audience, "token audience is not accepted");
}

// The same for the fast path's "aud": a string, or a non-empty array of strings without escapes
// (json::read_flat_object guarantees both), whose values are the text between quote pairs.
result<void> check_audience(const json::flat_value& aud, const std::vector<std::string>& expected) {
  auto matches = [&](std::string_view a) {
    for (const auto& e : expected)
      if (e == a) return true;
    return false;
  };
  if (expected.empty()) return {};
  if (aud.kind == json::flat_value::string) {
    if (matches(aud.text)) return {};
    return error(errc::invalid_audience, "token audience is not accepted");
  }
  std::string_view rest = aud.text;
  for (std::size_t open = rest.find('"'); open != std::string_view::npos; open = rest.find('"')) {
    const std::size_t close = rest.find('"', open + 1);
    if (matches(rest.substr(open + 1, close - open - 1))) return {};
    rest.remove_prefix(close + 1);
  }
  return error(errc::invalid_audience, "token audience is not accepted");
}

std::optional<std::int64_t> to_seconds(std::optional<double> d) {
  if (!d) return std::nullopt;
  return static_cast<std::int64_t>(std::floor(*d));  // in range: numeric_date checked it
}

struct claim_times {
  std::optional<double> exp, nbf, iat;
};

result<claim_times> read_times(const claim_fields& c) {
  claim_times t;
  for (auto [value, out, name] :
       {std::tuple{&c.exp, &t.exp, "exp"}, std::tuple{&c.nbf, &t.nbf, "nbf"},
        std::tuple{&c.iat, &t.iat, "iat"}}) {
    if (!*value) continue;
    auto d = json::numeric_date(**value, name);
    if (!d) return d.error();
    *out = *d;
  }
  return t;
}

// `Audience` is json::value (the full parser's) or json::flat_value (the fast path's).
// `aud` is null when the token has no "aud".
template <class Audience>
result<void> check_issuer_and_audience(std::optional<std::string_view> iss, const Audience* aud,
                                       const verifier_options& o) {
  if (o.issuer) {
    if (!iss) return error(errc::missing_claim, "required claim \"iss\" is missing");
    if (*iss != *o.issuer) return error(errc::invalid_issuer, "token issuer is not accepted");
  }
  if (aud) {
    if (o.audiences.empty() && !o.ignore_audience)
      return error(errc::invalid_audience, "token has an audience but none is expected");
    return check_audience(*aud, o.audiences);
  }
  if (!o.audiences.empty()) return error(errc::missing_claim, "required claim \"aud\" is missing");
  return {};
}

// The fast path keeps one bit per required name that is not a registered claim, in a byte; with
// more such names every token takes the full parser.
constexpr std::size_t max_tracked_claims = 8;

// What the claim checks need of the verifier: its options and what the constructor worked out.
struct claim_rules {
  const verifier_options& options;
  std::uint8_t required_bits;  // the registered claims among the required ones
  // The other required names; the i-th has bit i in flat_claims::others.
  const std::vector<std::string>& other_required;
  bool system_clock;  // options.clock is system_now
};

// RFC 7519 §4.1.4-4.1.6 with leeway: valid while now < exp + leeway and nbf <= now + leeway.
// Returns errc{} when the window holds.
errc time_verdict(const claim_times& t, double now, double leeway) {
  if (t.exp && now >= *t.exp + leeway) return errc::expired;
  if (t.nbf && now + leeway < *t.nbf) return errc::not_yet_valid;
  if (t.iat && *t.iat > now + leeway) return errc::issued_in_future;
  return errc{};
}

// The wall clock's verdict. Reading the precise clock was a twentieth of an HS256 verification;
// the kernel's coarse clock (the time of the last tick: a vDSO read of one word) costs a fraction
// of that. It is never ahead of the precise clock and behind it by at most a tick, so the precise
// second is the coarse one or the next: when both give the same verdict that is the verdict, and
// only a token within a second of one of its bounds reads the precise clock.
errc system_time_verdict(const claim_times& t, double leeway) {
#ifdef CLOCK_REALTIME_COARSE
  timespec coarse{};
  if (clock_gettime(CLOCK_REALTIME_COARSE, &coarse) == 0) {
    const auto second = static_cast<double>(coarse.tv_sec);
    const errc verdict = time_verdict(t, second, leeway);
    if (verdict == time_verdict(t, second + 1, leeway)) return verdict;
  }
#endif
  return time_verdict(t, static_cast<double>(system_now()), leeway);
}

result<void> check_time_window(const claim_times& t, const claim_rules& rules) {
  const double leeway = static_cast<double>(rules.options.leeway_seconds);
  const errc verdict = rules.system_clock
                           ? system_time_verdict(t, leeway)
                           : time_verdict(t, static_cast<double>(rules.options.clock()), leeway);
  switch (verdict) {
    case errc::expired: return error(errc::expired, "token has expired");
    case errc::not_yet_valid: return error(errc::not_yet_valid, "token is not valid yet");
    case errc::issued_in_future:
      return error(errc::issued_in_future, "token was issued in the future");
    default: return {};
  }
}

// RFC 7515 §5.2 steps 6-8: the signature, over the ASCII bytes of header.payload.
result<void> verify_signature(const compact::segments& seg, const key& k, algorithm alg) {
  if (seg.signature.empty()) return error(errc::invalid_signature, "signature is empty");
  if (base64url::decoded_size(seg.signature.size()) > max_signature_bytes)
    return error(errc::invalid_signature, "signature is longer than any supported key's");
  unsigned char sig[max_signature_bytes + 1];  // decode_into may write one byte of slack
  auto sig_len = base64url::decode_into(seg.signature, sig);
  if (!sig_len) return sig_len.error();
  return crypto::verify(k.material(), alg, seg.signing_input, {sig, *sig_len});
}

// RFC 7519 §7.2 step 10: the claims, once the signature is known good. Cheap checks first.
// `required_present` is the verifier's precomputed answer when every required claim is a
// registered one; the name-by-name walk runs only to name the missing one or for other names.
result<claim_times> check_claims(const claim_fields& c, const json::object& all,
                                 const claim_rules& rules, bool required_present) {
  const verifier_options& o = rules.options;
  if (!required_present)
    for (const auto& name : o.required_claims)
      if (!c.has(name, all))
        return error(errc::missing_claim, "required claim \"" + name + "\" is missing");
  auto times = read_times(c);
  if (!times) return times.error();
  if (auto r = check_issuer_and_audience(c.iss, c.aud ? &*c.aud : nullptr, o); !r) return r.error();
  if (auto r = check_time_window(*times, rules); !r) return r.error();
  return times;
}

// --- the fast path for the common claims object
// ---------------------------------------------------
//
// Most claims objects are flat, ASCII and unescaped, with integer times: json::read_flat_object
// reads those in one pass, without simdjson's tape, and this visitor takes the registered claims
// only when they have the types the checks below want (integer NumericDates in range, string
// iss/sub/jti, a string or non-empty string array aud). Anything else, valid or not, goes to the
// full parser, which alone names errors, so both paths accept the same tokens with the same claims.

constexpr std::int64_t max_numeric_date = 253402300799;  // json::numeric_date's upper bound

// Which claims are present is `present`'s bits; the other members are read only under their bit.
// No optionals: zeroing the whole struct for every token cost more than reading the claims.
struct flat_claims {
  std::uint8_t present = 0;
  std::uint8_t others = 0;  // bit i: claim_rules::other_required[i] is present
  claim_times times;
  json::flat_value aud;
  std::string_view iss, sub, jti;

  std::optional<std::string_view> issuer() const {
    if (present & iss_bit) return iss;
    return std::nullopt;
  }
};

bool read_flat_claim(flat_claims& c, std::string_view name, const json::flat_value& v,
                     const std::vector<std::string>& other_required) {
  const std::uint8_t bit = registered_claim_bit(name);
  c.present = static_cast<std::uint8_t>(c.present | bit);
  if (bit == 0)
    for (std::size_t i = 0; i < other_required.size(); ++i)
      if (name == other_required[i]) c.others = static_cast<std::uint8_t>(c.others | 1u << i);
  auto time = [&v](std::optional<double>& slot) {
    if (v.kind != json::flat_value::integer || v.number < 0 || v.number > max_numeric_date)
      return false;
    slot = static_cast<double>(v.number);
    return true;
  };
  auto string = [&v](std::string_view& slot) {
    if (v.kind != json::flat_value::string) return false;
    slot = v.text;
    return true;
  };
  switch (bit) {
    case exp_bit: return time(c.times.exp);
    case nbf_bit: return time(c.times.nbf);
    case iat_bit: return time(c.times.iat);
    case iss_bit: return string(c.iss);
    case sub_bit: return string(c.sub);
    case jti_bit: return string(c.jti);
    case aud_bit:
      if (v.kind != json::flat_value::string &&
          !(v.kind == json::flat_value::array && v.all_strings && v.count > 0))
        return false;
      c.aud = v;
      return true;
    default: return true;
  }
}

// Whether the fast path saw required claim `name`: its registered bit, or its bit among the
// other required names.
bool flat_has(const flat_claims& c, std::string_view name, const claim_rules& rules) {
  if (const std::uint8_t bit = registered_claim_bit(name); bit != 0) return (c.present & bit) != 0;
  for (std::size_t i = 0; i < rules.other_required.size(); ++i)
    if (rules.other_required[i] == name) return (c.others & 1u << i) != 0;
  return false;
}

// check_claims for the fast path, in the same order. Presence is two bit masks: one of the
// registered claims, one of the other required names.
result<void> check_flat_claims(const flat_claims& c, const claim_rules& rules) {
  const verifier_options& o = rules.options;
  const auto all_others = static_cast<std::uint8_t>((1u << rules.other_required.size()) - 1);
  if ((c.present & rules.required_bits) != rules.required_bits || c.others != all_others)
    for (const auto& name : o.required_claims)
      if (!flat_has(c, name, rules))
        return error(errc::missing_claim, "required claim \"" + name + "\" is missing");
  if (auto r = check_issuer_and_audience(c.issuer(), c.present & aud_bit ? &c.aud : nullptr, o); !r)
    return r.error();
  return check_time_window(c.times, rules);
}

// What the verified token keeps of the checked claims, from either path.
struct checked_claims {
  claim_times times;
  std::string_view iss, sub, jti;
};

// RFC 7519 §7.2 step 10 on the decoded payload: the fast path when it applies, else the full
// parser. Both check the same things in the same order.
// The result goes to `out` (a result<checked_claims> cost a copy through the stack).
result<void> read_claims(const unsigned char* payload, std::size_t len, const claim_rules& rules,
                         checked_claims& out) {
  if (rules.other_required.size() <= max_tracked_claims) {
    flat_claims flat;
    auto visit = [&flat, &rules](std::string_view name, const json::flat_value& v) {
      return read_flat_claim(flat, name, v, rules.other_required);
    };
    if (json::read_flat_object(payload, len, json::claims_limits, visit)) {
      if (auto r = check_flat_claims(flat, rules); !r) return r.error();
      out = {flat.times, flat.iss, flat.sub, flat.jti};
      return {};
    }
  }
  claim_fields fields;
  const json::member_visitor visit{read_claim, &fields};
  auto all = json::parse_object(json::slot::payload, payload, len, json::claims_limits, &visit);
  if (!all) return all.error();
  const bool required_present =
      rules.other_required.empty() && (fields.present & rules.required_bits) == rules.required_bits;
  auto times = check_claims(fields, *all, rules, required_present);
  if (!times) return times.error();
  out = {*times, fields.iss.value_or(""), fields.sub.value_or(""), fields.jti.value_or("")};
  return {};
}

}  // namespace

verifier::verifier(verifier_options o) : options_(std::move(o)) {
  static std::atomic<std::uint64_t> serials{1};
  serial_ = serials.fetch_add(1, std::memory_order_relaxed);
  for (algorithm alg : options_.algorithms) allowed_mask_ |= 1u << static_cast<unsigned>(alg);
  for (const auto& name : options_.required_claims) {
    const std::uint8_t bit = registered_claim_bit(name);
    required_claim_bits_ = static_cast<std::uint8_t>(required_claim_bits_ | bit);
    if (bit == 0) other_required_claims_.push_back(name);
  }
  if (options_.type) options_.type = normalize_media_type(*options_.type);
  const auto* clock_fn = options_.clock.target<std::int64_t (*)() noexcept>();
  system_clock_ = clock_fn != nullptr && *clock_fn == &system_now;
}

result<verifier> verifier::create(verifier_options o) {
  auto bad = [](std::string msg) { return error(errc::invalid_configuration, std::move(msg)); };
  if (o.algorithms.empty()) return bad("the algorithm allow-list is empty");
  if (o.keys.empty()) return bad("no verification key is configured");
  if (o.leeway_seconds < 0 || o.leeway_seconds > 300) return bad("leeway must be 0..300 seconds");
  if (o.max_token_bytes == 0 || o.max_token_bytes > 65536)
    return bad("max_token_bytes must be 1..65536");
  if (!o.clock) return bad("clock is not set");
  if (o.type && o.type->empty()) return bad("required typ is empty");
  for (algorithm alg : o.algorithms) {
    bool has_key = false;
    for (const key& k : o.keys.keys()) has_key = has_key || k.accepts(alg);
    if (!has_key) return bad("no configured key can verify " + std::string(to_string(alg)));
  }
  return verifier(std::move(o));
}

// A header that passed every check, remembered per thread: most deployments sign every token with
// the same header bytes, and the verdict on them depends only on those bytes and the (immutable)
// verifier, so a byte-exact match may skip decoding, parsing and key lookup.
struct verifier::accepted_header {
  std::uint64_t verifier_serial = 0;
  std::string segment;  // the encoded header this verdict is for
  std::string text;     // its decoded JSON
  std::string kid;
  algorithm alg{};
  std::size_t key_index = 0;
};

result<const verifier::accepted_header*> verifier::accept_header(std::string_view segment) const {
  constexpr std::size_t slots = 4;
  thread_local std::array<accepted_header, slots> cache;
  thread_local std::size_t next = 0;
  for (const auto& entry : cache)
    if (entry.verifier_serial == serial_ && entry.segment == segment) return &entry;

  // RFC 7515 §5.2 steps 2-5: the protected header.
  auto header = compact::decode_object(segment, json::slot::header, json::header_limits);
  if (!header) return header.error();
  auto h = read_header(*header);
  if (!h) return h.error();
  auto alg = algorithm_from_string(*h->alg);
  if (!alg)
    return error(errc::unsupported_algorithm, "header \"alg\" is not a supported algorithm");
  if (h->crit)
    if (auto r = check_critical(*h->crit, *header, options_.understood_critical); !r)
      return r.error();
  // RFC 8725 §3.1: the caller's allow-list decides, never the token.
  if (!(allowed_mask_ & (1u << static_cast<unsigned>(*alg))))
    return error(errc::algorithm_not_allowed,
                 "algorithm " + std::string(to_string(*alg)) + " is not allowed");
  if (options_.type && !(h->typ && media_type_equals(*h->typ, *options_.type)))
    return error(errc::invalid_type, "header \"typ\" is not the required type");
  auto k = options_.keys.find(h->kid, *alg);
  if (!k) return k.error();

  accepted_header& entry = cache[next++ % slots];
  entry.verifier_serial = serial_;
  entry.segment.assign(segment);
  entry.text.assign(reinterpret_cast<const char*>(json::scratch_buffer(json::slot::header, 0)),
                    base64url::decoded_size(segment.size()));
  entry.kid.assign(h->kid.value_or(""));
  entry.alg = *alg;
  entry.key_index = static_cast<std::size_t>(*k - options_.keys.keys().data());
  return &entry;
}

result<verified_token> verifier::verify(std::string_view token) const {
  // §1.1: size first, in O(1), before any decoding.
  if (token.size() > options_.max_token_bytes)
    return error(errc::token_too_large,
                 "token is larger than " + std::to_string(options_.max_token_bytes) + " bytes");
  auto seg = compact::split(token);
  if (!seg) return seg.error();

  auto accepted = accept_header(seg->header);
  if (!accepted) return accepted.error();
  const accepted_header& h = **accepted;
  const algorithm alg = h.alg;
  const key& signing_key = options_.keys.keys()[h.key_index];

  if (auto r = verify_signature(*seg, signing_key, alg); !r) return r.error();

  // Only now is the payload worth reading.
  auto payload_len =
      compact::decode_segment(seg->payload, json::slot::payload, json::claims_limits);
  if (!payload_len) return payload_len.error();
  const unsigned char* payload = json::scratch_buffer(json::slot::payload, 0);
  checked_claims claims;
  const claim_rules rules{options_, required_claim_bits_, other_required_claims_, system_clock_};
  if (auto r = read_claims(payload, *payload_len, rules, claims); !r) return r.error();

  verified_token t;
  t.alg_ = alg;
  const std::string_view header_text = h.text;
  const std::string_view payload_text(reinterpret_cast<const char*>(payload), *payload_len);
  const std::string_view kid = h.kid;
  // All text in one buffer, allocated once. A claim string that is a stretch of the payload text
  // (always, on the fast path) is a slice of the payload's copy rather than a copy of its own.
  t.data_.reserve(header_text.size() + payload_text.size() + kid.size() + claims.sub.size() +
                  claims.iss.size() + claims.jti.size());
  t.header_ = t.append(header_text);
  t.payload_ = t.append(payload_text);
  t.kid_ = t.append(kid);
  const auto payload_start = reinterpret_cast<std::uintptr_t>(payload_text.data());
  auto keep = [&](std::string_view text) {
    const auto at = reinterpret_cast<std::uintptr_t>(text.data());
    if (!text.empty() && at >= payload_start &&
        at + text.size() <= payload_start + payload_text.size())
      return verified_token::slice{
          static_cast<std::uint32_t>(t.payload_.offset + (at - payload_start)),
          static_cast<std::uint32_t>(text.size())};
    return t.append(text);
  };
  t.sub_ = keep(claims.sub);
  t.iss_ = keep(claims.iss);
  t.jti_ = keep(claims.jti);
  t.exp_ = to_seconds(claims.times.exp);
  t.nbf_ = to_seconds(claims.times.nbf);
  t.iat_ = to_seconds(claims.times.iat);
  return t;
}

}  // namespace jwtfort
