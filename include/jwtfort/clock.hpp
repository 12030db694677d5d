#pragma once
/// Injectable time. Every exp/nbf/iat decision reads a `clock`, so tests can fix "now".

#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>

namespace jwtfort {

/// Returns the current time as whole seconds since the Unix epoch (a JWT NumericDate).
using clock = std::function<std::int64_t()>;

/// The real wall clock, in whole seconds. std::time is what it reads: on Linux a vDSO read of the
/// kernel's seconds counter, a few nanoseconds, where system_clock::now() reads the nanosecond
/// clock (about 20 ns, a twentieth of an HS256 verification) only for it to be truncated.
inline std::int64_t system_now() noexcept { return static_cast<std::int64_t>(std::time(nullptr)); }

/// A clock that always answers `unix_seconds`.
///
/// Example: `options.clock = fixed_clock(1300819380);`
inline clock fixed_clock(std::int64_t unix_seconds) {
  return [unix_seconds] { return unix_seconds; };
}

}  // namespace jwtfort
