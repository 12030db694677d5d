#pragma once
/// Decoded tokens. "Verified" is a type: claims are readable only from a `verified_token`, which
/// only `verifier::verify()` creates. `unverified_token` is for inspection and exposes the header
/// and the payload text, never typed claims.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jwtfort/algorithm.hpp"
#include "jwtfort/export.hpp"
#include "jwtfort/result.hpp"

namespace jwtfort {

class verifier;

/// A token whose signature and claims passed every check of a verifier. The views it returns
/// live as long as the token.
class JWTFORT_API verified_token {
 public:
  /// The header algorithm.
  algorithm alg() const noexcept { return alg_; }
  /// The header `kid`, empty when absent.
  std::string_view key_id() const noexcept { return view(kid_); }
  /// The decoded header JSON object text.
  std::string_view header_json() const noexcept { return view(header_); }
  /// The decoded claims JSON object text.
  std::string_view claims_json() const noexcept { return view(payload_); }

  /// Registered claims; empty/nullopt when absent.
  std::string_view subject() const noexcept { return view(sub_); }
  std::string_view issuer() const noexcept { return view(iss_); }
  std::string_view jwt_id() const noexcept { return view(jti_); }
  std::optional<std::int64_t> expires_at() const noexcept { return exp_; }
  std::optional<std::int64_t> not_before() const noexcept { return nbf_; }
  std::optional<std::int64_t> issued_at() const noexcept { return iat_; }

  /// True when the claim is present (any type).
  bool has_claim(std::string_view name) const;
  /// The claim's JSON value text (strings quoted), or nullopt when absent.
  std::optional<std::string> claim_json(std::string_view name) const;
  /// The claim as a string; nullopt when absent or not a string. Embedded NULs are kept.
  std::optional<std::string> string_claim(std::string_view name) const;
  /// The claim as a signed integer; nullopt when absent, not an integer, or out of range.
  std::optional<std::int64_t> integer_claim(std::string_view name) const;
  /// The claim as a boolean; nullopt when absent or not a boolean.
  std::optional<bool> bool_claim(std::string_view name) const;
  /// The claim as a list of strings (a string gives a list of one); nullopt when absent or of
  /// another type.
  std::optional<std::vector<std::string>> string_list_claim(std::string_view name) const;

 private:
  friend class verifier;
  // All text lives in one buffer (one allocation per verified token); fields are offsets in it.
  struct slice {
    std::uint32_t offset = 0, size = 0;
  };
  std::string_view view(slice s) const noexcept { return {data_.data() + s.offset, s.size}; }
  slice append(std::string_view text) {
    slice s{static_cast<std::uint32_t>(data_.size()), static_cast<std::uint32_t>(text.size())};
    data_.append(text);
    return s;
  }
  verified_token() = default;
  algorithm alg_{};
  std::string data_;
  slice kid_, header_, payload_, sub_, iss_, jti_;
  std::optional<std::int64_t> exp_, nbf_, iat_;
};

/// A token decoded without any verification, for debugging and for routing (`kid`, `alg`).
class JWTFORT_API unverified_token {
 public:
  /// Splits and decodes a compact token and parses header and payload as strict JSON objects.
  /// Nothing is verified. Errors: the malformed group (malformed_token, invalid_base64,
  /// invalid_json, duplicate_member, json_too_complex, token_too_large).
  static result<unverified_token> decode(std::string_view token);

  const std::string& header_json() const noexcept { return header_; }
  /// The payload JSON text, not trusted.
  const std::string& payload_json() const noexcept { return payload_; }
  /// The header `alg` and `kid` as strings, empty when absent or not strings.
  const std::string& alg_name() const noexcept { return alg_; }
  const std::string& key_id() const noexcept { return kid_; }

 private:
  std::string header_, payload_, alg_, kid_;
};

}  // namespace jwtfort
