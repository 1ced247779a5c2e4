// The C API driven by random call sequences: handles created, used, freed and used again
// (stale), NULL pointers, random numbers, random text. Every call must return a status; none
// may crash, leak or trip a sanitizer.
#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <vector>

#include "crmkit.h"

namespace {

class Input {
 public:
  Input(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  bool empty() const { return i_ >= n_; }
  uint8_t byte() { return i_ < n_ ? d_[i_++] : 0; }
  int64_t i64() {
    int64_t v = 0;
    for (int k = 0; k < 8; ++k) v = (v << 8) | byte();
    return v;
  }
  double f64() {
    int64_t bits = i64();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  /// A NUL-terminated string of up to `max` bytes from the input.
  std::string text(size_t max) {
    size_t len = byte() % (max + 1);
    std::string s;
    for (size_t k = 0; k < len && !empty(); ++k) s.push_back(static_cast<char>(byte()));
    return s;
  }

 private:
  const uint8_t* d_;
  size_t n_;
  size_t i_ = 0;
};

const char* kCalendars[] = {
    R"({"zone":"Asia/Shanghai","week":{"mon":[["09:00","12:00"],["13:30","18:00"]],"tue":[["09:00","18:00"]]},"holidays":["2026-10-01"],"workdays":{"2026-10-10":[["09:00","18:00"]]}})",
    R"({"zone":"America/New_York","week":{"sun":[["00:00","24:00"]]}})",
    R"({"zone":"UTC"})",
};

}  // namespace

const char* kEventTemplates[] = {
    R"({"id":"%s","case":"%s","type":"receive","at":"2026-03-02T09:%02d:00+08:00","actor":"u","role":"agent","data":{"channel":"phone","category":"service","severity":"normal","customer":"K"}})",
    R"({"id":"%s","case":"%s","type":"acknowledge","at":"2026-03-02T10:%02d:00+08:00","actor":"u","role":"agent"})",
    R"({"id":"%s","case":"%s","type":"dispatch","at":"2026-03-02T11:%02d:00+08:00","actor":"u","role":"agent","data":{"department":"d","owner":"o"}})",
    R"({"id":"%s","case":"%s","type":"resolve","at":"2026-03-03T11:%02d:00+08:00","actor":"u","role":"agent","data":{"resolution":"r"}})",
    R"({"id":"%s","case":"%s","type":"callback","at":"2026-03-04T11:%02d:00+08:00","actor":"u","role":"agent","data":{"outcome":"unreachable"}})",
    R"({"id":"%s","case":"%s","type":"compensate","at":"2026-03-03T12:%02d:00+08:00","actor":"u","role":"agent","data":{"amount":%s}})",
    R"({"id":"%s","case":"%s","type":"update","at":"2026-03-03T13:%02d:00+08:00","actor":"u","role":"agent","data":{"phone":"%s","justified":true}})",
};

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  static const std::string root = CRMKIT_SOURCE_DIR "/data/";
  crmkit_engine* engine = nullptr;
  bool engine_tried = false;
  crmkit_calendar* cals[4] = {nullptr, nullptr, nullptr, nullptr};
  std::vector<crmkit_calendar*> freed;  // stale pointers, used again on purpose
  int steps = 0;
  while (!in.empty() && steps++ < 64) {
    const uint8_t op = in.byte() % 17;
    const size_t slot = in.byte() % 4;
    crmkit_calendar* cal = cals[slot];
    int64_t out = 0;
    switch (op) {
      case 0: {  // create from a known-good or a random JSON
        if (cal) break;
        uint8_t which = in.byte();
        std::string json = which % 4 < 3 ? kCalendars[which % 4] : in.text(200);
        (void)crmkit_calendar_from_json(json.c_str(), &cals[slot]);
        break;
      }
      case 1:
        if (cal) {
          crmkit_calendar_free(cal);
          freed.push_back(cal);
          cals[slot] = nullptr;
        }
        break;
      case 2:
        (void)crmkit_calendar_add(cal, in.i64() % 40000000000LL, in.i64(), &out);
        break;
      case 3:
        (void)crmkit_calendar_between(cal, in.i64() % 40000000000LL, in.i64() % 40000000000LL, &out);
        break;
      case 4: {
        int w = 0;
        (void)crmkit_calendar_is_working(cal, in.i64(), &w);
        (void)crmkit_calendar_next_working(cal, in.i64() % 20000000000LL, &out);
        break;
      }
      case 5:
        if (!freed.empty()) (void)crmkit_calendar_add(freed[in.byte() % freed.size()], 0, 60, &out);
        break;
      case 6: {
        size_t n = in.byte() % 16;
        std::vector<int64_t> a(n), b(n), r(n);
        for (size_t k = 0; k < n; ++k) {
          a[k] = in.i64() % 20000000000LL;
          b[k] = in.i64() % 10000000;
        }
        (void)crmkit_calendar_add_batch(cal, a.data(), b.data(), n, r.data());
        (void)crmkit_calendar_between_batch(cal, a.data(), b.data(), n, r.data());
        break;
      }
      case 7: {
        char* json = nullptr;
        if (crmkit_calendar_to_json(cal, &json) == CRMKIT_OK) crmkit_string_free(json);
        break;
      }
      case 8: {
        std::string t = in.text(40);
        (void)crmkit_time_parse(t.c_str(), &out);
        char buf[32];
        (void)crmkit_time_format(in.i64(), buf, in.byte() % 32);
        break;
      }
      case 9: {  // value fits on random summaries
        size_t n = in.byte() % 12;
        std::vector<double> x(n), tx(n), T(n), m(n);
        for (size_t k = 0; k < n; ++k) {
          x[k] = in.byte() % 8;
          T[k] = in.byte() / 4.0;
          tx[k] = in.byte() % 2 ? T[k] * (in.byte() / 255.0) : in.f64();
          m[k] = in.byte() % 3 ? in.byte() : in.f64();
        }
        crmkit_bgnbd bg;
        crmkit_gammagamma gg;
        (void)crmkit_value_bgnbd_fit(x.data(), tx.data(), T.data(), n, &bg, nullptr);
        (void)crmkit_value_gammagamma_fit(x.data(), m.data(), n, &gg, nullptr, nullptr);
        break;
      }
      case 10: {  // predictions with random parameters and options
        crmkit_bgnbd bg{in.f64(), in.f64(), in.byte() / 50.0, in.byte() / 50.0};
        if (in.byte() % 2) bg = crmkit_bgnbd{0.243, 4.414, 0.793, 2.426};
        crmkit_gammagamma gg{6.25, 3.74 + in.byte() / 100.0 - 1.5, 15.44};
        crmkit_clv_options o;
        crmkit_clv_options_init(&o);
        o.horizon_months = in.byte() % 40 - 2;
        o.monthly_discount = in.byte() % 2 ? in.f64() : 0.01;
        o.period = in.byte() % 3;
        double x = in.byte() % 50, T = in.byte(), tx = T * (in.byte() / 255.0), m = in.byte(), r[4];
        (void)crmkit_value_predict(&bg, &gg, &x, &tx, &T, &m, 1, in.byte(), &o, &r[0], &r[1], &r[2], &r[3]);
        break;
      }
      case 11: {  // summaries with random indices and amounts
        size_t n = in.byte() % 16, k = in.byte() % 6;
        std::vector<uint32_t> c(n);
        std::vector<int32_t> d(n);
        std::vector<double> a(n), ox(k), otx(k), oT(k), om(k);
        std::vector<uint8_t> seen(k);
        for (size_t i = 0; i < n; ++i) {
          c[i] = in.byte() % 8;
          d[i] = static_cast<int32_t>(in.i64() % 100000);
          a[i] = in.byte() % 5 ? in.byte() : in.f64();
        }
        (void)crmkit_value_summarize(c.data(), d.data(), a.data(), n, k, static_cast<int32_t>(in.i64() % 100000),
                                     in.byte() % 3, ox.data(), otx.data(), oT.data(), om.data(), seen.data());
        // The same rows as minor units (any int64, also negative and near INT64_MAX) and scored.
        std::vector<int64_t> minor(n);
        for (size_t i = 0; i < n; ++i) minor[i] = in.byte() % 4 ? in.byte() : in.i64();
        (void)crmkit_value_summarize_minor(c.data(), d.data(), minor.data(), n, k, static_cast<int32_t>(in.i64() % 100000),
                                           in.byte() % 3, ox.data(), otx.data(), oT.data(), om.data(), seen.data());
        {
          std::vector<int32_t> rec(k);
          std::vector<int64_t> freq(k);
          std::vector<uint8_t> r(k), f(k), m(k), present(k);
          std::vector<uint16_t> seg(k);
          const int32_t asof = static_cast<int32_t>(in.i64() % 100000);
          (void)crmkit_rfm_score(c.data(), d.data(), a.data(), n, k, asof, nullptr, rec.data(), freq.data(), om.data(),
                                 r.data(), f.data(), m.data(), seg.data(), present.data());
          (void)crmkit_rfm_score_minor(c.data(), d.data(), minor.data(), n, k, asof, nullptr, rec.data(), freq.data(),
                                       om.data(), r.data(), f.data(), m.data(), seg.data(), present.data());
        }
        break;
      }
      case 12:  // NULLs everywhere
        (void)crmkit_calendar_add(cal, 0, 0, nullptr);
        (void)crmkit_calendar_from_json(nullptr, &cals[slot]);
        (void)crmkit_value_bgnbd_fit(nullptr, nullptr, nullptr, 3, nullptr, nullptr);
        (void)crmkit_calendar_to_json(cal, nullptr);
        break;
      case 14: {  // the engine: created lazily, events from templates with fuzzed ids, cases, times, amounts
        if (!engine && !engine_tried) {
          engine_tried = true;
          (void)crmkit_engine_from_files((root + "workflows/default.json").c_str(), (root + "policies/default.json").c_str(),
                                         (root + "calendars/cn-2026.json").c_str(), &engine);
        }
        char buf[1024];
        std::string id = in.text(6), case_id = in.byte() % 2 ? std::string("C") : in.text(4), amount = in.text(8);
        snprintf(buf, sizeof buf, kEventTemplates[in.byte() % std::size(kEventTemplates)], id.c_str(), case_id.c_str(), in.byte() % 61, amount.c_str());
        char* result = nullptr;
        if (crmkit_engine_apply(engine, in.byte() % 8 ? buf : in.text(120).c_str(), &result) == CRMKIT_OK) crmkit_string_free(result);
        break;
      }
      case 15: {
        char* json = nullptr;
        size_t n = 0;
        (void)crmkit_engine_sweep(engine, 1772400000 + in.i64() % 10000000, in.byte() % 2 ? &json : nullptr, &n);
        crmkit_string_free(json);
        json = nullptr;
        if (crmkit_engine_get_case(engine, in.byte() % 2 ? "C" : in.text(4).c_str(), &json) == CRMKIT_OK) crmkit_string_free(json);
        json = nullptr;
        {
          static const char* kReadOptions[] = {nullptr, "{\"personal_data_role\":\"manager\"}", "{\"personal_data_role\":\"agent\"}",
                                               "{\"events\":false,\"as_of\":1772400000}"};
          const uint8_t pick = in.byte();
          if (crmkit_engine_get_case_ext(engine, "C", pick % 5 < 4 ? kReadOptions[pick % 5] : in.text(40).c_str(), &json) == CRMKIT_OK)
            crmkit_string_free(json);
          json = nullptr;
        }
        if (in.byte() % 8 == 0) {  // another workflow version, fuzzed or a copy of one loaded
          const std::string workflow = in.byte() % 2 ? in.text(200) : R"({"name":"x","version":2,"roles":["a"],"states":[{"name":"s"}],)"
                                                                      R"("transitions":[{"event":"receive","to":"s","effect":"receive","roles":["a"]}]})";
          (void)crmkit_engine_add_workflow(engine, workflow.c_str(), R"({"clocks":{"c":{"target":"1h"}}})");
        }
        if (crmkit_engine_workflows(engine, &json) == CRMKIT_OK) crmkit_string_free(json);
        json = nullptr;
        if (crmkit_engine_find(engine, in.byte() % 2 ? nullptr : in.text(40).c_str(), &json) == CRMKIT_OK) crmkit_string_free(json);
        json = nullptr;
        if (crmkit_engine_kpi(engine, in.byte() % 2 ? nullptr : in.text(40).c_str(), &json) == CRMKIT_OK) crmkit_string_free(json);
        break;
      }
      case 16:
        if (in.byte() % 4 == 0) {
          crmkit_engine_free(engine);
          (void)crmkit_engine_apply(engine, "{}", nullptr);  // freed: refused
          engine = nullptr;
        }
        break;
      default:
        (void)crmkit_status_name(in.byte() - 5);
        (void)crmkit_last_error();
        break;
    }
  }
  for (auto* c : cals) crmkit_calendar_free(c);
  crmkit_engine_free(engine);
  return 0;
}
