// Synthetic work-order logs: see work_order_generator.hpp.
#include "work_order_generator.hpp"

#include <algorithm>
#include <stdexcept>
#include <string_view>

#include "generator_support.hpp"

namespace crmkit::gen {

namespace {

constexpr std::pair<const char*, double> kKinds[] = {{"fault_repair", 55}, {"installation", 30}, {"move", 15}};
constexpr std::pair<const char*, double> kProducts[] = {{"broadband", 50}, {"fixed_line", 18}, {"tv", 17}, {"mobile", 15}};
constexpr std::pair<const char*, double> kOrderTiers[] = {{"basic", 55}, {"silver", 20}, {"gold", 12}, {"diamond", 4},
                                                          {"1A", 1.5},   {"2A", 1.5},    {"3B", 2},    {"4B", 4}};
constexpr std::pair<const char*, double> kOrderChannels[] = {{"phone", 55}, {"app", 20}, {"web", 12}, {"visit", 8}, {"system", 5}};
constexpr const char* kTeams[] = {"team-east", "team-west", "team-north", "team-south", "team-central"};
constexpr std::pair<const char*, double> kCustomerReasons[] = {
    {"customer not free at that time", 45}, {"customer travelling", 20}, {"customer asked for a weekend visit", 20},
    {"building access not arranged", 15}};
constexpr std::pair<const char*, double> kCompanyReasons[] = {
    {"technician delayed by the previous job", 45}, {"parts not in stock", 30}, {"technician off sick", 25}};
constexpr std::pair<const char*, double> kResults[] = {
    {"line repaired at the distribution box", 25}, {"modem replaced", 20}, {"installed and tested", 30}, {"moved and tested", 10},
    {"set-top box reconfigured", 15}};
constexpr std::pair<const char*, double> kUnsatisfied[] = {
    {"fault came back the next day", 40}, {"technician was late", 25}, {"cables left exposed", 20}, {"had to take a day off", 15}};

struct OrderEvent {
  int64_t at;
  uint32_t order;
  uint16_t seq;
  const char* type;
  std::string actor;
  const char* role;
  std::string data;
  int64_t join = -1;  ///< join: the other order (by index)
};

class OrderLogBuilder {
 public:
  explicit OrderLogBuilder(const WorkOrderLogOptions& o) : o_(o), r_{o.seed * 0x9E3779B97F4A7C15ull + 0x5eedull} {
    if (o.days <= 0) throw std::invalid_argument("days must be positive");
    if (!parse_start_day(o.start, begin_)) throw std::invalid_argument("start must be YYYY-MM-DD: '" + o.start + "'");
    end_ = begin_ + int64_t{o.days} * 86400;
  }

  std::string run() {
    const uint64_t customers = std::max<uint64_t>(1, o_.orders * 2);
    while (received_.size() < o_.orders) {
      const size_t idx = received_.size();
      int64_t t = workish(r_, begin_ + r_.range(0, end_ - begin_ - 1), 0.9);
      if (t >= end_) t = end_ - r_.range(60, 3600);
      received_.push_back(t);
      customer_.push_back("K-" + std::to_string(1 + r_.next() % customers));
      // Now and then the customer's second order (TV with broadband, say) arrives shortly after: one visit serves both.
      if (received_.size() < o_.orders && r_.chance(0.04)) {
        const int64_t second = t + minutes(2, 30);
        received_.push_back(second);
        customer_.push_back(customer_.back());
        build(idx, false);
        build(idx + 1, false);
        add(idx, second + 60, "join", agent(), "agent", {});
        events_.back().join = static_cast<int64_t>(idx + 1);
        continue;
      }
      build(idx, true);
    }
    // Order ids by receipt; events by time, then order, then their order within the order.
    std::vector<uint32_t> by_receipt(received_.size());
    for (uint32_t i = 0; i < by_receipt.size(); ++i) by_receipt[i] = i;
    std::stable_sort(by_receipt.begin(), by_receipt.end(), [&](uint32_t a, uint32_t b) { return received_[a] < received_[b]; });
    std::vector<uint32_t> rank(received_.size());
    for (uint32_t i = 0; i < by_receipt.size(); ++i) rank[by_receipt[i]] = i + 1;
    std::stable_sort(events_.begin(), events_.end(), [&](const OrderEvent& a, const OrderEvent& b) {
      if (a.at != b.at) return a.at < b.at;
      if (a.order != b.order) return rank[a.order] < rank[b.order];
      return a.seq < b.seq;
    });
    std::string out;
    out.reserve(events_.size() * 220);
    uint64_t id = 0;
    for (const OrderEvent& e : events_) {
      out += "{\"id\":\"w-" + std::to_string(++id) + "\",\"case\":\"W-" + std::to_string(rank[e.order]) + "\",\"type\":\"";
      out += e.type;
      out += "\",\"at\":\"" + format_local(e.at) + "\",\"actor\":\"" + e.actor + "\",\"role\":\"" + e.role + "\",\"data\":{";
      if (e.join >= 0) out += "\"order\":\"W-" + std::to_string(rank[static_cast<size_t>(e.join)]) + "\"";
      else out += e.data;
      out += "}}\n";
    }
    return out;
  }

