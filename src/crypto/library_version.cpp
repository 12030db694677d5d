// The loaded OpenSSL's own name for itself: the one place outside the crypto code that asks.
#include <openssl/crypto.h>

#include "jwtfort/version.hpp"

namespace jwtfort {

std::string_view crypto_library_version() noexcept { return OpenSSL_version(OPENSSL_VERSION); }

}  // namespace jwtfort
