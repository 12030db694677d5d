#pragma once
// Runs a function every `interval` on its own thread until destroyed. Stores use it for the
// background purge, the SQLite sync and the Redis subscriber's reconnect loop.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>

namespace jwtfort::store_detail {

class periodic_task {
 public:
  periodic_task() = default;
  // An interval of zero starts nothing.
  periodic_task(std::chrono::milliseconds interval, std::function<void()> work) {
    if (interval.count() <= 0) return;
    thread_ = std::jthread([this, interval, work = std::move(work)](std::stop_token stop) {
      std::mutex m;
      std::unique_lock lock(m);
      while (!stop.stop_requested()) {
        wake_.wait_for(lock, stop, interval, [] { return false; });
        if (!stop.stop_requested()) work();
      }
    });
  }
  periodic_task(const periodic_task&) = delete;
  periodic_task& operator=(const periodic_task&) = delete;
  // Stops the loop and waits for a running `work()` to finish.
  ~periodic_task() { stop(); }
  void stop() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
  }

 private:
  std::condition_variable_any wake_;
  std::jthread thread_;
};

}  // namespace jwtfort::store_detail
