#include "connection_limits.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <chrono>
#include <utility>

namespace jwtfort::server {
namespace {

// Descriptors kept for what is not a client connection: the SQLite files, Redis connections,
// remote JWKS fetches, the log, the signal pipe and the listening sockets.
constexpr std::uint64_t reserved_descriptors = 128;
constexpr std::size_t smallest_total = 16;
constexpr std::size_t address_share = 16;
// How many slots one search for an idle connection looks at, at the most.
constexpr std::size_t shed_sample = 256;

std::int64_t steady_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

connection_caps derive_caps(std::int64_t max_connections, std::int64_t max_per_address,
                            std::uint64_t open_files, bool behind_proxy) {
  connection_caps caps{};
  if (max_connections > 0) {
    caps.total = static_cast<std::size_t>(max_connections);
  } else {
    const std::uint64_t usable =
        open_files > reserved_descriptors ? open_files - reserved_descriptors : 0;
    caps.total = std::max<std::size_t>(smallest_total, static_cast<std::size_t>(usable));
  }
  if (max_per_address > 0) {
    caps.per_address = static_cast<std::size_t>(max_per_address);
  } else {
    caps.per_address =
        behind_proxy ? caps.total : std::max<std::size_t>(1, caps.total / address_share);
  }
  caps.per_address = std::min(caps.per_address, caps.total);
  return caps;
}

std::uint64_t raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur != limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? 1U << 20 : static_cast<std::uint64_t>(limit.rlim_cur);
}

// --- slot

struct connection_limits::slot::handle {
  std::shared_ptr<connection_limits> owner;
  net::ip::address client;
  std::size_t index = 0;  // in the owner's slots_, guarded by its mutex
  // When the connection started waiting for a request (steady clock, ns); 0 while busy.
  std::atomic<std::int64_t> idle_since{0};
  std::weak_ptr<sheddable> connection;  // set once by attach, under the owner's mutex
  net::any_io_executor executor;
};

connection_limits::slot::slot(std::unique_ptr<handle> h) : handle_(std::move(h)) {}

connection_limits::slot::slot(slot&&) noexcept = default;

connection_limits::slot& connection_limits::slot::operator=(slot&& other) noexcept {
  if (this != &other) {
    if (handle_) handle_->owner->release(*handle_);
    handle_ = std::move(other.handle_);
  }
  return *this;
}

connection_limits::slot::~slot() {
  if (handle_) handle_->owner->release(*handle_);
}

void connection_limits::slot::attach(std::weak_ptr<sheddable> c, net::any_io_executor executor) {
  if (!handle_) return;
  std::lock_guard lock(handle_->owner->mutex_);
  handle_->connection = std::move(c);
  handle_->executor = std::move(executor);
}

void connection_limits::slot::idle() noexcept {
  if (handle_) handle_->idle_since.store(steady_now_ns(), std::memory_order_relaxed);
}

void connection_limits::slot::busy() noexcept {
  if (handle_) handle_->idle_since.store(0, std::memory_order_relaxed);
}

// --- connection_limits

connection_limits::connection_limits(connection_caps caps) : caps_(caps) {}

connection_limits::admission connection_limits::admit(const net::ip::address& client) {
  std::lock_guard lock(mutex_);
  auto& from_client = per_address_[client];
  if (from_client >= caps_.per_address) {
    if (from_client == 0) per_address_.erase(client);
    return {.admitted = std::nullopt, .why = refusal::address};
  }
  // At the cap, room is made by shedding an idle connection: the count stays above the cap only
  // for the moment that connection takes to close.
  if (open_ >= caps_.total && !shed_longest_idle()) {
    if (from_client == 0) per_address_.erase(client);
    return {.admitted = std::nullopt, .why = refusal::total};
  }
  ++from_client;
  ++open_;
  auto h = std::make_unique<slot::handle>();
  h->owner = shared_from_this();
  h->client = client;
  h->index = slots_.size();
  slots_.push_back(h.get());
  return {.admitted = slot(std::move(h)), .why = refusal::total};
}

std::size_t connection_limits::open() const {
  std::lock_guard lock(mutex_);
  return open_;
}

void connection_limits::release(slot::handle& h) {
  std::lock_guard lock(mutex_);
  slots_[h.index] = slots_.back();
  slots_[h.index]->index = h.index;
  slots_.pop_back();
  --open_;
  auto it = per_address_.find(h.client);
  if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
}

bool connection_limits::shed_longest_idle() {
  const std::size_t n = slots_.size();
  const std::size_t sample = std::min(n, shed_sample);
  slot::handle* oldest = nullptr;
  std::int64_t oldest_since = 0;
  for (std::size_t i = 0; i < sample; ++i) {
    slot::handle* h = slots_[(shed_cursor_ + i) % n];
    const std::int64_t since = h->idle_since.load(std::memory_order_relaxed);
    if (since != 0 && (oldest == nullptr || since < oldest_since)) {
      oldest = h;
      oldest_since = since;
    }
  }
  shed_cursor_ = n == 0 ? 0 : (shed_cursor_ + sample) % n;
  // Claimed here, so that the next admission picks another; a connection that turned busy in
  // the meantime is not shed.
  if (oldest == nullptr ||
      !oldest->idle_since.compare_exchange_strong(oldest_since, 0, std::memory_order_relaxed))
    return false;
  // Only a weak reference crosses: were this the connection's last owner, destroying it here
  // would release its slot under the mutex this thread holds.
  net::post(oldest->executor, [connection = oldest->connection] {
    if (auto c = connection.lock()) c->shed();
  });
  return true;
}

}  // namespace jwtfort::server