 private:
  std::string agent() { return "u-" + std::to_string(1 + r_.next() % 30); }
  std::string supervisor() { return "s-" + std::to_string(1 + r_.next() % 6); }
  int64_t minutes(int64_t lo, int64_t hi) { return r_.range(lo, hi) * 60; }
  void add(size_t idx, int64_t at, const char* type, std::string actor, const char* role, std::string data = {}) {
    events_.push_back({at, static_cast<uint32_t>(idx), seq_[idx]++, type, std::move(actor), role, std::move(data)});
  }
  static std::string window(int64_t start, int64_t end) { return kv("start", format_local(start)) + "," + kv("end", format_local(end)); }

  /// A visit window starting at least `lead` after t, in working hours, two hours long.
  int64_t window_start(int64_t t, int64_t lead) {
    int64_t s = workish(r_, t + lead, 1.0);
    s -= s % 1800;  // on the half hour
    while (s < t + lead) s += 1800;
    return s;
  }

  /// One visit cycle from an appointment at `t`: confirm, maybe reschedule, notify, arrive. Returns
  /// the arrival time; `absent` says nobody was at home.
  int64_t visit(size_t idx, int64_t t, const std::string& tech, bool fault, bool& absent) {
    int64_t start = window_start(t, fault ? minutes(150, 300) : minutes(300, 1440));
    add(idx, t, "appoint", tech, "technician", window(start, start + 7200));
    int64_t now = t;
    // Second confirmation: mostly in time (before start - 2 h), some late, a few never.
    const double c = r_.uniform();
    auto confirm = [&] {
      if (c < 0.92) now = std::max(now, start - 7200 - minutes(5, std::max<int64_t>(6, (start - 7200 - now) / 60)));
      else if (c < 0.97) now = std::max(now, start - 7200 + minutes(0, 80));
      else return;
      add(idx, now, "confirm", tech, "technician");
    };
    if (r_.chance(0.12)) {  // rescheduled before the visit
      const bool by_customer = r_.chance(0.7);
      now = std::max(now + minutes(5, 60), std::min(start - 3 * 3600, now + minutes(30, 180)));
      const int64_t before = start;
      start = window_start(now, minutes(1440, 2 * 1440));
      while (start == before) start = window_start(start + 1800, 0);  // a reschedule moves the window
      add(idx, now, "reschedule", by_customer ? agent() : tech, by_customer ? "agent" : "technician",
          window(start, start + 7200) + ",\"by\":\"" + (by_customer ? "customer" : "company") + "\"," +
              kv("reason", by_customer ? r_.pick(kCustomerReasons) : r_.pick(kCompanyReasons)));
    }
    confirm();
    // Notice half an hour before: mostly in time, some late, a few never.
    const double n = r_.uniform();
    if (n < 0.9) now = std::max(now, start - 1800 - minutes(1, 30)), add(idx, now, "notify", tech, "technician");
    else if (n < 0.96) now = std::max(now, start - 1800 + minutes(0, 25)), add(idx, now, "notify", tech, "technician");
    // At the door before the start, now and then late.
    now = std::max(now, r_.chance(0.88) ? start - minutes(1, 40) : start + minutes(0, 75));
    add(idx, now, "arrive", tech, "technician");
    absent = r_.chance(0.06);
    if (absent) {
      now += minutes(5, 15);
      add(idx, now, "not_at_home", tech, "technician", kv("notice", "notice card left at the door; please call 10000 to re-arrange"));
    }
    return now;
  }

