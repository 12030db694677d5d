#pragma once
// The one bounded GET every remote key source uses (remote_jwks, trusted_issuers' discovery and
// JWKS): https:// only (http:// to loopback), no redirects, no credentials in the URL, a size and
// a time limit, an optional private CA bundle. Implemented in remote_jwks.cpp, the only file that
// includes libcurl.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "jwtfort/result.hpp"

namespace jwtfort::detail {

struct https_get_limits {
  std::size_t max_bytes = 256 * 1024;
  std::chrono::milliseconds timeout{3000};
  std::string ca_file;  // PEM CA bundle instead of the system's; empty: the system's
  // When set, a transfer in progress is abandoned soon after it turns true (shutdown).
  const std::atomic<bool>* cancel = nullptr;
};

// Checks that `url` may be fetched: absolute, no user information, https:// or http:// to
// 127.0.0.1, [::1] or localhost. Returns the scheme as libcurl parsed it (the only protocol the
// GET may then use). Errors: invalid_configuration, the message naming `field`.
result<std::string> check_fetch_url(std::string_view field, const std::string& url);

// One GET of `url` (checked by check_fetch_url, which gave `scheme`) within `limits`. The body is
// returned only for a 200. Errors: jwks_unavailable, the message "<what> <url>: <why>" (status,
// size, time, TLS, a redirect); internal_error when libcurl cannot set up a request.
result<std::string> https_get(const std::string& url, const std::string& scheme,
                              const https_get_limits& limits, const char* accept,
                              std::string_view what);

}  // namespace jwtfort::detail
