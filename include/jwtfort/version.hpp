#pragma once
/// What jwtfort runs on, for `--version` output, bug reports and security notices.

#include <string_view>

#include "jwtfort/export.hpp"

namespace jwtfort {

/// The crypto library that signs and verifies, as it names itself at run time, e.g.
/// "OpenSSL 3.0.15 3 Sep 2024". The library actually loaded, not the headers built against: a
/// Python wheel carries its own copy, and this is how a user learns which one.
JWTFORT_API std::string_view crypto_library_version() noexcept;

}  // namespace jwtfort
