#include "commands.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "args.hpp"
#include "command.hpp"
#include "jwtfort/claims.hpp"
#include "jwtfort/key_set.hpp"
#include "jwtfort/signer.hpp"
#include "jwtfort/token.hpp"
#include "jwtfort/verifier.hpp"
#include "key_files.hpp"

#ifndef JWTFORT_VERSION
#define JWTFORT_VERSION "unknown"
#endif

namespace jwtfort::cli {
namespace {

// --- help texts ----------------------------------------------------------------------------------

constexpr std::string_view tool_synopsis = "jwtfort COMMAND [OPTIONS]";

// --- shared pieces -------------------------------------------------------------------------------

outcome<std::vector<algorithm>> parse_algorithms(const std::vector<std::string>& names) {
  std::vector<algorithm> out;
  for (const std::string& name : names) {
    auto alg = parse_algorithm(name);
    if (!alg) return alg.error();
    out.push_back(*alg);
  }
  return out;
}

outcome<bool> expect_positionals(const parsed_args& a, std::size_t count, std::string_view what) {
  if (a.positionals.size() == count) return true;
  if (a.positionals.size() < count) return failure::usage("missing " + std::string(what));
  return failure::usage("unexpected argument after " + std::string(what));
}

// stdin can feed one argument only: the second reader would find it empty.
outcome<bool> stdin_read_once(const parsed_args& a, std::string_view what) {
  if (a.positionals.empty() || a.positionals.front() != "-") return true;
  for (std::string_view name : {"key", "jwks", "secret-file"})
    if (a.value(name) == "-")
      return failure::usage(std::string(what) + " and --" + std::string(name) +
                            " cannot both be - (stdin)");
  return true;
}

// Removes the insignificant whitespace of valid JSON text (RFC 8259 §2), keeping every value
// byte for byte: verify and inspect print header and claims as the token carried them.
std::string compact_json(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (escaped) {
      escaped = false;
    } else if (in_string) {
      escaped = c == '\\';
      in_string = c != '"';
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      continue;
    } else if (c == '"') {
      in_string = true;
    }
    out += c;
  }
  return out;
}

std::string header_and_claims(std::string_view header, std::string_view claims_text) {
  return "\"header\":" + compact_json(header) + ",\"claims\":" + compact_json(claims_text);
}

// --- keygen --------------------------------------------------------------------------------------

constexpr option_spec keygen_options[] = {{"alg"}, {"kid"}, {"bits"}, {"out"}};

outcome<std::string> keygen(const parsed_args& a) {
  if (auto p = expect_positionals(a, 0, "options"); !p) return p.error();
  auto alg_name = a.value("alg");
  if (!alg_name) return failure::usage("keygen needs --alg");
  auto out = a.value("out");
  if (!out) return failure::usage("keygen needs --out FILE");
  if (*out == "-")
    return failure::usage("keygen does not write a private key to stdout; give --out FILE");
  auto alg = parse_algorithm(*alg_name);
  if (!alg) return alg.error();
  if (a.has("bits") && family_of(*alg) != key_family::rsa)
    return failure::usage("--bits applies to RS* and PS* keys only");
  auto bits = integer_option(a, "bits", 2048);
  if (!bits) return bits.error();
  if (*bits < 1 || *bits > 65536) return failure::usage("--bits is out of range");

  auto k = key::generate(*alg, static_cast<unsigned>(*bits));
  if (!k) return failure::configuration(k.error());
  if (auto kid = a.value("kid"); kid && !kid->empty()) *k = k->with_id(*kid);
  auto jwk = k->to_private_jwk();
  if (!jwk) return failure::configuration(jwk.error());
  *jwk += '\n';
  auto written = write_private_file(*out, *jwk);
  wipe(*jwk);
  if (!written) return written.error();
  return std::string();
}

// --- jwks ----------------------------------------------------------------------------------------

constexpr option_spec jwks_options[] = {{"alg"}};

outcome<std::string> jwks(const parsed_args& a) {
  if (a.positionals.empty()) return failure::usage("jwks needs at least one key FILE");
  auto candidates = parse_algorithms(a.values("alg"));  // --alg is single: none or one
  if (!candidates) return candidates.error();
  key_set set;
  for (const std::string& path : a.positionals) {
    auto keys = load_key_file(path, *candidates);
    if (!keys) return keys.error();
    for (key& k : *keys) {
      if (k.is_symmetric())
        return failure::configuration(
            error(errc::invalid_key, path + " holds an HMAC secret, which has no public part"));
      if (auto r = set.add(std::move(k)); !r) return failure::configuration(r.error());
    }
  }
  return set.to_jwks() + "\n";
}

// --- sign ----------------------------------------------------------------------------------------

constexpr option_spec sign_options[] = {{"key"}, {"secret-file"}, {"alg"},
                                        {"kid"}, {"exp"},         {"header"}};

failure bad_header(std::string msg) {
  return failure::configuration(error(errc::invalid_header, "--header: " + std::move(msg)));
}

// Splits --header into `typ` (the signer's own option) and the other members. `alg` and `kid`
// belong to the key and --kid; the signer refuses the rest of the reserved names (crit, jwk...).
outcome<header_options> header_from_option(const std::optional<std::string>& text) {
  header_options h;
  if (!text) return h;
  // claims::from_json is jwtfort's strict JSON object reader (UTF-8, duplicates, limits); a
  // header is such an object too.
  auto object = claims::from_json(*text);
  if (!object) return bad_header(object.error().message);
  std::string extra;
  for (const auto& [name, value] : object->members()) {
    if (name == "alg") return bad_header("may not set \"alg\"; the key decides it");
    if (name == "kid") return bad_header("may not set \"kid\"; use --kid");
    if (name == "typ") {
      auto typ = object->string_value(name);
      if (!typ) return bad_header("\"typ\" must be a string");
      h.type = *typ;
      continue;
    }
    extra += extra.empty() ? '{' : ',';
    append_json_string(extra, name);
    extra += ':';
    extra += value;
  }
  if (!extra.empty()) h.extra_json = extra + '}';
  return h;
}

// `algs` is --alg: none or one.
outcome<key> signing_key(const parsed_args& a, const std::vector<algorithm>& algs) {
  if (auto path = a.value("secret-file")) {
    if (algs.empty()) return failure::usage("--secret-file needs --alg");
    return load_secret_file(*path, algs.front());
  }
  auto keys = load_key_file(*a.value("key"), algs);
  if (!keys) return keys.error();
  if (keys->size() != 1)
    return failure::configuration(error(
        errc::invalid_key,
        "the key file holds " + std::to_string(keys->size()) + " keys; sign needs exactly one"));
  key k = keys->front();
  if (!algs.empty() && k.alg() != algs.front())
    return failure::configuration(
        error(errc::invalid_key, "the key is bound to " + std::string(to_string(k.alg())) +
                                     ", not " + std::string(to_string(algs.front()))));
  return k;
}

outcome<claims> claims_argument(const parsed_args& a) {
  auto text = a.positionals.front() == "-" ? read_input("-", "stdin")
                                           : outcome<std::string>(a.positionals.front());
  if (!text) return text.error();
  auto c = claims::from_json(*text);
  if (!c) return failure::configuration(error(c.code(), "claims: " + c.error().message));
  auto exp = integer_option(a, "exp", 0);
  if (!exp) return exp.error();
  if (a.has("exp")) {
    if (*exp <= 0) return failure::usage("--exp needs a positive number of seconds");
    const jwtfort::clock once = fixed_clock(system_now());  // iat and exp from one reading
    c->issued_now(once).expires_in(*exp, once);
  }
  return std::move(*c);
}

outcome<std::string> sign(const parsed_args& a) {
  if (auto p = expect_positionals(a, 1, "CLAIMS_JSON"); !p) return p.error();
  if (auto once = stdin_read_once(a, "CLAIMS_JSON"); !once) return once.error();
  if (a.has("key") == a.has("secret-file"))
    return failure::usage("sign needs one of --key FILE or --secret-file FILE");
  auto algs = parse_algorithms(a.values("alg"));
  if (!algs) return algs.error();
  auto k = signing_key(a, *algs);
  if (!k) return k.error();
  if (auto kid = a.value("kid")) *k = k->with_id(*kid);
  auto c = claims_argument(a);
  if (!c) return c.error();
  auto header = header_from_option(a.value("header"));
  if (!header) return header.error();

  auto s = signer::create(*k);
  if (!s) return failure::configuration(s.error());
  auto token = s->sign(*c, *header);
  if (!token) return failure::configuration(token.error());
  return *token + "\n";
}

// --- verify --------------------------------------------------------------------------------------

constexpr option_spec verify_options[] = {{"key"},
                                          {"jwks"},
                                          {"secret-file"},
                                          {"alg", true, true},
                                          {"iss"},
                                          {"aud", true, true},
                                          {"typ"},
                                          {"leeway"},
                                          {"require", true, true},
                                          {"now"}};

outcome<key_set> verification_keys(const parsed_args& a, const std::vector<algorithm>& algs) {
  int sources = int{a.has("key")} + int{a.has("jwks")} + int{a.has("secret-file")};
  if (sources != 1)
    return failure::usage(
        "verify needs exactly one of --key FILE, --jwks FILE or --secret-file FILE");
  std::vector<key> keys;
  if (auto path = a.value("secret-file")) {
    if (algs.empty()) return failure::usage("--secret-file needs --alg");
    auto k = load_secret_file(*path, algs.front());
    if (!k) return k.error();
    keys.push_back(std::move(*k));
  } else {
    auto loaded = load_key_file(a.has("key") ? *a.value("key") : *a.value("jwks"), algs);
    if (!loaded) return loaded.error();
    keys = std::move(*loaded);
  }
  key_set set;
  for (key& k : keys)
    if (auto r = set.add(std::move(k)); !r) return failure::configuration(r.error());
  return set;
}

// Without --alg the allow-list is what the keys themselves are bound to, never the token's say.
std::vector<algorithm> default_algorithms(const key_set& keys) {
  std::vector<algorithm> out;
  for (const key& k : keys.keys())
    if (std::find(out.begin(), out.end(), k.alg()) == out.end()) out.push_back(k.alg());
  return out;
}

outcome<verifier_options> verify_options_from(const parsed_args& a) {
  verifier_options o;
  auto algs = parse_algorithms(a.values("alg"));
  if (!algs) return algs.error();
  auto keys = verification_keys(a, *algs);
  if (!keys) return keys.error();
  o.algorithms = algs->empty() ? default_algorithms(*keys) : *algs;
  o.keys = std::move(*keys);
  o.issuer = a.value("iss");
  o.audiences = a.values("aud");
  o.type = a.value("typ");
  for (std::string& claim : a.values("require")) o.required_claims.push_back(std::move(claim));
  auto leeway = integer_option(a, "leeway", 0);
  if (!leeway) return leeway.error();
  o.leeway_seconds = *leeway;
  if (a.has("now")) {
    auto now = integer_option(a, "now", 0);
    if (!now) return now.error();
    o.clock = fixed_clock(*now);
  }
  return o;
}

outcome<std::string> verify(const parsed_args& a) {
  if (auto p = expect_positionals(a, 1, "TOKEN"); !p) return p.error();
  if (auto once = stdin_read_once(a, "TOKEN"); !once) return once.error();
  auto options = verify_options_from(a);
  if (!options) return options.error();
  auto v = verifier::create(std::move(*options));
  if (!v) return failure::configuration(v.error());
  auto token = token_argument(a.positionals.front());
  if (!token) return token.error();
  auto verified = v->verify(*token);
  if (!verified) return failure::rejected(verified.error());
  return "{" + header_and_claims(verified->header_json(), verified->claims_json()) + "}\n";
}

// --- inspect -------------------------------------------------------------------------------------

outcome<std::string> inspect(const parsed_args& a) {
  if (auto p = expect_positionals(a, 1, "TOKEN"); !p) return p.error();
  auto token = token_argument(a.positionals.front());
  if (!token) return token.error();
  auto decoded = unverified_token::decode(*token);
  if (!decoded) return failure::rejected(decoded.error());
  return "{\"verified\":false," +
         header_and_claims(decoded->header_json(), decoded->payload_json()) + "}\n";
}

// --- dispatch ------------------------------------------------------------------------------------

bool asks_for_help(std::span<const std::string_view> args) {
  for (std::string_view word : args) {
    if (word == "--") return false;
    if (word == "--help" || word == "-h") return true;
  }
  return false;
}

// The core commands; their help texts say what each prints and how it exits.
const command core_commands[] = {
    {"keygen", "jwtfort keygen --alg ALG [--kid KID] [--bits N] --out FILE",
     "Writes a new private JWK to FILE (mode 0600). HS* algorithms get a random secret of the\n"
     "hash length. --kid defaults to the RFC 7638 thumbprint; --bits (RSA only) to 2048.\n",
     keygen_options, keygen},
    {"jwks", "jwtfort jwks [--alg ALG] FILE...",
     "Prints the public JWK Set of the keys in the files (PEM, JWK or JWKS). --alg binds PEM keys\n"
     "and RSA JWKs without \"alg\"; RSA PEM keys need it. HMAC secrets are refused.\n",
     jwks_options, jwks},
    {"sign",
     "jwtfort sign (--key FILE | --secret-file FILE --alg ALG) [--alg ALG] [--kid KID] "
     "[--exp SECONDS] [--header JSON] CLAIMS_JSON",
     "Prints the compact token for the claims (a JSON object; `-` reads stdin). --exp sets iat to\n"
     "now and exp to now + SECONDS. --header adds header members (typ allowed; alg, kid,\n"
     "crit not).\n",
     sign_options, sign},
    {"verify",
     "jwtfort verify (--key FILE | --jwks FILE | --secret-file FILE --alg ALG) [--alg ALG]... "
     "[--iss S] [--aud S]... [--typ S] [--leeway SECONDS] [--require CLAIM]... "
     "[--now UNIX_SECONDS] (TOKEN | -)",
     "Verifies TOKEN. Prints {\"header\":{...},\"claims\":{...}} and exits 0\n"
     "when valid; exits 1 when rejected. The allow-list is --alg, or else the keys' own\n"
     "algorithms. exp is always required; --require adds claims.\n"
     "`-` reads the token from stdin, out of the process list: prefer it to the token itself.\n",
     verify_options, verify},
    {"inspect",
     "jwtfort inspect (TOKEN | -)",
     "Decodes TOKEN without verifying it and prints\n"
     "{\"verified\":false,\"header\":{...},\"claims\":{...}}. Exits 1 when it does not parse.\n"
     "`-` reads the token from stdin, out of the process list: prefer it to the token itself.\n",
     {},
     inspect},
};

// Every command, core first, for dispatch and help.
std::vector<const command*> all_commands() {
  std::vector<const command*> out;
  for (const command& c : core_commands) out.push_back(&c);
  for (const command& c : life_cycle_commands()) out.push_back(&c);
  return out;
}

// The command named by the first one or two words; `words` is how many it took.
const command* find_command(std::span<const std::string_view> args, std::size_t& words) {
  for (const command* c : all_commands()) {
    std::string_view name = c->name;
    auto space = name.find(' ');
    if (space == std::string_view::npos && name == args[0]) return words = 1, c;
    if (space != std::string_view::npos && args.size() > 1 && name.substr(0, space) == args[0] &&
        name.substr(space + 1) == args[1])
      return words = 2, c;
  }
  return nullptr;
}

bool is_group(std::string_view word) {
  for (const command* c : all_commands())
    if (c->name.starts_with(word) && c->name.size() > word.size() && c->name[word.size()] == ' ')
      return true;
  return false;
}

std::string tool_help() {
  std::string out = "usage: " + std::string(tool_synopsis) + "\n\n";
  for (const command* c : all_commands()) out += "  " + std::string(c->synopsis) + "\n";
  out +=
      "\nThe token, keys and store commands read keys, store and lifetimes from the environment\n"
      "(AUTHJWT_*, JWTFORT_*) or from --config FILE (.toml, .json or .env).\n"
      "Give a TOKEN as `-` and the token on stdin: an argument is visible to every user of the\n"
      "machine in the process list.\n"
      "Exit status: 0 valid or done, 1 token rejected, 2 usage or configuration error,\n"
      "3 token store unavailable. Run `jwtfort COMMAND --help` for one command.\n";
  return out;
}

std::string command_help_text(const command& c) {
  return "usage: " + std::string(c.synopsis) + "\n\n" + std::string(c.details);
}

}  // namespace

