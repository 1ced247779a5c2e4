#include "crmkit/error.hpp"

namespace crmkit {

const char* errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::ok: return "ok";
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::parse: return "parse";
    case Errc::not_found: return "not_found";
    case Errc::invalid_state: return "invalid_state";
    case Errc::permission: return "permission";
    case Errc::conflict: return "conflict";
    case Errc::io: return "io";
    case Errc::locked: return "locked";
    case Errc::version: return "version";
    case Errc::limit: return "limit";
    case Errc::corrupt: return "corrupt";
    case Errc::no_convergence: return "no_convergence";
    case Errc::internal: return "internal";
    case Errc::out_of_memory: return "out_of_memory";
  }
  return "unknown";
}

}  // namespace crmkit
