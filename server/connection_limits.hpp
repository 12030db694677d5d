#pragma once
// How many connections the server holds open, in all and per client address. A connection is
// admitted when it is accepted and holds a slot until it closes (a WebSocket keeps the slot of
// the HTTP connection it was upgraded from). At the total cap the connection that has waited
// longest for a request is shed to make room, so idle keep-alive sockets cannot lock clients
// out; a client address at its own cap is refused, so one address cannot take every descriptor.
//
// Marking a connection idle or busy is an atomic store, since it happens on every request; the
// search for the longest idle happens only at the cap, over a bounded sample of the slots (as
// approximated LRU caches do), so a flood of connections at the cap costs a bounded scan each.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

namespace jwtfort::server {

namespace net = boost::asio;

/// A connection that can be asked to close when it is idle.
class sheddable {
 public:
  virtual ~sheddable() = default;
  /// Runs on the connection's executor: close if still waiting for a request, else do not keep
  /// the connection alive after the current exchange.
  virtual void shed() = 0;
};

struct connection_caps {
  std::size_t total;
  std::size_t per_address;
};

/// The caps for the configured values (0 = derived): the total from the descriptor limit
/// (`open_files`) less a reserve for the stores, logs and key fetches; per address a sixteenth
/// of the total, or the total when every connection comes from one proxy (`behind_proxy`).
connection_caps derive_caps(std::int64_t max_connections, std::int64_t max_per_address,
                            std::uint64_t open_files, bool behind_proxy);

/// Raises the soft descriptor limit to the hard one and returns it (what `derive_caps` takes).
std::uint64_t raise_open_file_limit();

class connection_limits : public std::enable_shared_from_this<connection_limits> {
 public:
  /// The right of one connection to stay open; released when destroyed.
  class slot {
   public:
    slot() = default;
    slot(slot&&) noexcept;
    slot& operator=(slot&&) noexcept;
    slot(const slot&) = delete;
    slot& operator=(const slot&) = delete;
    ~slot();

    /// Names the connection holding the slot, once, so that it can be asked to close.
    void attach(std::weak_ptr<sheddable> c, net::any_io_executor executor);
    /// Waiting for the first byte of a request: the connection may be shed for another.
    /// Lock-free, as `busy`: they run on every request.
    void idle() noexcept;
    /// A request is on its way: no longer a candidate for shedding.
    void busy() noexcept;

   private:
    friend class connection_limits;
    struct handle;
    explicit slot(std::unique_ptr<handle> h);
    std::unique_ptr<handle> handle_;
  };

  enum class refusal { total, address };

  struct admission {
    std::optional<slot> admitted;
    refusal why = refusal::total;
  };

  explicit connection_limits(connection_caps caps);

  /// A slot for a connection from `client`, or why there is none.
  admission admit(const net::ip::address& client);

  connection_caps caps() const noexcept { return caps_; }
  /// Connections holding a slot now.
  std::size_t open() const;

 private:
  void release(slot::handle& h);
  // With the mutex held: asks the connection idle longest among a bounded sample to close.
  // False when none of them is idle.
  bool shed_longest_idle();

  const connection_caps caps_;
  mutable std::mutex mutex_;
  std::size_t open_ = 0;
  std::map<net::ip::address, std::size_t> per_address_;
  std::vector<slot::handle*> slots_;  // every admitted slot; a handle knows its index
  std::size_t shed_cursor_ = 0;       // where the next sample starts
};

}  // namespace jwtfort::server
