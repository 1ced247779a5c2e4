// Synthetic complaint logs: see complaint_generator.hpp.
#include "complaint_generator.hpp"
#include "generator_support.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace crmkit::gen {

namespace {

struct GenEvent {
  int64_t at;
  uint32_t case_index;
  uint16_t seq;
  const char* type;
  std::string actor;
  const char* role;
  std::string data;      // JSON members without braces; "@INTO@" replaced by the target case id
  int64_t into = -1;
  char prefix = 'e';     // of its id: e-1, e-2, ...; m- a mass fault's, a- a corrective action's (see mass_faults, corrective_actions)
};

struct Plan {
  int64_t received;
  std::string customer;
  const char* category;
  int kind = 0;        // 0 normal, 1 merge child, 2 repeat child
  int64_t parent = -1;
  std::string name;    // the case id when not C-<rank> (an incident)
  const char* tier = "";  // the customer tier of a complaint (build_case)
};

constexpr std::pair<const char*, double> kChannels[] = {{"phone", 40}, {"web", 12}, {"app", 14}, {"system", 10}, {"email", 6},
                                                        {"social", 6}, {"visit", 5}, {"forum", 4}, {"letter", 3}};
constexpr std::pair<const char*, double> kCategories[] = {
    {"service", 35}, {"billing", 25}, {"product_quality", 18}, {"installation", 17}, {"other", 5}};
constexpr std::pair<const char*, double> kSeverities[] = {{"low", 15}, {"normal", 64}, {"high", 16}, {"critical", 5}};
constexpr std::pair<const char*, double> kTiers[] = {{"basic", 50}, {"silver", 20}, {"gold", 14}, {"diamond", 5},
                                                     {"1A", 1.5},   {"2A", 1.5},    {"3B", 3},    {"4B", 5}};
constexpr std::pair<const char*, double> kDepartments[] = {{"network", 25}, {"billing", 22}, {"installation", 18},
                                                           {"customer_service", 20}, {"quality", 10}, {"sales", 5}};
constexpr std::pair<const char*, double> kUnsatisfiedReasons[] = {
    {"problem not solved", 30}, {"took too long", 25}, {"staff attitude", 15}, {"compensation too low", 12},
    {"had to repeat the complaint", 10}, {"no follow-up", 8}};
constexpr std::pair<const char*, double> kReclassifyReasons[] = {
    {"several customers affected: group complaint", 35}, {"safety risk reported by the customer", 20},
    {"customer contacted the media", 15}, {"fault turned out minor", 20}, {"misfiled category", 10}};
constexpr std::pair<const char*, double> kWaitReasons[] = {
    {"visit appointment", 50}, {"documents requested", 30}, {"customer travelling", 20}};

/// A number drawn from the case number alone (not the random stream: what it decides leaves the
/// rest of a log as it was).
uint64_t case_hash(size_t idx, uint64_t salt) { return ((uint64_t{idx} + 1) * 0x9E3779B97F4A7C15ull ^ salt) * 0xBF58476D1CE4E5B9ull; }

bool justified(size_t idx) { return ((uint64_t{idx} + 1) * 0x9E3779B97F4A7C15ull >> 32) % 100 < 70; }

/// Causes by category (缺陷反馈: traced back to the component, the contractor or the supplier):
/// root cause, component, supplier, contractor, responsible department.
constexpr const char* kCauses[][2][5] = {
    {{"router firmware overheats", "home router", "Acme Networks", "in-house", "network"},
     {"set-top box software defect", "set-top box", "Skyworth", "in-house", "product"}},
    {{"understaffed call centre at peak hours", "call centre staffing", "in-house", "in-house", "customer_service"},
     {"agent not trained on the new plans", "agent training", "in-house", "TrainCo", "customer_service"}},
    {{"rating engine rounding error", "billing system", "BillSoft", "in-house", "billing"},
     {"plan change not propagated", "CRM provisioning", "in-house", "SysInt Ltd", "billing"}},
    {{"technician missed the appointment", "field scheduling", "in-house", "FieldServ", "installation"},
     {"drop cable left exposed", "drop cable", "Changfei", "FieldServ", "installation"}},
    {{"marketing opt-out ignored", "SMS platform", "in-house", "in-house", "sales"},
     {"web portal login outage", "web portal", "in-house", "WebWorks", "it"}},
};

/// The judgement given with a case's first resolution: about 70 % of complaints are justified
/// (有理由的投诉: the company was at fault), and those get their cause recorded.
std::string judgement(size_t idx, int round, std::string_view category) {
  if (round) return "";
  if (!justified(idx)) return ",\"justified\":false";
  const size_t c = category == "service" ? 1 : category == "billing" ? 2 : category == "installation" ? 3 : category == "other" ? 4 : 0;
  const auto& cause = kCauses[c][case_hash(idx, 0xCA05E) >> 63];
  std::string out = ",\"justified\":true";
  for (const auto& [field, i] : {std::pair<const char*, int>{"root_cause", 0}, {"component", 1}, {"supplier", 2}, {"contractor", 3},
                                 {"responsible_department", 4}})
    out += "," + kv(field, cause[i]);
  return out;
}

const char* description(Rng& r, std::string_view category) {
  static const char* quality[] = {"设备频繁死机，要求更换", "Router overheats and restarts", "新装机顶盒无信号"};
  static const char* service[] = {"客服电话长时间无人接听", "Agent was rude on the phone", "营业厅排队时间过长"};
  static const char* billing[] = {"本月话费异常扣费", "Charged twice for the same plan", "套餐变更后仍按旧资费收费"};
  static const char* install[] = {"宽带安装预约多次爽约", "Technician left cables exposed", "维修后仍然断网"};
  static const char* other[] = {"营销短信过多", "Request to correct account name", "网上营业厅无法登录"};
  const char** list = category == "product_quality" ? quality
                      : category == "service"       ? service
                      : category == "billing"       ? billing
                      : category == "installation"  ? install
                                                    : other;
  return list[r.next() % 3];
}

class Builder {
 public:
  Builder(const ComplaintLogOptions& o) : o_(o), r_{o.seed * 0x2545F4914F6CDD1Dull + 0x1234567ull} {
    if (o.days <= 0) throw std::invalid_argument("days must be positive");
    if (!parse_start_day(o.start, begin_)) throw std::invalid_argument("start must be YYYY-MM-DD: '" + o.start + "'");
    end_ = begin_ + int64_t{o.days} * 86400;
  }

