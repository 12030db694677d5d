#pragma once
// A bounded memory of tokens that passed verification, by their exact text, so that a client
// sending the same token on every request pays for the signature check and the JSON parsing
// once (as Envoy's jwt_authn cache does). Only what depends on the token's bytes alone is
// remembered: the signature, the header, the claims' types, the token type and issuer. The
// caller still checks the time window and revocation on every hit.
//
// Sharded: each shard is a mutex and a hash map, so threads rarely wait on each other. A full
// shard drops an arbitrary entry: the cache is an accelerator, a miss only costs a verify.
#include <array>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "jwtfort/token.hpp"
#include "jwtfort/tokens.hpp"

namespace jwtfort::detail {

class verified_cache {
 public:
  explicit verified_cache(std::size_t capacity)
      : per_shard_(capacity / shard_count + (capacity % shard_count != 0)) {}

  /// A copy of the remembered token when `token` verified before as a token of `type`.
  std::optional<verified_token> find(std::string_view token, token_type type) const {
    const std::size_t h = hash{}(token);
    const shard& s = shards_[h % shard_count];
    std::lock_guard lock(s.mutex);
    auto it = s.entries.find(token);
    if (it == s.entries.end() || it->second.type != type) return std::nullopt;
    return it->second.token;
  }

  void insert(std::string_view token, token_type type, const verified_token& verified) {
    const std::size_t h = hash{}(token);
    shard& s = shards_[h % shard_count];
    std::lock_guard lock(s.mutex);
    if (s.entries.size() >= per_shard_ && !s.entries.contains(token))
      s.entries.erase(s.entries.begin());
    s.entries.insert_or_assign(std::string(token), entry{type, verified});
  }

 private:
  static constexpr std::size_t shard_count = 16;

  // Transparent, so that a lookup by string_view builds no std::string.
  struct hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  struct entry {
    token_type type;
    verified_token token;
  };
  struct shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, entry, hash, std::equal_to<>> entries;
  };

  std::size_t per_shard_;
  std::array<shard, shard_count> shards_;
};

}  // namespace jwtfort::detail
