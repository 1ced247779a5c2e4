// A reader-writer lock in one 32-bit word, for the engine's apply/query locking.
//
// Why not std::shared_mutex: on the uncontended path glibc's rwlock unlock costs several atomic
// read-modify-writes, about 6 % of an engine apply(). Here an uncontended writer pays one
// compare-exchange to lock and one plain store to unlock; blocked threads sleep in
// std::atomic::wait (a futex) and are woken by notify_all, which costs one load when nobody waits.
// A waiting writer sets kPending so new readers queue behind it (no writer starvation).
// Meets the SharedMutex requirements: use it with std::unique_lock and std::shared_lock.
#pragma once

#include <atomic>
#include <cstdint>

namespace crmkit::detail {

class RwLock {
 public:
  RwLock() = default;
  RwLock(const RwLock&) = delete;
  RwLock& operator=(const RwLock&) = delete;

  void lock() noexcept {
    for (;;) {
      uint32_t cur = state_.load(std::memory_order_relaxed);
      if ((cur & ~kPending) == 0) {
        if (state_.compare_exchange_weak(cur, kWriter, std::memory_order_acquire, std::memory_order_relaxed)) return;
        continue;
      }
      if (!(cur & kPending) && !state_.compare_exchange_weak(cur, cur | kPending, std::memory_order_relaxed)) continue;
      state_.wait(cur | kPending, std::memory_order_relaxed);
    }
  }
  bool try_lock() noexcept {
    uint32_t cur = state_.load(std::memory_order_relaxed);
    return (cur & ~kPending) == 0 &&
           state_.compare_exchange_strong(cur, kWriter, std::memory_order_acquire, std::memory_order_relaxed);
  }
  void unlock() noexcept {
    state_.store(0, std::memory_order_release);  // a pending bit set meanwhile is re-set by its writer
    state_.notify_all();
  }

  void lock_shared() noexcept {
    for (;;) {
      uint32_t cur = state_.load(std::memory_order_relaxed);
      if (!(cur & (kWriter | kPending))) {
        if (state_.compare_exchange_weak(cur, cur + 1, std::memory_order_acquire, std::memory_order_relaxed)) return;
        continue;
      }
      state_.wait(cur, std::memory_order_relaxed);
    }
  }
  bool try_lock_shared() noexcept {
    uint32_t cur = state_.load(std::memory_order_relaxed);
    return !(cur & (kWriter | kPending)) &&
           state_.compare_exchange_strong(cur, cur + 1, std::memory_order_acquire, std::memory_order_relaxed);
  }
  void unlock_shared() noexcept {
    const uint32_t before = state_.fetch_sub(1, std::memory_order_release);
    if ((before & kReaders) == 1) state_.notify_all();  // the last reader out wakes a waiting writer
  }

 private:
  static constexpr uint32_t kWriter = 1u << 31;
  static constexpr uint32_t kPending = 1u << 30;
  static constexpr uint32_t kReaders = kPending - 1;
  std::atomic<uint32_t> state_{0};
};

}  // namespace crmkit::detail