  ComplaintLog run() {
    const uint64_t n = o_.cases;
    const uint64_t customers = std::max<uint64_t>(1, n * 3);
    std::vector<Plan> pending;  // children waiting for their turn
    while (plans_.size() < n) {
      Plan p;
      if (!pending.empty() && r_.chance(0.5)) {
        p = pending.back();
        pending.pop_back();
      } else {
        p.received = begin_ + r_.range(0, end_ - begin_ - 1);
        if (r_.chance(0.85)) p.received = workish(r_, p.received, 1.0);
        if (p.received >= end_) p.received = end_ - r_.range(60, 3600);
        p.customer = "K-" + std::to_string(1 + r_.next() % customers);
        p.category = r_.pick(kCategories);
      }
      const size_t idx = plans_.size();
      plans_.push_back(p);
      build_case(idx, pending);
    }
    // Case ids by order of receipt.
    std::vector<uint32_t> order(plans_.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return plans_[a].received < plans_[b].received; });
    std::vector<uint32_t> rank(plans_.size());
    for (uint32_t i = 0; i < order.size(); ++i) rank[order[i]] = i + 1;
    corrective_actions();
    mass_faults(rank);
    progress_updates();
    std::stable_sort(events_.begin(), events_.end(), [&](const GenEvent& a, const GenEvent& b) {
      if (a.at != b.at) return a.at < b.at;
      if (a.case_index != b.case_index) return rank[a.case_index] < rank[b.case_index];
      return a.seq < b.seq;
    });
    ComplaintLog log;
    log.cases = plans_.size();
    log.lines.reserve(events_.size());
    uint64_t id = 0, mass_id = 0, action_id = 0, progress_id = 0;
    for (const GenEvent& e : events_) {
      std::string line;
      line.reserve(160 + e.data.size());
      const std::string& name = plans_[e.case_index].name;
      line += std::string("{\"id\":\"") + e.prefix + "-" +
              std::to_string(e.prefix == 'm' ? ++mass_id : e.prefix == 'a' ? ++action_id : e.prefix == 'p' ? ++progress_id : ++id);
      line += name.empty() ? "\",\"case\":\"C-" + std::to_string(rank[e.case_index]) + "\",\"type\":\"" : "\",\"case\":\"" + name + "\",\"type\":\"";
      line += e.type;
      line += "\",\"at\":\"" + format_local(e.at) + "\",\"actor\":\"" + e.actor + "\",\"role\":\"" + e.role + "\",\"data\":{";
      if (e.into >= 0) line += "\"into\":\"C-" + std::to_string(rank[static_cast<size_t>(e.into)]) + "\"";
      else line += e.data;
      line += "}}";
      log.lines.push_back(std::move(line));
    }
    return log;
  }

