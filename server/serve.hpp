#pragma once
// The server's run loop: one io_context on N threads, the listener, and a graceful shutdown on
// SIGTERM or SIGINT.

#include <functional>
#include <string>

#include "app.hpp"
#include "jwtfort/result.hpp"
#include "request_log.hpp"

namespace jwtfort::server {

/// How long in-flight requests may take to finish once a shutdown began.
inline constexpr int shutdown_grace_seconds = 5;

/// Listens on `app.settings().listen` with `app.settings().threads` threads (0 = one per core),
/// calls `on_listening` with the URL actually bound (the real port when 0 was asked), and serves
/// until SIGTERM or SIGINT. Then it stops accepting, closes idle connections, lets requests in
/// flight finish for up to `shutdown_grace_seconds` (a second signal ends them at once), and
/// returns. Errors: invalid_configuration (bad or unusable listen address).
result<void> serve(application& app, const request_log& log,
                   const std::function<void(const std::string& url)>& on_listening);

}  // namespace jwtfort::server
