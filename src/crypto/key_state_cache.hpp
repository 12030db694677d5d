#pragma once
// A small cache of state prepared from a key (HMAC midstates, OpenSSL verification contexts),
// meant to be `thread_local`: nothing is shared between threads, so nothing is locked.

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "jwtfort/algorithm.hpp"

namespace jwtfort::crypto {

/// The prepared state of a thread's eight most recently used keys, looked up by the key's
/// process-unique serial (never 0, which marks an empty slot) and the algorithm. A new key takes
/// the oldest slot (round robin); the state it replaces is destroyed then, and the rest when the
/// thread exits.
template <class State>
class key_state_cache {
 public:
  /// The state stored for this key and algorithm, or nullptr.
  const State* find(std::uint64_t serial, algorithm alg) const {
    for (const entry& e : entries_)
      if (e.serial == serial && e.alg == alg) return &e.state;
    return nullptr;
  }

  /// Stores `state` for this key and algorithm in the oldest slot and returns it.
  const State& put(std::uint64_t serial, algorithm alg, State state) {
    entry& e = entries_[next_++ % entries_.size()];
    e.state = std::move(state);
    e.serial = serial;
    e.alg = alg;
    return e.state;
  }

 private:
  struct entry {
    std::uint64_t serial = 0;  // 0 marks an empty slot: key serials start at 1
    algorithm alg{};
    State state{};
  };
  std::array<entry, 8> entries_{};
  std::size_t next_ = 0;
};

}  // namespace jwtfort::crypto