 private:
  std::string agent() { return "u-" + std::to_string(1 + r_.next() % 40); }
  std::string supervisor() { return "s-" + std::to_string(1 + r_.next() % 8); }
  std::string manager() { return "m-" + std::to_string(1 + r_.next() % 4); }
  std::string owner() { return "u-" + std::to_string(100 + r_.next() % 60); }

  void add(size_t idx, int64_t at, const char* type, std::string actor, const char* role, std::string data = {}) {
    events_.push_back({at, static_cast<uint32_t>(idx), seq_++, type, std::move(actor), role, std::move(data)});
  }
  int64_t minutes(int64_t lo, int64_t hi) { return r_.range(lo, hi) * 60; }

  /// Corrective actions (缺陷反馈) on about one justified complaint in 20 that did not end
  /// rejected, withdrawn or merged: opened by a supervisor a day or three after the case's last
  /// event, due two weeks later, done in 5 to 20 days (some late), one in eight still open.
  /// Drawn from the case numbers: the other events do not change.
  void corrective_actions() {
    std::vector<int64_t> last(plans_.size(), 0);
    std::vector<char> ended(plans_.size(), 0);
    for (const GenEvent& e : events_) {
      last[e.case_index] = std::max(last[e.case_index], e.at);
      const std::string_view type = e.type;
      if (type == "reject" || type == "withdraw" || type == "merge") ended[e.case_index] = 1;
    }
    static constexpr const char* kActions[] = {"supplier corrective action request", "firmware or software fix rolled out",
                                               "staff retrained and procedure updated", "contractor audit and penalty"};
    for (size_t idx = 0; idx < plans_.size(); ++idx) {
      const uint64_t h = case_hash(idx, 0xAC710);
      if (!justified(idx) || ended[idx] || h % 20 != 0) continue;
      Rng r{h};
      const int64_t opened = workish(r, last[idx] + r.range(1, 3) * 86400, 1.0);
      const int64_t due = opened + 14 * 86400;
      const std::string supervisor = "s-" + std::to_string(1 + r.next() % 8);
      events_.push_back({opened, static_cast<uint32_t>(idx), 200, "corrective_action", supervisor, "supervisor",
                         kv("action", kActions[r.next() % std::size(kActions)]) + "," + kv("owner", "q-" + std::to_string(1 + r.next() % 6)) +
                             "," + kv("due", format_local(due)),
                         -1, 'a'});
      if (r.chance(0.125)) continue;  // still open
      events_.push_back({workish(r, opened + r.range(5, 20) * 86400, 1.0), static_cast<uint32_t>(idx), 201, "complete_action", supervisor,
                         "supervisor", kv("result", "done and verified"), -1, 'a'});
    }
  }

