// Handle bookkeeping for the C ABI. A handle given out points to a HandleBox: a type-specific
// 64-bit magic word, then the object. check_handle compares the magic with one relaxed atomic
// load, without a lock (as SQLite's sqlite3SafetyCheck does); free_handle swaps in a "dead" word
// before deleting. Detection of freed or foreign pointers is therefore best effort: freed memory
// may be reused by a new handle of the same type.
//
// The hardened build (CMake option CRMKIT_HARDENED_HANDLES, on in the sanitizer and fuzz builds)
// keeps a registry of the live handles and their type, and a quarantine of freed boxes whose
// memory is not given back while they are quarantined: a freed or foreign pointer is then never
// read (ASan would report the read) and a stale pointer never aliases a newer handle.
#pragma once

#include <fmt/core.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>

#include "crmkit.h"
#include "crmkit/error.hpp"

#ifndef CRMKIT_HARDENED_HANDLES
#define CRMKIT_HARDENED_HANDLES 0
#endif

namespace crmkit::capi {

/// Sets the thread's last-error message and returns the status.
int fail(int status, const std::string& message);
int ok();
/// fail(CRMKIT_EINVAL) for an instant outside the supported range, naming the function.
int refuse_instant(const char* function, int64_t unix_seconds);

/// The magic word of each handle type (eight ASCII letters, so a memory dump shows them). Not
/// defined for other types: a new handle type must choose its own word here.
template <class T>
struct HandleMagic;
template <>
struct HandleMagic<crmkit_calendar> {
  static constexpr uint64_t value = 0x52444e4c41434b43ULL;  // "CKCALNDR" in memory
};
template <>
struct HandleMagic<crmkit_policy> {
  static constexpr uint64_t value = 0x5943494c4f504b43ULL;  // "CKPOLICY"
};
template <>
struct HandleMagic<crmkit_clocks> {
  static constexpr uint64_t value = 0x534b434f4c434b43ULL;  // "CKCLOCKS"
};
template <>
struct HandleMagic<crmkit_engine> {
  static constexpr uint64_t value = 0x454e49474e454b43ULL;  // "CKENGINE"
};
/// What free_handle leaves in a box: matches no type.
inline constexpr uint64_t kDeadHandleMagic = 0x4448444145444b43ULL;  // "CKDEADHD"

/// The common header of every handle: the magic word at offset 0.
struct HandleHeader {
  std::atomic<uint64_t> magic;
};

/// What a handle pointer points to. The object is allocated by the caller of make_handle, so a
/// type defined elsewhere (crmkit_engine, an aggregate) needs no base class.
struct HandleBox {
  HandleHeader header;
  void* object;
};

#if CRMKIT_HARDENED_HANDLES
/// The hardened build's registry (one lock; only the hardened build takes it).
class HandleRegistry {
 public:
  static HandleRegistry& instance();
  void add(const HandleBox* box, uint64_t magic);
  bool contains(const void* p, uint64_t magic) const;
  /// If p is a live box of this magic: marks it dead, unregisters it, quarantines its memory
  /// (giving back the oldest quarantined box past the quarantine's size) and returns its object;
  /// else nullptr.
  void* retire(const void* p, uint64_t magic);

 private:
  mutable std::mutex mu_;
  std::unordered_map<const void*, uint64_t> live_;
  std::deque<HandleBox*> quarantine_;
};
#endif

namespace handles_impl {
/// The box behind a handle if it is a live handle of this magic, else nullptr. No lock in the
/// default build: one relaxed load (the handle's creation happened before it was given out).
inline HandleBox* live_box(const void* h, uint64_t magic) {
#if CRMKIT_HARDENED_HANDLES
  if (!HandleRegistry::instance().contains(h, magic)) return nullptr;
#endif
  auto* box = static_cast<HandleBox*>(const_cast<void*>(h));
  return box->header.magic.load(std::memory_order_relaxed) == magic ? box : nullptr;
}

/// Marks the box dead if it is live with this magic and returns its object; nullptr for a
/// second free or a foreign pointer.
inline void* retire_box(void* h, uint64_t magic) {
#if CRMKIT_HARDENED_HANDLES
  return HandleRegistry::instance().retire(h, magic);
#else
  // A compare-exchange: of two threads freeing one handle, only one deletes it.
  auto* box = static_cast<HandleBox*>(h);
  uint64_t expected = magic;
  if (!box->header.magic.compare_exchange_strong(expected, kDeadHandleMagic, std::memory_order_acq_rel)) return nullptr;
  void* object = box->object;
  delete box;
  return object;
#endif
}
}  // namespace handles_impl

/// Wraps a new object into a handle (takes ownership of p, also when it throws).
template <class T>
T* make_handle(T* p) {
  std::unique_ptr<T> object(p);
  auto box = std::make_unique<HandleBox>();
  box->header.magic.store(HandleMagic<T>::value, std::memory_order_relaxed);
  box->object = p;
#if CRMKIT_HARDENED_HANDLES
  HandleRegistry::instance().add(box.get(), HandleMagic<T>::value);
#endif
  object.release();
  // The C side only ever sees an opaque pointer; check_handle turns it back into the T*.
  return reinterpret_cast<T*>(box.release());
}

/// The object behind a handle as T*, or nullptr (with the last error set) when it is NULL or not
/// a live T handle.
template <class T>
T* check_handle(const void* h, const char* what) {
  if (!h) {
    fail(CRMKIT_EINVAL, fmt::format("{} is NULL", what));
    return nullptr;
  }
  HandleBox* box = handles_impl::live_box(h, HandleMagic<T>::value);
  if (!box) {
    fail(CRMKIT_EINVAL, fmt::format("{} is not a live handle (freed, or of another type)", what));
    return nullptr;
  }
  return static_cast<T*>(box->object);
}

/// Frees a handle made by make_handle. NULL, a second free and a handle of another type are
/// ignored (best effort in the default build, reliably in the hardened one).
template <class T>
void free_handle(T* h) {
  if (h) delete static_cast<T*>(handles_impl::retire_box(h, HandleMagic<T>::value));
}

/// Runs f() and maps any exception to a status with the message recorded.
template <class F>
int guard(F&& f) noexcept {
  try {
    return f();
  } catch (const Error& e) {
    return fail(static_cast<int>(e.code()), e.what());
  } catch (const std::bad_alloc&) {
    return fail(CRMKIT_ENOMEM, "out of memory");
  } catch (const std::exception& e) {
    return fail(CRMKIT_EINTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(CRMKIT_EINTERNAL, "internal error: unknown exception");
  }
}

/// Copies a std::string into a malloc'ed C string for the caller (freed by crmkit_string_free).
char* dup_string(const std::string& s);

}  // namespace crmkit::capi

#define CRMKIT_REQUIRE(ptr) \
  do { if (!(ptr)) return ::crmkit::capi::fail(CRMKIT_EINVAL, #ptr " is NULL"); } while (0)
