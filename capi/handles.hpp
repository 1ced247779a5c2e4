// Handle bookkeeping for the C ABI: every handle given out is registered with its type, so a
// freed or foreign pointer is refused with CRMKIT_EINVAL rather than dereferenced.
#pragma once

#include <fmt/core.h>

#include <mutex>
#include <new>
#include <shared_mutex>
#include <string>
#include <typeinfo>
#include <unordered_map>

#include "crmkit.h"
#include "crmkit/error.hpp"

namespace crmkit::capi {

/// Sets the thread's last-error message and returns the status.
int fail(int status, const std::string& message);
int ok();

class HandleRegistry {
 public:
  static HandleRegistry& instance();
  void add(const void* p, const std::type_info& type);
  /// Removes p if registered with `type`; returns whether it was.
  bool remove(const void* p, const std::type_info& type);
  bool contains(const void* p, const std::type_info& type) const;

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<const void*, const std::type_info*> live_;
};

template <class T>
T* make_handle(T* p) {
  HandleRegistry::instance().add(p, typeid(T));
  return p;
}

/// The handle as T*, or nullptr (with the last error set) when it is not a live T.
template <class T>
T* check_handle(const void* h, const char* what) {
  if (!h) {
    fail(CRMKIT_EINVAL, fmt::format("{} is NULL", what));
    return nullptr;
  }
  if (!HandleRegistry::instance().contains(h, typeid(T))) {
    fail(CRMKIT_EINVAL, fmt::format("{} is not a live handle (freed, or of another type)", what));
    return nullptr;
  }
  return const_cast<T*>(static_cast<const T*>(h));
}

template <class T>
void free_handle(T* p) {
  if (p && HandleRegistry::instance().remove(p, typeid(T))) delete p;
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