  /// Progress promises (让客户知道投诉的进展情况): while a complaint is open the desk tells the
  /// customer how it stands within the tier's update time after the last contact
  /// (notify_customer), one update in 14 late by a day or two; a third of the waits for the customer come with a
  /// promised call (promise_contact {by} a day or two ahead), kept by a notify_customer before
  /// it nine times in ten. Drawn from the case numbers, ids p-N: the other events do not change.
  void progress_updates() {
    static constexpr const char* kNotes[] = {"progress explained", "engineer visit booked", "parts on order", "waiting for the supplier",
                                             "test results pending"};
    std::vector<std::vector<size_t>> by_case(plans_.size());
    for (size_t i = 0; i < events_.size(); ++i) by_case[events_[i].case_index].push_back(i);
    std::vector<GenEvent> added;
    for (size_t idx = 0; idx < plans_.size(); ++idx) {
      auto& list = by_case[idx];
      // Complaints only, and not those of a mass fault: the incident's notices keep them informed
      // and its resolution (an event of the incident) resolves them.
      if (list.empty() || !plans_[idx].name.empty() ||
          std::any_of(list.begin(), list.end(), [&](size_t i) { return events_[i].prefix == 'm'; }))
        continue;
      std::stable_sort(list.begin(), list.end(), [&](size_t a, size_t b) {
        return events_[a].at != events_[b].at ? events_[a].at < events_[b].at : events_[a].seq < events_[b].seq;
      });
      Rng r{case_hash(idx, 0x960E55)};
      const std::string agent = "u-" + std::to_string(1 + r.next() % 40);
      bool open = false;
      int64_t last_contact = 0;
      // The update is due sooner for better tiers (the policy's multipliers; diamond, 1A and 2A
      // 12 h round the clock): the gap drawn keeps within it unless the update is late.
      const std::string_view tier = plans_[idx].tier;
      const bool around_the_clock = tier == "diamond" || tier == "1A" || tier == "2A";
      const int64_t gap_lo = around_the_clock ? 8 * 60 : tier == "gold" ? 28 * 60 : tier == "silver" ? 30 * 60 : 36 * 60;
      const int64_t gap_hi = around_the_clock ? 11 * 60 : tier == "gold" ? 34 * 60 : tier == "silver" ? 40 * 60 : 47 * 60;
      auto notify = [&](int64_t at) {
        added.push_back({at, static_cast<uint32_t>(idx), 300, "notify_customer", agent, "agent", kv("note", kNotes[r.next() % std::size(kNotes)]), -1, 'p'});
        last_contact = at;
      };
      for (size_t k = 0; k < list.size(); ++k) {
        const GenEvent& e = events_[list[k]];
        while (open) {  // updates owed before this event
          int64_t next = last_contact + r.range(gap_lo, gap_hi) * 60;
          if (!around_the_clock) next = workish(r, next, 1.0);
          if (r.chance(1.0 / 14)) next = workish(r, next + r.range(1, 2) * 86400, 1.0);  // late
          if (next >= e.at - 600) break;
          notify(next);
        }
        const std::string_view type = e.type, data = e.data;
        if (type == "receive" || type == "reopen" || (type == "review_decision" && data.find("reopen") != std::string_view::npos) ||
            (type == "callback" && data.find("\"unsatisfied\"") != std::string_view::npos && data.find("\"manual\":true") != std::string_view::npos)) {
          open = true;
          last_contact = e.at;
        } else if (type == "acknowledge" || type == "contact" || type == "wait_customer" || type == "incident_notice") {
          last_contact = e.at;
        } else if (type == "resolve" || type == "reply" || type == "incident_resolve" || type == "reject" || type == "withdraw" ||
                   type == "merge") {
          open = false;
        }
        if (type == "wait_customer" && open && k + 1 < list.size() && r.chance(1.0 / 3)) {
          const int64_t promised = e.at + 120, by = workish(r, e.at + r.range(20, 44) * 3600, 1.0);
          if (by + 3600 >= events_[list[k + 1]].at) continue;
          added.push_back({promised, static_cast<uint32_t>(idx), 301, "promise_contact", agent, "agent", kv("by", format_local(by)), -1, 'p'});
          last_contact = promised;
          if (r.chance(0.9)) notify(std::max(promised + 60, by - r.range(10, 240) * 60));
        }
      }
    }
    for (auto& e : added) events_.push_back(std::move(e));
  }

