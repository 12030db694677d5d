#pragma once
// One owning pointer type for every OpenSSL handle: `openssl_ptr<BIGNUM, BN_clear_free>` frees
// with the function OpenSSL pairs with the handle's constructor. Private to src/crypto.

#include <memory>

namespace jwtfort::crypto {

template <auto Free>
struct openssl_free {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};

template <class T, auto Free>
using openssl_ptr = std::unique_ptr<T, openssl_free<Free>>;

}  // namespace jwtfort::crypto
