// Transaction CSV and CDNOW text: refused with crmkit::Error or read, summarized and scored.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crmkit/error.hpp"
#include "crmkit/value.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crmkit;
  using namespace crmkit::value;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto policy : {BadRowPolicy::stop, BadRowPolicy::skip}) {
    for (int format = 0; format < 2; ++format) {
      try {
        TransactionLog log = format == 0 ? read_transactions_csv(text, policy) : read_cdnow(text, policy);
        log.sort_customers_by_id();
        SummaryTable s = summarize(log, CivilDate{2030, 1, 1}, PeriodUnit::week);
        for (const auto& row : s.rows)
          if (!(row.t_x <= row.T) || row.x < 0) __builtin_trap();
      } catch (const Error&) {
      }
    }
  }
  return 0;
}