  /// Mass faults (非个案的问题), see complaint_generator.hpp. `rank` gets the new cases' numbers.
  void mass_faults(std::vector<uint32_t>& rank) {
    if (o_.incidents < -1 || o_.incidents > 1000) throw std::invalid_argument("incidents must be 0..1000 (or -1: one per 500 cases)");
    const int incidents = o_.incidents >= 0 ? o_.incidents : static_cast<int>(std::min<uint64_t>(1000, o_.cases / 500));
    Rng r{o_.seed * 0xD1B54A32D192ED03ull + 0xFA017ull};
    const auto mins = [&](int64_t lo, int64_t hi) { return r.range(lo, hi) * 60; };
    const auto person = [&](const char* prefix, int base, int count) { return prefix + std::to_string(base + r.next() % count); };
    const auto new_case = [&](std::string name) {
      plans_.push_back(Plan{0, {}, "product_quality", 0, -1, std::move(name)});
      rank.push_back(static_cast<uint32_t>(rank.size() + 1));
      return plans_.size() - 1;
    };
    const auto put = [&](size_t idx, int64_t at, const char* type, std::string actor, const char* role, std::string data = {}) {
      events_.push_back({at, static_cast<uint32_t>(idx), seq_++, type, std::move(actor), role, std::move(data), -1, 'm'});
    };
    // Root cause, component, supplier, contractor (缺陷反馈: traced back to the component, the
    // contractor or the supplier).
    static constexpr const char* kCauses[][4] = {
        {"feeder fibre cut by road works", "feeder fibre", "Changfei", "Metro Roadworks No. 3"},
        {"OLT line card firmware fault", "OLT line card", "Huawei", "NetBuild Engineering"},
        {"power outage at the exchange, backup battery failed", "backup battery", "Shuangdeng", "PowerServ"},
        {"DNS platform overload after a configuration change", "DNS platform", "in-house", "in-house"},
        {"set-top box software update defect", "set-top box", "Skyworth", "in-house"},
    };
    constexpr std::pair<const char*, double> kIncidentSeverity[] = {{"normal", 40}, {"high", 45}, {"critical", 15}};
    const uint64_t customers = std::max<uint64_t>(1, o_.cases * 3);
    for (int k = 1; k <= incidents; ++k) {
      seq_ = 0;
      const int64_t t0 = workish(r, begin_ + r.range(0, std::max<int64_t>(0, end_ - begin_ - 5 * 86400)), 1.0);
      const size_t inc = new_case("INC-" + std::to_string(k));
      const char* severity = r.pick(kIncidentSeverity);
      const auto& cause = kCauses[r.next() % std::size(kCauses)];
      const std::string area = "district " + std::to_string(1 + r.next() % 12);
      put(inc, t0, "receive", person("s-", 1, 8), "supervisor",
          kv("workflow", "incident") + "," + kv("category", "network") + "," + kv("severity", severity) + "," +
              kv("description", "宽带大面积中断 (broadband outage), " + area) + "," + kv("area", area));
      put(inc, t0 + mins(5, 15), "dispatch", person("s-", 1, 8), "supervisor",
          kv("department", "network") + "," + kv("owner", person("u-", 100, 60)));
      // Complaints about it, received within 90 minutes and linked to it.
      const int n = static_cast<int>(r.range(6, 20));
      std::vector<std::pair<size_t, bool>> complaints;  // (case, whether its tier gets a manual callback)
      for (int j = 0; j < n; ++j) {
        const size_t c = new_case({});
        const int64_t received = t0 + mins(3, 90);
        const std::string receiver = person("u-", 1, 40);
        const char* tier = r.pick(kTiers);
        put(c, received, "receive", receiver, "agent",
            kv("channel", r.chance(0.7) ? "phone" : "app") + "," + kv("category", "product_quality") + "," + kv("severity", "normal") +
                "," + kv("customer", "K-" + std::to_string(1 + r.next() % customers)) + "," + kv("tier", tier) + "," +
                kv("description", "宽带断网 (no broadband), " + area));
        put(inc, received + mins(2, 10), "link", person("u-", 1, 40), "agent", kv("case", "C-" + std::to_string(rank[c])));
        put(c, received + mins(5, 20), "acknowledge", receiver, "agent");
        complaints.emplace_back(c, std::find(o_.manual_tiers.begin(), o_.manual_tiers.end(), tier) != o_.manual_tiers.end());
      }
      // The customers told of progress within the hour (now and then late), then service restored
      // for all at once, within the restoration target mostly.
      put(inc, t0 + (r.chance(0.1) ? mins(65, 120) : mins(25, 55)), "incident_notice", person("u-", 1, 40), "agent",
          kv("note", "repair crew on site; service expected back within hours"));
      const int64_t restored = t0 + (r.chance(0.15) ? mins(8 * 60 + 10, 12 * 60) : mins(150, 7 * 60));
      put(inc, restored, "incident_resolve", person("s-", 1, 8), "supervisor", kv("resolution", std::string(cause[0]) + ": repaired"));
      // Each complaint called back on its own; a mass fault is the company's doing (justified).
      for (const auto& [c, manual_tier] : complaints) {
        const bool manual = manual_tier || r.chance(0.5);
        const double y = r.uniform();
        const char* outcome = y < 0.15 ? "very_satisfied" : y < 0.95 ? "satisfied" : "unsatisfied";
        int64_t t = restored + mins(30, 300);
        std::string data = kv("outcome", outcome) + ",\"justified\":true";
        if (std::string_view(outcome) == "unsatisfied") data += "," + kv("reason", "outage lasted too long");
        put(c, t, "callback", person("u-", 1, 40), "agent", data + (manual || std::string_view(outcome) == "unsatisfied" ? ",\"manual\":true" : ""));
        if (std::string_view(outcome) == "unsatisfied") {  // reopened by the manual callback: compensated, resolved again
          t += mins(60, 600);
          put(c, t, "compensate", person("s-", 1, 8), "supervisor", kv("remedy", "money") + ",\"amount\":50");
          put(c, t + mins(5, 30), "resolve", person("s-", 1, 8), "supervisor", kv("resolution", "service credit for the outage"));
          put(c, t + mins(60, 300), "callback", person("u-", 1, 40), "agent", kv("outcome", "satisfied") + ",\"manual\":true");
        }
      }
      // The cause traced back (defect feedback), then the incident closed.
      put(inc, restored + mins(600, 1440), "update", person("s-", 1, 8), "supervisor",
          kv("root_cause", cause[0]) + "," + kv("component", cause[1]) + "," + kv("supplier", cause[2]) + "," + kv("contractor", cause[3]) +
              "," + kv("responsible_department", "network"));
      put(inc, restored + mins(1500, 2880), "close", person("s-", 1, 8), "supervisor");
    }
  }

