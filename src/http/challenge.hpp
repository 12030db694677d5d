#pragma once
// The translation table behind `challenge_for`, with the one input the public function lacks:
// the scopes the route required, for the `scope` attribute of an insufficient_scope challenge.

#include <span>
#include <string>

#include "jwtfort/http/authenticator.hpp"

namespace jwtfort::http {

/// `challenge_for(failure, options)`, plus `scope="..."` (RFC 6750 §3) listing `scopes` when
/// the failure is insufficient_scope and `scopes` is not empty.
challenge make_challenge(const error& failure, const authenticator_options& options,
                         std::span<const std::string> scopes);

}  // namespace jwtfort::http