std::string_view synopsis(std::span<const std::string_view> args) {
  std::size_t words = 0;
  const command* c = args.empty() ? nullptr : find_command(args, words);
  return c != nullptr ? c->synopsis : tool_synopsis;
}

outcome<std::string> run(std::span<const std::string_view> args) {
  if (args.empty()) return failure::usage("missing COMMAND");
  std::string_view first = args.front();
  if (first == "--help" || first == "-h") return tool_help();
  if (first == "--version") return std::string("jwtfort " JWTFORT_VERSION "\n");
  std::size_t words = 0;
  if (const command* c = find_command(args, words)) {
    auto rest = args.subspan(words);
    auto parsed = parse_args(rest, c->options);
    // --help wins over any other mistake on the line.
    if (!parsed && !asks_for_help(rest)) return parsed.error();
    if (!parsed || parsed->help) return command_help_text(*c);
    return c->run(*parsed);
  }
  if (first.starts_with("-")) return failure::usage("unknown option " + std::string(first));
  if (is_group(first)) return failure::usage("unknown " + std::string(first) + " command");
  // The word is not echoed: a token pasted in the wrong place must not land in a log.
  return failure::usage(
      "unknown command; expected keygen, jwks, sign, verify, inspect, token, keys or store");
}

}  // namespace jwtfort::cli