  void build_case(size_t idx, std::vector<Plan>& pending) {
    seq_ = 0;
    Plan p = plans_[idx];
    int64_t t = p.received;
    const char* channel = r_.pick(kChannels);
    const char* severity = r_.pick(kSeverities);
    const char* tier = r_.pick(kTiers);
    plans_[idx].tier = tier;
    const bool manual_tier = std::find(o_.manual_tiers.begin(), o_.manual_tiers.end(), tier) != o_.manual_tiers.end();
    // 首问负责制: the receiver stays responsible until a handover; the dispatched department's
    // owner (the handler) acts with them.
    std::string receiver = agent();
    std::string handler;
    int level = 0;
    std::string data = kv("channel", channel) + "," + kv("category", p.category) + "," + kv("severity", severity) + "," +
                       kv("customer", p.customer) + "," + kv("tier", tier) + "," + kv("description", description(r_, p.category));
    if (p.kind == 0 && r_.chance(0.03)) {
      level = r_.chance(0.7) ? 1 : 2;
      data += ",\"level\":" + std::to_string(level);
    }
    add(idx, t, "receive", receiver, "agent", data);
    // A crisis (received as critical) is escalated at once to level 2 (the policy's crisis) and
    // reported to management within the hour, now and then late.
    bool crisis = std::string_view(severity) == "critical";
    bool crisis_late = false;
    int64_t crisis_reported = t;  // a case is not ended before its crisis report
    if (crisis && p.kind != 1) {  // not a duplicate about to be merged
      level = std::max(level, 2);
      crisis_late = r_.chance(0.05);
      // On time within the shortest tier target (1 h x 0.5).
      crisis_reported = t + (crisis_late ? minutes(65, 180) : minutes(10, 25));
      add(idx, crisis_reported, "report_crisis", supervisor(), "supervisor");
      if (crisis_late) level = 3;  // the crisis_report clock breaches
    }

    if (p.kind == 1) {  // duplicate of an open case: merged into it
      t += minutes(5, 40);
      add(idx, t, "merge", receiver, "agent", {});
      events_.back().into = p.parent;
      return;
    }
    const double x = r_.uniform();
    if (x < 0.02) {  // invalid
      t = std::max(workish(r_, t + minutes(10, 120)), crisis_reported + 60);
      add(idx, t, "reject", supervisor(), "supervisor", kv("reason", r_.chance(0.5) ? "not a complaint (enquiry)" : "duplicate by phone and web"));
      return;
    }
    if (x >= 0.045 && r_.chance(0.03)) {  // a duplicate submitted shortly after: merged into this one
      Plan c;
      c.received = t + minutes(3, 50);
      c.customer = p.customer;
      c.category = p.category;
      c.kind = 1;
      c.parent = static_cast<int64_t>(idx);
      if (c.received < end_) pending.push_back(c);
    }
    // Acknowledge: usually well within the first-response target, sometimes late.
    const bool late = r_.chance(0.06);
    t = workish(r_, t + (late ? minutes(200, 900) : minutes(5, 50)), late ? 0.3 : 0.9);
    add(idx, t, "acknowledge", receiver, "agent");
    if (r_.chance(0.03)) {  // the receiver's shift ends: a formal handover
      std::string to = agent();
      if (to == receiver) to = receiver == "u-1" ? "u-2" : "u-1";
      t += minutes(5, 120);
      add(idx, t, "handover", receiver, "agent", kv("to", to) + "," + kv("reason", "end of shift"));
      receiver = to;
    }
    if (x < 0.035) {
      t = std::max(t + minutes(30, 600), crisis_reported + 60);
      add(idx, t, "withdraw", receiver, "agent", kv("note", "customer withdrew"));
      return;
    }
    t = workish(r_, t + minutes(5, 60));
    handler = owner();
    add(idx, t, "dispatch", receiver, "agent", kv("department", r_.pick(kDepartments)) + "," + kv("owner", handler));
    // Reclassified midway: a group complaint or a safety matter (raised, now and then to a
    // crisis), a minor fault (lowered), a misfiled category.
    if (r_.chance(0.05)) {
      t += minutes(10, 240);
      const char* reason = r_.pick(kReclassifyReasons);
      const std::string_view why = reason;
      std::string change;
      if (why == "misfiled category") {
        change = kv("category", std::string_view(p.category) == "billing" ? "service" : "billing");
      } else if (why == "fault turned out minor") {
        change = kv("severity", std::string_view(severity) == "low" ? "normal" : "low");
        if (std::string_view(severity) == "critical") crisis = false;
      } else {
        const bool to_crisis = std::string_view(severity) == "high" || r_.chance(0.3);
        change = kv("severity", to_crisis ? "critical" : "high");
        if (to_crisis && !crisis) {
          crisis = true;
          level = std::max(level, 2);
          add(idx, t + minutes(10, 25), "report_crisis", supervisor(), "supervisor");
        }
      }
      add(idx, t, "reclassify", supervisor(), "supervisor", change + "," + kv("reason", reason));
    }
    if (r_.chance(0.95)) {
      t = workish(r_, t + (r_.chance(0.04) ? minutes(130, 400) : minutes(5, 60)));
      add(idx, t, "contact", handler, "agent");
    }
    if (r_.chance(0.05)) {  // joint handling (协同办理): another department assists, one time limit
      t = workish(r_, t + minutes(10, 300));
      add(idx, t, "assist", handler, "agent", kv("department", r_.pick(kDepartments)));
    }
    if (r_.chance(0.1)) {
      t = workish(r_, t + minutes(30, 600));
      handler = owner();
      add(idx, t, "transfer", supervisor(), "supervisor", kv("department", r_.pick(kDepartments)) + "," + kv("owner", handler));
      if (r_.chance(0.8)) {
        t = workish(r_, t + minutes(5, 60));
        add(idx, t, "contact", handler, "agent");
      }
    }
    if (r_.chance(0.03)) {
      int to = crisis ? 3 : std::max(2, level + 1);
      if (to <= 3 && to > level && !crisis_late) {
        t += minutes(10, 300);
        add(idx, t, "escalate", supervisor(), "supervisor", "\"level\":" + std::to_string(to) + "," + kv("reason", "customer threatens media exposure"));
      }
    }
    if (r_.chance(0.15)) {
      t = workish(r_, t + minutes(30, 480));
      add(idx, t, "wait_customer", handler, "agent", kv("reason", r_.pick(kWaitReasons)));
      t = workish(r_, t + minutes(60, 3 * 24 * 60));
      add(idx, t, "resume", handler, "agent");
    }
    if (x < 0.045) {
      t = std::max(t + minutes(30, 600), crisis_reported + 60);
      add(idx, t, "withdraw", handler, "agent", {});
      return;
    }
    if (r_.chance(0.08)) {
      t = workish(r_, t + minutes(10, 300));
      const double k = r_.uniform();
      if (k < 0.15) {
        if (r_.chance(0.7)) add(idx, t, "compensate", handler, "agent", kv("remedy", "repair"));
        else add(idx, t, "compensate", supervisor(), "supervisor", kv("remedy", "redo"));  // the shipped policy: supervisor and up
      } else if (k < 0.7) {
        const int64_t first = r_.range(2, 20) * 10;
        add(idx, t, "compensate", handler, "agent", "\"amount\":" + std::to_string(first));
        if (r_.chance(0.25)) {  // a second grant: past the agent's 200 per case it waits for a supervisor
          const int64_t second = r_.range(5, 15) * 10;
          t = workish(r_, t + minutes(30, 1440));
          add(idx, t, "compensate", handler, "agent", "\"amount\":" + std::to_string(second));
          if (first + second > 200) {
            t = workish(r_, t + minutes(30, 1440));
            add(idx, t, "approve_compensation", supervisor(), "supervisor", "\"amount\":" + std::to_string(second));
          }
        }
      } else {
        const int64_t amount = r_.chance(0.6) ? r_.range(3, 19) * 100 : r_.range(3, 9) * 1000;
        add(idx, t, "compensate", handler, "agent", "\"amount\":" + std::to_string(amount));
        t = workish(r_, t + minutes(30, 1440));
        if (amount <= 2000) add(idx, t, "approve_compensation", supervisor(), "supervisor", "\"amount\":" + std::to_string(amount));
        else add(idx, t, "approve_compensation", manager(), "manager", "\"amount\":" + std::to_string(amount));
      }
    }
    // Resolve, then callbacks until closed.
    const bool slow = r_.chance(0.08);
    bool ended_closed = false;  // the case was closed when its handling rounds ended
    for (int round = 0; round < 3; ++round) {
      t = workish(r_, t + (slow ? minutes(600, 4000) : minutes(30, 900)));
      if (round == 0 && r_.chance(0.35)) {
        // The department reports back (回单); the control desk replies to the customer once (统一答复),
        // now and then after sending it back for more work.
        add(idx, t, "report_back", handler, "agent", kv("result", "fault repaired, line tested"));
        if (r_.chance(0.05)) {
          t = workish(r_, t + minutes(10, 120));
          add(idx, t, "send_back", receiver, "agent", kv("reason", "the customer reports the fault again"));
          t = workish(r_, t + minutes(30, 600));
          add(idx, t, "report_back", handler, "agent", kv("result", "modem replaced, line tested"));
        }
        t = workish(r_, t + minutes(10, 200));
        add(idx, t, "reply", receiver, "agent", kv("resolution", "fault repaired and confirmed") + judgement(idx, round, p.category));
      } else {
        add(idx, t, "resolve", handler, "agent",
            kv("resolution", round ? "re-handled after callback" : "fault repaired and confirmed") + judgement(idx, round, p.category));
      }
      bool closed = false, reopened = false;
      bool need_manual = manual_tier;
      if (r_.chance(0.01)) {  // closed by a supervisor without a callback
        t += minutes(60, 600);
        add(idx, t, "close", supervisor(), "supervisor");
        ended_closed = true;
        break;
      }
      for (int attempt = 0; attempt < 3; ++attempt) {
        t = workish(r_, t + (r_.chance(0.9) ? minutes(20, 400) : minutes(1500, 4000)), 0.8);
        const bool manual = need_manual || r_.chance(0.2);
        const double o = r_.uniform();
        const char* role = "agent";
        std::string who = manual ? agent() : std::string("ivr");
        if (o < (manual ? 0.05 : 0.12)) {
          add(idx, t, "callback", who, role, kv("outcome", "unreachable") + ",\"manual\":" + (manual ? "true" : "false"));
          if (!manual) need_manual = true;
          if (attempt == 2) closed = true;  // attempts exhausted
          continue;
        }
        const double q = r_.uniform();
        if (!manual && q < 0.08) {
          // An automatic callback answered unsatisfied: the case stays resolved and owes a manual one.
          add(idx, t, "callback", who, role, kv("outcome", "unsatisfied") + ",\"manual\":false");
          need_manual = true;
          if (r_.chance(0.15)) break;  // the manual callback is still owed when the log ends
          continue;
        }
        if (q < 0.06 && round < 2) {
          add(idx, t, "callback", who, role,
              kv("outcome", "unsatisfied") + "," + kv("reason", r_.pick(kUnsatisfiedReasons)) + ",\"manual\":true");
          reopened = true;
        } else {
          add(idx, t, "callback", who, role, kv("outcome", q < 0.5 ? "very_satisfied" : "satisfied") + ",\"manual\":" + (manual ? "true" : "false"));
          closed = true;
        }
        break;
      }
      if (reopened) continue;
      ended_closed = closed;
      break;
    }
    // After closing: appeals (of a closed case only: not one still owing its callback), reopens,
    // repeat complaints.
    const double y = r_.uniform();
    if (y < 0.005 && ended_closed) {
      t += minutes(600, 5 * 1440);
      add(idx, t, "appeal", agent(), "agent", kv("note", "customer appeals to the regulator"));
      t += minutes(1440, 10 * 1440);
      add(idx, t, "review_decision", manager(), "manager", kv("decision", "upheld"));
    } else if (y < 0.015) {
      t = workish(r_, t + minutes(600, 20 * 1440));
      add(idx, t, "reopen", receiver, "agent", kv("reason", "fault came back"));
      t = workish(r_, t + minutes(60, 1440));
      add(idx, t, "resolve", handler, "agent", kv("resolution", "replaced the device"));
      t = workish(r_, t + minutes(30, 600));
      add(idx, t, "callback", agent(), "agent", kv("outcome", "satisfied") + ",\"manual\":true");
    } else if (y < 0.075) {
      Plan c;
      c.received = workish(r_, t + minutes(120, 40 * 1440));
      c.customer = p.customer;
      c.category = p.category;
      c.kind = 2;
      if (c.received < end_) pending.push_back(c);
    }
  }

  const ComplaintLogOptions& o_;
  Rng r_;
  int64_t begin_ = 0, end_ = 0;
  uint16_t seq_ = 0;
  std::vector<Plan> plans_;
  std::vector<GenEvent> events_;
};

}  // namespace

ComplaintLog generate_complaint_log(const ComplaintLogOptions& options) { return Builder(options).run(); }

std::string generate_complaint_jsonl(const ComplaintLogOptions& options) {
  ComplaintLog log = generate_complaint_log(options);
  size_t total = 0;
  for (const auto& l : log.lines) total += l.size() + 1;
  std::string out;
  out.reserve(total);
  for (const auto& l : log.lines) {
    out += l;
    out.push_back('\n');
  }
  return out;
}

}  // namespace crmkit::gen
