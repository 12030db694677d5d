#pragma once
// The assertions every C++ test tree (unit, integration, server) uses on result<T>: EXPECT_OK,
// EXPECT_ERRC and their ASSERT_ forms, `outcome` for comparing the code and message exactly,
// `must` for setup steps that cannot fail, and errc printed by its wire name in gtest messages.
// Depends on gtest and the public result/errc headers only, so any test may include it.

#include <gtest/gtest.h>

#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "jwtfort/error.hpp"
#include "jwtfort/result.hpp"

namespace jwtfort {
// A failed EXPECT_EQ on codes prints the wire name, not a bare number.
inline void PrintTo(errc code, std::ostream* os) {
  *os << to_string(code) << " (" << static_cast<int>(code) << ")";
}
}  // namespace jwtfort

/// Expects `expr` (a result<T>) to fail with exactly `expected`; accepts `<< context`.
#define EXPECT_ERRC(expr, expected) EXPECT_PRED_FORMAT2(::jwtfort::test::has_errc, expr, expected)
#define ASSERT_ERRC(expr, expected) ASSERT_PRED_FORMAT2(::jwtfort::test::has_errc, expr, expected)
/// Expects `expr` (a result<T>) to succeed; prints the code and message otherwise.
#define EXPECT_OK(expr) EXPECT_PRED_FORMAT1(::jwtfort::test::is_ok, expr)
#define ASSERT_OK(expr) ASSERT_PRED_FORMAT1(::jwtfort::test::is_ok, expr)

namespace jwtfort::test {

template <class R>
testing::AssertionResult has_errc(const char* expr, const char*, const R& r, errc expected) {
  if (r.has_value())
    return testing::AssertionFailure() << expr << " succeeded; expected " << to_string(expected);
  if (r.code() != expected)
    return testing::AssertionFailure()
           << expr << " failed with " << to_string(r.code()) << " (" << r.error().message
           << "); expected " << to_string(expected);
  return testing::AssertionSuccess();
}

template <class R>
testing::AssertionResult is_ok(const char* expr, const R& r) {
  if (r.has_value()) return testing::AssertionSuccess();
  return testing::AssertionFailure()
         << expr << " failed with " << to_string(r.code()) << ": " << r.error().message;
}

/// "ok", or the wire name and message of the error: one comparison checks both exactly.
template <class R>
std::string outcome(const R& r) {
  return r ? "ok" : std::string(to_string(r.code())) + ": " + r.error().message;
}

/// The value of `r`, or an exception (which gtest reports as a failure) naming the error.
template <class T>
T must(result<T> r, std::string_view what = "result") {
  if (!r)
    throw std::runtime_error(std::string(what) + " failed: " + std::string(to_string(r.code())) +
                             ": " + r.error().message);
  return std::move(*r);
}

inline void must(result<void> r, std::string_view what = "result") {
  if (!r)
    throw std::runtime_error(std::string(what) + " failed: " + std::string(to_string(r.code())) +
                             ": " + r.error().message);
}

}  // namespace jwtfort::test