  /// One order's events; `may_cancel`: it may be cancelled at once (not an order about to be joined).
  void build(size_t idx, bool may_cancel) {
    if (seq_.size() <= idx) seq_.resize(idx + 1);
    int64_t t = received_[idx];
    const char* kind = r_.pick(kKinds);
    const char* product = r_.pick(kProducts);
    const char* tier = r_.pick(kOrderTiers);
    const bool fault = std::string_view(kind) == "fault_repair";
    const bool manual_tier = std::find(o_.manual_tiers.begin(), o_.manual_tiers.end(), tier) != o_.manual_tiers.end();
    add(idx, t, "receive", agent(), "agent",
        "\"workflow\":\"work_order\"," + kv("channel", r_.pick(kOrderChannels)) + "," + kv("customer", customer_[idx]) + "," +
            kv("tier", tier) + "," + kv("kind", kind) + "," + kv("product", product));
    if (may_cancel && r_.chance(0.01)) {
      add(idx, t + minutes(5, 60), "cancel", agent(), "agent", kv("reason", "customer withdrew the order"));
      return;
    }
    const char* team = kTeams[r_.next() % std::size(kTeams)];
    std::string tech = std::string("t-") + (team + 5) + "-" + std::to_string(1 + r_.next() % 8);
    t = workish(r_, t + minutes(5, 50), 0.8);
    add(idx, t, "dispatch", agent(), "agent", kv("department", team) + "," + kv("owner", tech));
    if (r_.chance(0.03)) {  // another technician of the team takes it over
      tech = std::string("t-") + (team + 5) + "-" + std::to_string(1 + r_.next() % 8);
      t += minutes(5, 30);
      add(idx, t, "transfer", supervisor(), "supervisor", kv("department", team) + "," + kv("owner", tech));
    }
    for (int round = 0; round < 3; ++round) {
      bool absent = false;
      t = visit(idx, t + minutes(5, 90), tech, fault, absent);
      if (absent) {
        if (r_.chance(0.1)) {  // never reached again: cancelled
          add(idx, t + minutes(1440, 3 * 1440), "cancel", supervisor(), "supervisor", kv("reason", "customer not reachable after the visit"));
          return;
        }
        t = visit(idx, workish(r_, t + minutes(60, 1440)), tech, fault, absent);
        if (absent) {
          add(idx, t + minutes(1440, 2 * 1440), "cancel", supervisor(), "supervisor", kv("reason", "nobody at home twice"));
          return;
        }
      }
      if (r_.chance(0.07)) {  // a further visit is needed (parts, a second technician)
        t = visit(idx, t + minutes(30, 120), tech, fault, absent);
        if (absent) continue;
      }
      t += minutes(20, 150);
      add(idx, t, "complete", tech, "technician", kv("result", r_.pick(kResults)));
      // Callback, as for complaints: manual for the important tiers.
      bool need_manual = manual_tier;
      bool reopened = false;
      for (int attempt = 0; attempt < 3; ++attempt) {
        t = workish(r_, t + (r_.chance(0.85) ? minutes(20, 300) : minutes(1500, 3500)), 0.8);
        const bool manual = need_manual || r_.chance(0.15);
        const std::string who = manual ? agent() : std::string("ivr");
        const double q = r_.uniform();
        if (q < 0.06) {
          add(idx, t, "callback", who, "agent", kv("outcome", "unreachable") + ",\"manual\":" + (manual ? "true" : "false"));
          need_manual = need_manual || !manual;
          continue;
        }
        if (!manual && q < 0.12) {
          add(idx, t, "callback", who, "agent", kv("outcome", "unsatisfied") + ",\"manual\":false");
          need_manual = true;
          continue;
        }
        if (manual && q < 0.1 && round == 0) {
          add(idx, t, "callback", who, "agent", kv("outcome", "unsatisfied") + "," + kv("reason", r_.pick(kUnsatisfied)) + ",\"manual\":true");
          reopened = true;
        } else {
          add(idx, t, "callback", who, "agent", kv("outcome", q < 0.55 ? "very_satisfied" : "satisfied") + ",\"manual\":" + (manual ? "true" : "false"));
        }
        break;
      }
      if (!reopened) return;
      t += minutes(10, 60);
    }
  }

  const WorkOrderLogOptions& o_;
  Rng r_;
  int64_t begin_ = 0, end_ = 0;
  std::vector<int64_t> received_;
  std::vector<std::string> customer_;
  std::vector<uint16_t> seq_;
  std::vector<OrderEvent> events_;
};

}  // namespace

std::string generate_work_order_jsonl(const WorkOrderLogOptions& options) { return OrderLogBuilder(options).run(); }

}  // namespace crmkit::gen
