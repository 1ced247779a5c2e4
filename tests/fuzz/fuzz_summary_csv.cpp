// Summary CSV: refused with crmkit::Error or read; small tables are fitted and predicted.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crmkit/error.hpp"
#include "crmkit/value.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace crmkit;
  using namespace crmkit::value;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    SummaryTable s = read_summary_csv(text);
    if (s.rows.empty() || s.rows.size() > 64) return 0;
    FitOptions o;
    o.max_iterations = 60;
    BgNbd bg = BgNbd::fit(s.rows, o).model;
    GammaGamma gg{6.25, 3.74, 15.44};
    auto values = predict(bg, gg, s.rows, 39);
    (void)win_back_ranking(values, 0.5, 5);
  } catch (const Error&) {
  }
  return 0;
}
