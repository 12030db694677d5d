#pragma once
/// Reading keys from files: PEM, one JWK or a JWKS (told apart by their content), and raw HMAC
/// secrets for --secret-file.

#include <span>
#include <string>
#include <vector>

#include "failure.hpp"
#include "jwtfort/algorithm.hpp"
#include "jwtfort/key.hpp"

namespace jwtfort::cli {

/// Loads every key in a key file. `candidates` are the algorithms (from --alg) to bind a key to
/// when the file does not name one: PEM keys, and RSA JWKs without "alg". Without candidates an
/// EC PEM key is bound by its curve (ES256/ES384/ES512) and an Ed25519/Ed448 PEM key to EdDSA;
/// an RSA PEM key then needs --alg.
/// Errors: configuration (invalid_configuration when unreadable, invalid_key, weak_key, ...),
/// usage (an RSA PEM key without --alg).
outcome<std::vector<key>> load_key_file(const std::string& path,
                                        std::span<const algorithm> candidates);

/// An HMAC key from the raw bytes of `path` (all of them: a trailing newline is part of the
/// secret). Errors: configuration (invalid_configuration when unreadable, weak_key, invalid_key).
outcome<key> load_secret_file(const std::string& path, algorithm alg);

/// Writes `text` to `path` with mode 0600 (set before any byte is written) through a temporary
/// file in the same directory and a rename, so a reader never sees half a key file and a crash
/// leaves the old one. Errors: configuration (invalid_configuration naming the OS reason).
outcome<bool> write_private_file(const std::string& path, std::string_view text);

/// Overwrites a buffer that held key material, before it is freed.
void wipe(std::string& text);

/// Reads a whole file, or stdin for "-", of at most 1 MiB.
/// Errors: configuration (invalid_configuration: unreadable or larger).
outcome<std::string> read_input(const std::string& path, std::string_view what);

/// The text of a TOKEN argument: the argument itself, or for "-" the one token on stdin, which
/// keeps it out of the process list. Whitespace around it (the usual trailing newline) is
/// dropped. Errors: usage (stdin empty, larger than 64 KiB, or holding more than one word),
/// configuration (invalid_configuration: stdin unreadable).
outcome<std::string> token_argument(const std::string& arg);

}  // namespace jwtfort::cli
