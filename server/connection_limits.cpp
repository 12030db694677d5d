#include "connection_limits.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <utility>

namespace jwtfort::server {
namespace {

// Descriptors kept for what is not a client connection: the SQLite files, Redis connections,
// remote JWKS fetches, the log, the signal pipe and the listening sockets.
constexpr std::uint64_t reserved_descriptors = 128;
constexpr std::size_t smallest_total = 16;
constexpr std::size_t address_share = 16;

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
  std::optional<idle_list::iterator> idle_position;  // guarded by the owner's mutex
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

void connection_limits::slot::idle(std::weak_ptr<sheddable> c, net::any_io_executor executor) {
  if (handle_) handle_->owner->set_idle(*handle_, {std::move(c), std::move(executor), nullptr});
}

void connection_limits::slot::busy() {
  if (handle_) handle_->owner->set_busy(*handle_);
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
  return {.admitted = slot(std::move(h)), .why = refusal::total};
}

std::size_t connection_limits::open() const {
  std::lock_guard lock(mutex_);
  return open_;
}

void connection_limits::release(slot::handle& h) {
  std::lock_guard lock(mutex_);
  if (h.idle_position) idle_.erase(*h.idle_position);
  h.idle_position.reset();
  --open_;
  auto it = per_address_.find(h.client);
  if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
}

void connection_limits::set_idle(slot::handle& h, idle_entry e) {
  std::lock_guard lock(mutex_);
  if (h.idle_position) idle_.erase(*h.idle_position);
  e.owner = &h;
  h.idle_position = idle_.insert(idle_.end(), std::move(e));
}

void connection_limits::set_busy(slot::handle& h) {
  std::lock_guard lock(mutex_);
  if (h.idle_position) idle_.erase(*h.idle_position);
  h.idle_position.reset();
}

bool connection_limits::shed_longest_idle() {
  while (!idle_.empty()) {
    idle_entry e = std::move(idle_.front());
    idle_.pop_front();
    e.owner->idle_position.reset();
    if (auto c = e.c.lock()) {
      net::post(e.executor, [c] { c->shed(); });
      return true;
    }
  }
  return false;
}

}  // namespace jwtfort::server
