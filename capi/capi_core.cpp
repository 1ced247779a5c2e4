// C ABI: library-wide functions, error state and the hardened build's handle registry.
#include <fmt/core.h>

#include <cstdlib>
#include <cstring>

#include "crmkit/time.hpp"
#include "crmkit/version.hpp"
#include "handles.hpp"

namespace crmkit::capi {

namespace {
thread_local std::string t_last_error;
}

int fail(int status, const std::string& message) {
  try {
    t_last_error = message;
  } catch (...) {
    t_last_error.clear();
  }
  return status;
}

int ok() { return CRMKIT_OK; }

#if CRMKIT_HARDENED_HANDLES
namespace {
// Freed boxes kept before their memory is given back: a stale pointer cannot alias a handle
// made in the next 65536 frees (16 bytes each, 1 MiB at most).
constexpr size_t kQuarantinedHandles = size_t{1} << 16;
}  // namespace

HandleRegistry& HandleRegistry::instance() {
  static HandleRegistry* r = new HandleRegistry();  // never destroyed: handles may outlive statics
  return *r;
}

void HandleRegistry::add(const HandleBox* box, uint64_t magic) {
  std::lock_guard lock(mu_);
  live_[box] = magic;
}

bool HandleRegistry::contains(const void* p, uint64_t magic) const {
  std::lock_guard lock(mu_);
  auto it = live_.find(p);
  return it != live_.end() && it->second == magic;
}

void* HandleRegistry::retire(const void* p, uint64_t magic) {
  HandleBox* evicted = nullptr;
  void* object = nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = live_.find(p);
    if (it == live_.end() || it->second != magic) return nullptr;
    live_.erase(it);
    auto* box = static_cast<HandleBox*>(const_cast<void*>(p));
    object = box->object;
    box->header.magic.store(kDeadHandleMagic, std::memory_order_relaxed);
    try {
      quarantine_.push_back(box);
    } catch (const std::bad_alloc&) {
      evicted = box;  // no room to quarantine it: give it back at once
    }
    if (!evicted && quarantine_.size() > kQuarantinedHandles) {
      evicted = quarantine_.front();
      quarantine_.pop_front();
    }
  }
  delete evicted;
  return object;
}
#endif

int refuse_instant(const char* function, int64_t unix_seconds) {
  return fail(CRMKIT_EINVAL, fmt::format("{}: instant {} is outside the supported range {}", function, unix_seconds,
                                         kSupportedRangeText));
}

char* dup_string(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

}  // namespace crmkit::capi

using namespace crmkit;
using namespace crmkit::capi;

extern "C" {

const char* crmkit_version(void) { return CRMKIT_VERSION_STRING; }
int crmkit_version_number(void) { return CRMKIT_VERSION_NUMBER; }
const char* crmkit_last_error(void) { return t_last_error.c_str(); }
const char* crmkit_status_name(int status) {
  if (status < 0 || status > static_cast<int>(Errc::out_of_memory)) return "unknown";
  return errc_name(static_cast<Errc>(status));
}
void crmkit_string_free(char* s) { std::free(s); }

int crmkit_time_parse(const char* text, int64_t* out) {
  CRMKIT_REQUIRE(text);
  CRMKIT_REQUIRE(out);
  return guard([&] {
    const Instant t = parse_instant(text);
    if (!in_supported_range(t)) return refuse_instant("crmkit_time_parse", t.unix_seconds());
    *out = t.unix_seconds();
    return ok();
  });
}

int crmkit_time_format(int64_t t, char* buf, size_t size) {
  CRMKIT_REQUIRE(buf);
  if (size < 21) return fail(CRMKIT_EINVAL, "crmkit_time_format: buffer needs 21 bytes");
  // Outside the range the civil arithmetic overflows (INT64_MIN gave "9999-12-03T39:30:08Z").
  if (!in_supported_range(Instant::from_unix_seconds(t))) return refuse_instant("crmkit_time_format", t);
  format_utc(Instant::from_unix_seconds(t), buf);
  buf[20] = '\0';
  return ok();
}

}  // extern "C"
