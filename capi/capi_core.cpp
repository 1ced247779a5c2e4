// C ABI: library-wide functions, error state and handle registry.
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

HandleRegistry& HandleRegistry::instance() {
  static HandleRegistry* r = new HandleRegistry();  // never destroyed: handles may outlive statics
  return *r;
}

void HandleRegistry::add(const void* p, const std::type_info& type) {
  std::unique_lock lock(mu_);
  live_[p] = &type;
}

bool HandleRegistry::remove(const void* p, const std::type_info& type) {
  std::unique_lock lock(mu_);
  auto it = live_.find(p);
  if (it == live_.end() || *it->second != type) return false;
  live_.erase(it);
  return true;
}

bool HandleRegistry::contains(const void* p, const std::type_info& type) const {
  std::shared_lock lock(mu_);
  auto it = live_.find(p);
  return it != live_.end() && *it->second == type;
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
    *out = parse_instant(text).unix_seconds();
    return ok();
  });
}

int crmkit_time_format(int64_t t, char* buf, size_t size) {
  CRMKIT_REQUIRE(buf);
  if (size < 21) return fail(CRMKIT_EINVAL, "crmkit_time_format: buffer needs 21 bytes");
  format_utc(Instant::from_unix_seconds(t), buf);
  buf[20] = '\0';
  return ok();
}

}  // extern "C"
