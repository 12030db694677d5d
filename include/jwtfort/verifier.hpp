#pragma once
/// `verifier`: checks compact JWS tokens against an algorithm allow-list, a key set and claim
/// rules, following the RFC 7515 §5.2 steps and the RFC 8725 best practices.
///
/// A verifier is immutable after `create()` and safe to share between threads.
///
/// Example:
///   verifier_options o;
///   o.algorithms = {algorithm::hs256};
///   o.keys.add(*key::from_secret(secret, algorithm::hs256));
///   o.issuer = "https://auth.example.com";
///   auto v = verifier::create(std::move(o));
///   auto t = v->verify(token);
///   if (!t) return t.error();   // e.g. errc::expired
///   use(t->subject());

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jwtfort/algorithm.hpp"
#include "jwtfort/clock.hpp"
#include "jwtfort/export.hpp"
#include "jwtfort/key.hpp"
#include "jwtfort/key_set.hpp"
#include "jwtfort/result.hpp"
#include "jwtfort/token.hpp"

namespace jwtfort {

struct verifier_options {
  /// The accepted algorithms, chosen by the caller; required, never taken from the token.
  std::vector<algorithm> algorithms;
  /// Verification keys, looked up by `kid`.
  key_set keys;
  /// Expected `iss`: exact, case-sensitive match; unset = not checked.
  std::optional<std::string> issuer;
  /// Accepted audiences: `aud` (string or array) must contain one of them. When empty, a token
  /// that carries `aud` is rejected (RFC 7519 §4.1.3) unless `ignore_audience` is set.
  std::vector<std::string> audiences;
  /// Accept tokens with an `aud` even though no audience is configured. Loud on purpose.
  bool ignore_audience = false;
  /// Required `typ` (media type: case-insensitive, "application/" implied); unset = not checked.
  std::optional<std::string> type;
  /// Claims that must be present. `exp` is required by default.
  std::vector<std::string> required_claims = {"exp"};
  /// Clock skew tolerance in seconds for exp/nbf/iat; 0..300.
  std::int64_t leeway_seconds = 0;
  /// Header names (beyond the JWS ones) this application understands in `crit`.
  std::vector<std::string> understood_critical;
  /// Maximum token length in bytes, checked before decoding; 1..65536.
  std::size_t max_token_bytes = 8192;
  /// Where "now" comes from.
  jwtfort::clock clock = system_now;
};

class JWTFORT_API verifier {
 public:
  /// Validates the options. Errors: invalid_configuration (no algorithms, no keys, leeway or size
  /// out of range, an algorithm without a matching key).
  static result<verifier> create(verifier_options options);

  /// Verifies a compact token. Errors: any of the malformed, rejected and time groups.
  result<verified_token> verify(std::string_view token) const;

  const verifier_options& options() const noexcept { return options_; }

 private:
  explicit verifier(verifier_options o);
  struct accepted_header;
  result<const accepted_header*> accept_header(std::string_view segment) const;
  verifier_options options_;
  std::uint32_t allowed_mask_ = 0;        // bit per algorithm, for an O(1) allow-list check
  std::uint64_t serial_ = 0;              // identifies this configuration in per-thread caches
  std::uint8_t required_claim_bits_ = 0;  // the registered claims among required_claims
  std::vector<std::string> other_required_claims_;  // the others among required_claims
  bool system_clock_ = false;  // the clock is system_now (see check_time_window)
};

}  // namespace jwtfort
