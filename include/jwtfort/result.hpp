#pragma once
/// `result<T>`: a value or an `error`, shaped like C++23 `std::expected<T, error>`.
///
/// Example:
///   auto k = key::from_pem(pem, algorithm::rs256);
///   if (!k) return k.error();

#include <cassert>
#include <utility>
#include <variant>

#include "jwtfort/error.hpp"

namespace jwtfort {

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}       // NOLINT: implicit
  result(jwtfort::error e) : state_(std::in_place_index<1>, std::move(e)) {}  // NOLINT: implicit
  result(errc c) : state_(std::in_place_index<1>, jwtfort::error(c)) {}       // NOLINT: implicit

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return check(), std::get<0>(state_); }
  const T& value() const& { return check(), std::get<0>(state_); }
  T&& value() && { return check(), std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The error; only valid when `!has_value()`.
  const jwtfort::error& error() const& { return std::get<1>(state_); }
  jwtfort::error&& error() && { return std::get<1>(std::move(state_)); }
  /// Shorthand for `error().code`.
  errc code() const { return std::get<1>(state_).code; }

 private:
  void check() const { assert(has_value() && "result has no value"); }
  std::variant<T, jwtfort::error> state_;
};

template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(jwtfort::error e) : error_(std::move(e)), failed_(true) {}  // NOLINT: implicit
  result(errc c) : error_(c), failed_(true) {}                       // NOLINT: implicit

  bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return has_value(); }
  const jwtfort::error& error() const& { return error_; }
  jwtfort::error&& error() && { return std::move(error_); }
  errc code() const { return error_.code; }

 private:
  jwtfort::error error_{errc::internal_error, {}};
  bool failed_ = false;
};

}  // namespace jwtfort
