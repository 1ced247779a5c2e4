// The SLA clock scheduler: compact clocks, an indexed min-heap of next-fire instants, and a
// heap of deferred events (thresholds crossed inside a segment that ended before a sweep saw
// them: pause, stop, retarget).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "calendar/calendar_serialization.hpp"
#include "common/snapshot_archive.hpp"
#include "common/snapshot_codes.hpp"
#include "crmkit/error.hpp"
#include "crmkit/sla.hpp"

namespace crmkit::sla {

namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
// Calendars count business time only inside the supported range (crmkit/time.hpp): a sweep or
// a status asked for a later instant is answered as of its last second (nothing can cross after).
constexpr int64_t kLastSupported = kLastSupportedUnixSeconds;
constexpr int64_t kFirstSupported = kFirstSupportedUnixSeconds;
Instant clamp_supported(Instant t) {
  return Instant::from_unix_seconds(std::clamp(t.unix_seconds(), kFirstSupported, kLastSupported));
}
constexpr uint32_t kNotInHeap = std::numeric_limits<uint32_t>::max();

/// One clock, 56 bytes. Time counted: `accumulated` before `segment_start`; while running, the
/// target's calendar gives the time since (24×7 for elapsed and instant targets).
struct Clock {
  int64_t segment_start = 0;  // unix seconds: start of the current running (or paused) segment
  int64_t accumulated = 0;    // seconds counted before segment_start
  int64_t last_change = INT64_MIN;
  int64_t next_fire = kNever;  // instant of the next threshold crossing while running
  int64_t due = 0;             // instant targets: the deadline (unix seconds); else 0
  TargetId target = 0;
  uint32_t heap_pos = kNotInHeap;
  uint32_t paused = 0;         // wall-clock seconds spent paused, saturating; kPausedUnknown: not kept
  ClockState state = ClockState::idle;
  uint8_t fired = 0;   // bit i: warning i fired; bit 7: breach fired
  uint8_t erased = 0;  // 0 or 1
};
static_assert(sizeof(Clock) <= 56);

/// The paused time of a clock restored from a snapshot that did not keep it (class version 1).
constexpr uint32_t kPausedUnknown = UINT32_MAX;

/// paused + seconds, saturating below kPausedUnknown (136 years); unknown stays unknown.
uint32_t add_paused(uint32_t paused, int64_t seconds) {
  if (paused == kPausedUnknown) return paused;
  return static_cast<uint32_t>(std::min<int64_t>(int64_t{paused} + std::max<int64_t>(seconds, 0), kPausedUnknown - 1));
}

constexpr uint8_t kBreachBit = 0x80;

struct HeapEntry {
  int64_t at;
  uint64_t clock;
};

struct Deferred {
  int64_t at;
  uint64_t clock;
  uint8_t kind;    // ClockEvent::Kind
  uint8_t index;
  float fraction;  // of the target in force when it was crossed (a retarget may follow)
};

bool deferred_later(const Deferred& a, const Deferred& b) {  // for std::push_heap (min-heap)
  if (a.at != b.at) return a.at > b.at;
  if (a.clock != b.clock) return a.clock > b.clock;
  if (a.kind != b.kind) return a.kind > b.kind;
  return a.index > b.index;
}

/// Interned target with its thresholds precomputed in counted seconds (instant targets: per clock,
/// from its due; `thresholds` then holds one placeholder per warning and the breach).
struct TargetInfo {
  Target target;
  std::vector<int64_t> thresholds;  // warnings (ascending), then the breach = the duration
  bool instant() const { return target.kind == TargetKind::instant; }
};

/// Error(invalid_argument) for a target the scheduler cannot hold (intern() and snapshots).
void check_target(const Target& target) {
  if (target.kind == TargetKind::instant) {
    if (target.due_field.empty()) throw Error(Errc::invalid_argument, "an instant target names the field of its deadline");
    if (std::llabs(target.due_offset.count_seconds()) > int64_t{100} * 366 * 86400)
      throw Error(Errc::invalid_argument, "an instant target's offset is longer than 100 years");
  } else if (target.duration.count_seconds() <= 0) {
    throw Error(Errc::invalid_argument, "target duration must be positive");
  }
  if (target.warnings.size() > 7) throw Error(Errc::invalid_argument, "at most 7 warnings per target");
  for (size_t i = 0; i < target.warnings.size(); ++i)
    if (!(target.warnings[i] > 0 && target.warnings[i] < 1) || (i > 0 && !(target.warnings[i] > target.warnings[i - 1])))
      throw Error(Errc::invalid_argument, "warning fractions must be ascending in (0, 1)");
}

/// A checked target with its thresholds in business seconds.
TargetInfo info_of(Target target) {
  check_target(target);
  TargetInfo info{std::move(target), {}};
  const int64_t total = info.instant() ? 0 : info.target.duration.count_seconds();
  if (info.instant()) {
    info.thresholds.assign(info.target.warnings.size() + 1, 0);
    return info;
  }
  for (double f : info.target.warnings)
    info.thresholds.push_back(std::clamp<int64_t>(std::llround(f * static_cast<double>(total)), 1, total));
  info.thresholds.push_back(total);
  return info;
}

/// Equal targets have equal keys (the calendar by identity).
std::string index_key(const Target& target) {
  // Fixed-width binary fields, then the texts (each ends with a unit separator): no number
  // formatting, and the warnings by their exact bits.
  std::string key;
  key.reserve(64 + 8 * target.warnings.size() + target.clock.size() + target.due_field.size() + target.rule.size());
  const auto put = [&](auto v) { key.append(reinterpret_cast<const char*>(&v), sizeof v); };
  put(static_cast<uint8_t>(target.kind));
  put(target.duration.count_seconds());
  put(target.due_offset.count_seconds());
  put(reinterpret_cast<uintptr_t>(target.calendar.id()));
  put(static_cast<int32_t>(target.escalate_to));
  put(static_cast<uint8_t>(target.warnings.size()));
  for (double w : target.warnings) put(std::bit_cast<uint64_t>(w));
  for (const std::string* text : {&target.clock, &target.due_field, &target.rule}) key.append(*text).push_back('\x1f');
  return key;
}

/// Threshold k of an instant clock: the breach at its due, the warnings at fractions of the time
/// from its (pause-free) start to the due; all at 0 when the due is not after the start.
int64_t instant_threshold(const Clock& c, const TargetInfo& t, size_t k) {
  const int64_t span = c.due - (c.segment_start - c.accumulated);
  const size_t w = t.thresholds.size() - 1;
  if (span <= 0) return 0;
  if (k == w) return span;
  return std::clamp<int64_t>(std::llround(t.target.warnings[k] * static_cast<double>(span)), 1, span);
}

}  // namespace

struct Scheduler::Impl {
  std::vector<Clock> clocks;  // index = id - 1
  std::vector<HeapEntry> heap;
  std::vector<Deferred> deferred;  ///< a min-heap in [0, deferred_heaped), appended to after it
  size_t deferred_heaped = 0;
  std::vector<TargetInfo> targets;
  std::unordered_map<std::string, TargetId> target_index;
  size_t live = 0;
  /// Running clocks past their breach (out of the heap: nothing more to fire). Appended when a
  /// clock leaves the heap that way; stale entries are dropped by the query. Rebuilt from the
  /// clocks on the first query after a load (`overdue_complete` false).
  mutable std::vector<ClockId> overdue;
  mutable bool overdue_complete = false;

  // ---- indexed 4-ary heap over (next_fire, id) ----
  // Four children per node: half the depth of a binary heap, and every level moved also updates
  // a clock's heap_pos (a random access), so fewer levels is what counts.
  static constexpr size_t kArity = 4;
  static bool less(const HeapEntry& a, const HeapEntry& b) { return a.at != b.at ? a.at < b.at : a.clock < b.clock; }
  void place(size_t pos, const HeapEntry& e) {
    heap[pos] = e;
    clocks[e.clock - 1].heap_pos = static_cast<uint32_t>(pos);
  }
  void sift_up(size_t pos) {
    HeapEntry e = heap[pos];
    while (pos > 0) {
      size_t parent = (pos - 1) / kArity;
      if (!less(e, heap[parent])) break;
      place(pos, heap[parent]);
      pos = parent;
    }
    place(pos, e);
  }
  void sift_down(size_t pos) {
    HeapEntry e = heap[pos];
    const size_t n = heap.size();
    for (;;) {
      const size_t first = kArity * pos + 1;
      if (first >= n) break;
      size_t child = first;
      for (size_t k = first + 1; k < std::min(first + kArity, n); ++k)
        if (less(heap[k], heap[child])) child = k;
      if (!less(heap[child], e)) break;
      place(pos, heap[child]);
      pos = child;
    }
    place(pos, e);
  }
  void heap_remove(uint64_t id) {
    Clock& c = clocks[id - 1];
    if (c.heap_pos == kNotInHeap) return;
    size_t pos = c.heap_pos;
    c.heap_pos = kNotInHeap;
    HeapEntry last = heap.back();
    heap.pop_back();
    if (pos < heap.size()) {
      place(pos, last);
      sift_down(pos);
      sift_up(clocks[last.clock - 1].heap_pos);
    }
  }
  void heap_set(uint64_t id, int64_t at) {
    Clock& c = clocks[id - 1];
    c.next_fire = at;
    if (at == kNever) {
      heap_remove(id);
      if (c.state == ClockState::running && (c.fired & kBreachBit)) overdue.push_back(id);
      return;
    }
    if (c.heap_pos == kNotInHeap) {
      heap.push_back({at, id});
      c.heap_pos = static_cast<uint32_t>(heap.size() - 1);
      sift_up(heap.size() - 1);
    } else {
      heap[c.heap_pos].at = at;
      sift_down(c.heap_pos);
      sift_up(c.heap_pos);
    }
  }

  Clock& get(ClockId id) {
    if (id == 0 || id > clocks.size() || clocks[id - 1].erased)
      throw Error(Errc::not_found, fmt::format("clock {} not found", id));
    return clocks[id - 1];
  }
  const Clock& get(ClockId id) const { return const_cast<Impl*>(this)->get(id); }

  const TargetInfo& info(const Clock& c) const { return targets[c.target]; }
  /// Threshold k of clock c in counted seconds (warnings, then the breach).
  static int64_t threshold(const Clock& c, const TargetInfo& t, size_t k) {
    return t.instant() ? instant_threshold(c, t, k) : t.thresholds[k];
  }

  static bool fired(const Clock& c, size_t k, size_t warnings) {
    return k == warnings ? (c.fired & kBreachBit) != 0 : (c.fired >> k) & 1;
  }
  static void mark(Clock& c, size_t k, size_t warnings) { c.fired |= k == warnings ? kBreachBit : static_cast<uint8_t>(1u << k); }

  /// The first threshold index not fired yet, or thresholds.size().
  static size_t next_unfired(const Clock& c, const TargetInfo& t) {
    const size_t w = t.thresholds.size() - 1;
    for (size_t k = 0; k < t.thresholds.size(); ++k)
      if (!fired(c, k, w)) return k;
    return t.thresholds.size();
  }

  /// While running: the instant the next unfired threshold is (or was) crossed.
  int64_t compute_next_fire(const Clock& c) const {
    if (c.state != ClockState::running) return kNever;
    const TargetInfo& t = info(c);
    size_t k = next_unfired(c, t);
    if (k == t.thresholds.size()) return kNever;
    int64_t need = threshold(c, t, k) - c.accumulated;
    if (need <= 0) return c.segment_start;  // crossed before this segment: fires at its start
    try {
      return t.target.calendar.add(Instant::from_unix_seconds(c.segment_start), Duration::seconds(need)).unix_seconds();
    } catch (const Error&) {
      return kNever;  // not reached within the supported years (before 2500): never fires
    }
  }

  /// Closes the running segment at `at`: thresholds crossed inside it become deferred events;
  /// returns the business seconds of the segment.
  int64_t close_segment(ClockId id, Clock& c, int64_t at) {
    const TargetInfo& t = info(c);
    const int64_t seg = t.target.calendar.between(Instant::from_unix_seconds(c.segment_start), Instant::from_unix_seconds(at)).count_seconds();
    const size_t w = t.thresholds.size() - 1;
    for (size_t k = 0; k < t.thresholds.size(); ++k) {
      const int64_t threshold_k = threshold(c, t, k);
      if (fired(c, k, w) || threshold_k > c.accumulated + seg) continue;
      int64_t need = threshold_k - c.accumulated;
      int64_t crossed = need <= 0 ? c.segment_start
                                  : t.target.calendar.add(Instant::from_unix_seconds(c.segment_start), Duration::seconds(need)).unix_seconds();
      defer(id, c, k, w, std::min(crossed, at));
    }
    return seg;
  }

  void defer(ClockId id, Clock& c, size_t k, size_t w, int64_t at) {
    mark(c, k, w);
    const TargetInfo& t = info(c);
    const float fraction = k == w ? 1.0f : static_cast<float>(t.target.warnings[k]);
    deferred.push_back({at, id, static_cast<uint8_t>(k == w ? ClockEvent::breach : ClockEvent::warning),
                        static_cast<uint8_t>(k == w ? 0 : k), fraction});
    // Ordered only when a sweep reads them: stops and pauses between sweeps just append.
  }
  /// Makes the whole deferred vector a heap (before a sweep reads it).
  void settle_deferred() {
    if (deferred_heaped == deferred.size()) return;
    if ((deferred.size() - deferred_heaped) * 4 > deferred.size()) {
      std::make_heap(deferred.begin(), deferred.end(), deferred_later);
    } else {
      for (size_t i = deferred_heaped; i < deferred.size(); ++i)
        std::push_heap(deferred.begin(), deferred.begin() + static_cast<std::ptrdiff_t>(i + 1), deferred_later);
    }
    deferred_heaped = deferred.size();
  }
  /// Undoes the deferrals of a failed operation (they were appended after `size`).
  void truncate_deferred(size_t size) {
    deferred.resize(size);
    deferred_heaped = std::min(deferred_heaped, size);
  }

  /// The due of an instant target: given and inside the supported range.
  int64_t checked_due(ClockId id, std::optional<Instant> due) const {
    if (!due) throw Error(Errc::invalid_argument, fmt::format("clock {} counts to a fixed instant: it needs a due instant", id));
    if (due->unix_seconds() < kFirstSupported || due->unix_seconds() > kLastSupported)
      throw Error(Errc::invalid_argument, fmt::format("clock {}: due {} is outside the supported range 1900-01-01 .. 2499-12-31", id,
                                                      due->unix_seconds()));
    return due->unix_seconds();
  }

  void check_time(ClockId id, const Clock& c, int64_t at) const {
    if (at < kFirstSupported || at > kLastSupported)
      throw Error(Errc::invalid_argument, fmt::format("clock {}: time {} is outside the supported range 1900-01-01 .. 2499-12-31", id, at));
    if (at < c.last_change)
      throw Error(Errc::invalid_argument, fmt::format("clock {}: time {} is before its last change {}", id,
                                                      format_utc(Instant::from_unix_seconds(at)),
                                                      format_utc(Instant::from_unix_seconds(c.last_change))));
  }

  ClockEvent event_of(const Clock& c, uint64_t id, size_t k, int64_t at) const {
    const TargetInfo& t = info(c);
    ClockEvent e;
    const bool breach = k == t.thresholds.size() - 1;
    e.kind = breach ? ClockEvent::breach : ClockEvent::warning;
    e.clock = id;
    e.at = Instant::from_unix_seconds(at);
    e.index = breach ? 0 : static_cast<uint8_t>(k);
    e.fraction = breach ? 1.0 : t.target.warnings[k];
    return e;
  }
};

Scheduler::Scheduler() : impl_(std::make_unique<Impl>()) {}
Scheduler::~Scheduler() = default;
Scheduler::Scheduler(Scheduler&&) noexcept = default;
Scheduler& Scheduler::operator=(Scheduler&&) noexcept = default;
Scheduler::Scheduler(const Scheduler& o) : impl_(std::make_unique<Impl>(*o.impl_)) {}
Scheduler& Scheduler::operator=(const Scheduler& o) {
  if (this != &o) impl_ = std::make_unique<Impl>(*o.impl_);
  return *this;
}

TargetId Scheduler::intern(const Target& target) {
  std::string key = index_key(target);
  if (auto it = impl_->target_index.find(key); it != impl_->target_index.end()) return it->second;
  TargetId id = static_cast<TargetId>(impl_->targets.size());
  impl_->targets.push_back(info_of(target));
  impl_->target_index.emplace(std::move(key), id);
  return id;
}

const Target& Scheduler::target(TargetId id) const {
  if (id >= impl_->targets.size()) throw Error(Errc::not_found, fmt::format("target {} not found", id));
  return impl_->targets[id].target;
}

ClockId Scheduler::create(TargetId target) {
  if (target >= impl_->targets.size()) throw Error(Errc::not_found, fmt::format("target {} not found", target));
  Clock c;
  c.target = target;
  impl_->clocks.push_back(c);
  ++impl_->live;
  return impl_->clocks.size();
}

void Scheduler::start(ClockId id, Instant at, std::optional<Instant> due) {
  Clock& c = impl_->get(id);
  if (c.state != ClockState::idle)
    throw Error(Errc::invalid_state, fmt::format("clock {} cannot start: it is {}", id,
                                                 c.state == ClockState::running ? "running" : c.state == ClockState::paused ? "paused" : "stopped"));
  impl_->check_time(id, c, at.unix_seconds());
  Clock next = c;
  if (impl_->info(c).instant()) next.due = impl_->checked_due(id, due);
  next.state = ClockState::running;
  next.segment_start = at.unix_seconds();
  next.last_change = at.unix_seconds();
  int64_t fire = impl_->compute_next_fire(next);  // may throw (no working time): nothing changed yet
  c = next;
  impl_->heap_set(id, fire);
}

void Scheduler::pause(ClockId id, Instant at) {
  Clock& c = impl_->get(id);
  if (c.state != ClockState::running) throw Error(Errc::invalid_state, fmt::format("clock {} cannot pause: it is not running", id));
  if (impl_->info(c).instant())
    throw Error(Errc::invalid_state, fmt::format("clock {} counts to a fixed instant: it does not pause", id));
  impl_->check_time(id, c, at.unix_seconds());
  const int64_t t = at.unix_seconds();
  Clock before = c;
  size_t deferred_before = impl_->deferred.size();
  try {
    int64_t seg = impl_->close_segment(id, c, t);
    c.accumulated += seg;
  } catch (...) {
    c = before;
    impl_->truncate_deferred(deferred_before);
    throw;
  }
  c.state = ClockState::paused;
  c.segment_start = t;
  c.last_change = t;
  impl_->heap_set(id, kNever);
}

void Scheduler::resume(ClockId id, Instant at) {
  Clock& c = impl_->get(id);
  if (c.state != ClockState::paused) throw Error(Errc::invalid_state, fmt::format("clock {} cannot resume: it is not paused", id));
  impl_->check_time(id, c, at.unix_seconds());
  Clock next = c;
  next.paused = add_paused(c.paused, at.unix_seconds() - c.segment_start);
  next.state = ClockState::running;
  next.segment_start = at.unix_seconds();
  next.last_change = at.unix_seconds();
  int64_t fire = impl_->compute_next_fire(next);
  c = next;
  impl_->heap_set(id, fire);
}

void Scheduler::stop(ClockId id, Instant at) {
  Clock& c = impl_->get(id);
  if (c.state == ClockState::stopped) throw Error(Errc::invalid_state, fmt::format("clock {} is already stopped", id));
  impl_->check_time(id, c, at.unix_seconds());
  const int64_t t = at.unix_seconds();
  if (c.state == ClockState::running) {
    Clock before = c;
    size_t deferred_before = impl_->deferred.size();
    try {
      c.accumulated += impl_->close_segment(id, c, t);
    } catch (...) {
      c = before;
      impl_->truncate_deferred(deferred_before);
      throw;
    }
  } else if (c.state == ClockState::paused) {
    c.paused = add_paused(c.paused, t - c.segment_start);
  }
  c.state = ClockState::stopped;
  c.segment_start = t;
  c.last_change = t;
  impl_->heap_set(id, kNever);
}

void Scheduler::retarget(ClockId id, TargetId target, Instant at, std::optional<Instant> due) {
  Clock& c = impl_->get(id);
  if (target >= impl_->targets.size()) throw Error(Errc::not_found, fmt::format("target {} not found", target));
  if (c.state == ClockState::stopped) throw Error(Errc::invalid_state, fmt::format("clock {} is stopped", id));
  impl_->check_time(id, c, at.unix_seconds());
  const bool to_instant = impl_->targets[target].instant();
  if (to_instant && !due && impl_->info(c).instant()) due = Instant::from_unix_seconds(c.due);
  const int64_t new_due = to_instant && c.state != ClockState::idle ? impl_->checked_due(id, due) : 0;
  if (to_instant && c.state == ClockState::paused)
    throw Error(Errc::invalid_state, fmt::format("clock {} is paused: a clock counting to a fixed instant cannot be", id));
  const int64_t t = at.unix_seconds();
  Clock before = c;
  size_t deferred_before = impl_->deferred.size();
  try {
    if (c.state == ClockState::running) {
      c.accumulated += impl_->close_segment(id, c, t);  // old thresholds crossed so far
      c.segment_start = t;
    }
    c.target = target;
    c.due = new_due;
    // Thresholds of the new target already behind the elapsed time fire now (at the switch).
    const TargetInfo& info = impl_->targets[target];
    const size_t w = info.thresholds.size() - 1;
    for (size_t k = 0; k < info.thresholds.size(); ++k)
      if (!Impl::fired(c, k, w) && Impl::threshold(c, info, k) <= c.accumulated) impl_->defer(id, c, k, w, t);
    c.last_change = t;
    int64_t fire = impl_->compute_next_fire(c);
    impl_->heap_set(id, fire);
  } catch (...) {
    c = before;
    impl_->truncate_deferred(deferred_before);
    throw;
  }
}

void Scheduler::erase(ClockId id) {
  Clock& c = impl_->get(id);
  impl_->heap_remove(id);
  c.next_fire = kNever;  // as a snapshot load derives it
  c.erased = true;
  c.state = ClockState::stopped;
  --impl_->live;
}

ClockState Scheduler::state(ClockId id) const { return impl_->get(id).state; }
TargetId Scheduler::target_of(ClockId id) const { return impl_->get(id).target; }

bool Scheduler::contains(ClockId id) const { return id > 0 && id <= impl_->clocks.size() && !impl_->clocks[id - 1].erased; }

ClockStatus Scheduler::status(ClockId id, Instant as_of) const {
  const Clock& c = impl_->get(id);
  as_of = clamp_supported(as_of);
  const TargetInfo& t = impl_->info(c);
  ClockStatus s;
  s.state = c.state;
  s.target = c.target;
  s.kind = t.target.kind;
  int64_t elapsed = c.accumulated;
  if (c.state == ClockState::running && as_of.unix_seconds() > c.segment_start)
    elapsed += t.target.calendar.between(Instant::from_unix_seconds(c.segment_start), as_of).count_seconds();
  s.elapsed = Duration::seconds(elapsed);
  uint32_t paused = c.paused;
  if (c.state == ClockState::paused) paused = add_paused(paused, as_of.unix_seconds() - c.segment_start);
  if (paused != kPausedUnknown) s.paused = Duration::seconds(paused);
  if (t.instant() && c.state != ClockState::idle) s.fixed_due = Instant::from_unix_seconds(c.due);
  const int64_t total = Impl::threshold(c, t, t.thresholds.size() - 1);
  s.total = Duration::seconds(total);
  s.remaining = Duration::seconds(total - elapsed);
  s.breached = elapsed >= total || (c.fired & kBreachBit);
  if (c.state == ClockState::running && t.instant()) {
    s.due = Instant::from_unix_seconds(c.due);
  } else if (c.state == ClockState::running && total - c.accumulated >= 0) {
    try {
      s.due = t.target.calendar.add(Instant::from_unix_seconds(c.segment_start), Duration::seconds(total - c.accumulated));
    } catch (const Error&) {
      // not reached before 2500: no due instant
    }
  }
  uint8_t w = 0;
  for (size_t k = 0; k + 1 < t.thresholds.size(); ++k)
    if (Impl::fired(c, k, t.thresholds.size() - 1)) ++w;
  s.warnings_fired = w;
  return s;
}

void Scheduler::running_candidates_before(Instant t, std::vector<ClockId>& out) const {
  const Impl& s = *impl_;
  if (!s.overdue_complete) {  // after a load (or never queried): the clocks tell
    s.overdue.clear();
    for (size_t i = 0; i < s.clocks.size(); ++i) {
      const Clock& c = s.clocks[i];
      if (!c.erased && c.state == ClockState::running && c.heap_pos == kNotInHeap && (c.fired & kBreachBit)) s.overdue.push_back(i + 1);
    }
    s.overdue_complete = true;
  }
  // Drop the stale (no longer running, or back in the heap after a retarget) as we go.
  size_t kept = 0;
  for (ClockId id : s.overdue) {
    const Clock& c = s.clocks[id - 1];
    if (c.erased || c.state != ClockState::running || c.heap_pos != kNotInHeap) continue;
    s.overdue[kept++] = id;
    out.push_back(id);
  }
  s.overdue.resize(kept);
  // Heap entries before t: a subtree whose root is not before t holds nothing before t.
  const int64_t limit = t.unix_seconds();
  std::vector<size_t> stack;
  if (!s.heap.empty() && s.heap[0].at < limit) stack.push_back(0);
  while (!stack.empty()) {
    const size_t pos = stack.back();
    stack.pop_back();
    out.push_back(s.heap[pos].clock);
    for (size_t k = Impl::kArity * pos + 1; k < std::min(Impl::kArity * pos + 1 + Impl::kArity, s.heap.size()); ++k)
      if (s.heap[k].at < limit) stack.push_back(k);
  }
}

void Scheduler::sweep(Instant now, std::vector<ClockEvent>& out) {
  Impl& s = *impl_;
  const int64_t limit = clamp_supported(now).unix_seconds();
  s.settle_deferred();
  for (;;) {
    const bool heap_due = !s.heap.empty() && s.heap[0].at <= limit;
    const bool deferred_due = !s.deferred.empty() && s.deferred[0].at <= limit;
    if (!heap_due && !deferred_due) break;
    bool take_deferred = deferred_due;
    if (heap_due && deferred_due) {
      const Deferred& d = s.deferred[0];
      const HeapEntry& h = s.heap[0];
      take_deferred = d.at < h.at || (d.at == h.at && d.clock <= h.clock);
    }
    if (take_deferred) {
      std::pop_heap(s.deferred.begin(), s.deferred.end(), deferred_later);
      Deferred d = s.deferred.back();
      s.deferred.pop_back();
      s.deferred_heaped = s.deferred.size();
      const Clock& c = s.clocks[d.clock - 1];
      if (c.erased) continue;
      const TargetInfo& t = s.targets[c.target];
      ClockEvent e;
      e.kind = static_cast<ClockEvent::Kind>(d.kind);
      e.clock = d.clock;
      e.at = Instant::from_unix_seconds(d.at);
      e.index = d.index;
      e.fraction = d.kind == ClockEvent::breach ? 1.0
                   : d.index < t.target.warnings.size() && static_cast<float>(t.target.warnings[d.index]) == d.fraction
                       ? t.target.warnings[d.index]  // the exact double when the target is unchanged
                       : static_cast<double>(d.fraction);
      out.push_back(e);
      continue;
    }
    const uint64_t id = s.heap[0].clock;
    Clock& c = s.clocks[id - 1];
    const TargetInfo& t = s.targets[c.target];
    const size_t k = Impl::next_unfired(c, t);
    const int64_t at = c.next_fire;
    Impl::mark(c, k, t.thresholds.size() - 1);
    out.push_back(s.event_of(c, id, k, at));
    s.heap_set(id, s.compute_next_fire(c));
  }
}

std::optional<Instant> Scheduler::next_fire() const {
  int64_t best = kNever;
  if (!impl_->heap.empty()) best = impl_->heap[0].at;
  const auto& deferred = impl_->deferred;
  if (impl_->deferred_heaped > 0) best = std::min(best, deferred[0].at);
  for (size_t i = impl_->deferred_heaped; i < deferred.size(); ++i) best = std::min(best, deferred[i].at);
  if (best == kNever) return std::nullopt;
  return Instant::from_unix_seconds(best);
}

size_t Scheduler::size() const { return impl_->live; }

size_t Scheduler::memory_bytes() const {
  return impl_->clocks.capacity() * sizeof(Clock) + impl_->heap.capacity() * sizeof(HeapEntry) +
         impl_->deferred.capacity() * sizeof(Deferred);
}

}  // namespace crmkit::sla

// ---- snapshots (format 2; the layout is documented at Scheduler::to_bytes) -------------------

// Clocks and deferred events are written without per-object class information (their layout is
// part of the snapshot format); a target and the scheduler carry a class version (once per archive).
BOOST_CLASS_IMPLEMENTATION(crmkit::sla::Clock, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(crmkit::sla::Clock, boost::serialization::track_never)
BOOST_CLASS_IMPLEMENTATION(crmkit::sla::Deferred, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(crmkit::sla::Deferred, boost::serialization::track_never)
BOOST_CLASS_VERSION(crmkit::sla::TargetInfo, 2)
BOOST_CLASS_TRACKING(crmkit::sla::TargetInfo, boost::serialization::track_never)
BOOST_CLASS_VERSION(crmkit::sla::Scheduler::Impl, 2)
BOOST_CLASS_TRACKING(crmkit::sla::Scheduler::Impl, boost::serialization::track_never)

namespace crmkit::sla {
namespace {

constexpr detail::SnapshotKind kSchedulerSnapshot{std::string_view("crmkSCH\0", 8), 2, "scheduler snapshot", false};

/// Archive helper: the class version of the scheduler state being read or written (its clocks
/// carry no class information of their own).
struct StateVersion {
  unsigned value = 2;
};
char kStateVersionId;

template <class Archive>
StateVersion& state_version(Archive& ar) {
  return ar.template get_helper<StateVersion>(&kStateVersionId);
}

template <class Archive>
void serialize(Archive& ar, Clock& c, const unsigned /*version*/) {
  ar & c.segment_start & c.accumulated & c.last_change & c.next_fire & c.target;
  detail::enum_code(ar, c.state, detail::kClockStateCodes);
  ar & c.fired & c.erased;
  if (state_version(ar).value >= 2) {
    ar & c.due & c.paused;
  } else if constexpr (Archive::is_loading::value) {
    // Version 1 kept no paused time: a clock that ever ran may have been paused.
    c.paused = c.state == ClockState::idle ? 0 : kPausedUnknown;
  }
  if constexpr (Archive::is_loading::value)
    if (c.erased > 1) detail::corrupt("a clock's erased flag is neither 0 nor 1");
}

template <class Archive>
void serialize(Archive& ar, Deferred& d, const unsigned /*version*/) {
  auto kind = static_cast<ClockEvent::Kind>(d.kind);
  ar & d.at & d.clock;
  detail::enum_code(ar, kind, detail::kClockEventKindCodes);
  ar & d.index & d.fraction;
  d.kind = static_cast<uint8_t>(kind);
}

/// Archive helper: the calendars of a scheduler snapshot, which its targets name by index.
struct CalendarTable {
  std::vector<Calendar> calendars;

  uint32_t index_of(const Calendar& c) const {
    for (size_t i = 0; i < calendars.size(); ++i)
      if (calendars[i].id() == c.id()) return static_cast<uint32_t>(i);
    throw Error(Errc::internal, "scheduler snapshot: a target's calendar is not in the table");
  }
  const Calendar& at(uint32_t index) const {
    if (index >= calendars.size()) detail::corrupt("a target names an unknown calendar");
    return calendars[index];
  }
};
char kCalendarTableId;

template <class Archive>
CalendarTable& calendar_table(Archive& ar) {
  return ar.template get_helper<CalendarTable>(&kCalendarTableId);
}

/// A target; its calendar as an index into the snapshot's calendar table, its thresholds derived
/// again on load.
template <class Archive>
void serialize(Archive& ar, TargetInfo& info, const unsigned version) {
  if (version != 1) detail::check_class_version<TargetInfo>(version, "a target");  // 1: no kind (business)
  Target& t = info.target;
  int64_t duration = t.duration.count_seconds();
  int64_t offset = t.due_offset.count_seconds();
  uint32_t calendar = 0;
  int32_t escalate_to = t.escalate_to;
  if constexpr (Archive::is_saving::value) calendar = calendar_table(ar).index_of(t.calendar);
  detail::text(ar, t.clock, "a clock name");
  ar & duration & calendar;
  detail::sequence(ar, t.warnings, "a target's warnings");
  ar & escalate_to;
  detail::text(ar, t.rule, "a target's rule");
  if (version >= 2) {
    detail::enum_code(ar, t.kind, detail::kTargetKindCodes);
    detail::text(ar, t.due_field, "a target's due field");
    ar & offset;
  }
  if constexpr (Archive::is_loading::value) {
    if (escalate_to < -1 || escalate_to > kMaxEscalationLevel)
      detail::corrupt(fmt::format("a target's escalation level is outside -1..{}", kMaxEscalationLevel));
    if (std::llabs(offset) > int64_t{100} * 366 * 86400) detail::corrupt("a target's due offset is out of range");
    t.duration = Duration::seconds(duration);
    t.due_offset = Duration::seconds(offset);
    t.calendar = calendar_table(ar).at(calendar);
    t.escalate_to = escalate_to;
    info = info_of(std::move(t));
  }
}

/// Total order of deferred events (deferred_later, then the fraction): a vector sorted by it is
/// also a heap for deferred_later, and snapshots do not depend on the heap's history.
bool deferred_before(const Deferred& a, const Deferred& b) {
  if (deferred_later(b, a)) return true;
  if (deferred_later(a, b)) return false;
  return std::bit_cast<uint32_t>(a.fraction) < std::bit_cast<uint32_t>(b.fraction);
}

/// The calendars of the targets, each once, in order of first use.
CalendarTable calendars_of(const std::vector<TargetInfo>& targets) {
  CalendarTable table;
  for (const auto& t : targets) {
    const bool known = std::any_of(table.calendars.begin(), table.calendars.end(),
                                   [&](const Calendar& c) { return c.id() == t.target.calendar.id(); });
    if (!known) table.calendars.push_back(t.target.calendar);
  }
  return table;
}

}  // namespace

/// What a scheduler snapshot stores; the heap of next fires, the clocks' heap positions, the
/// target index and the live count are derived from it on load.
template <class Archive>
void serialize(Archive& ar, Scheduler::Impl& s, const unsigned version) {
  if (version != 1) detail::check_class_version<Scheduler::Impl>(version, "the scheduler state");  // 1: no due, no paused time
  state_version(ar).value = version;
  detail::sequence(ar, s.clocks, "the clocks");
  if constexpr (Archive::is_saving::value) {
    std::vector<Deferred> deferred = s.deferred;
    std::sort(deferred.begin(), deferred.end(), deferred_before);
    detail::sequence(ar, deferred, "the deferred events");
    calendar_table(ar) = calendars_of(s.targets);
  } else {
    detail::sequence(ar, s.deferred, "the deferred events");
  }
  detail::sequence(ar, calendar_table(ar).calendars, "the calendars");
  detail::sequence(ar, s.targets, "the targets");
}

namespace {

/// After loading: every reference inside the snapshot, then the derived tables.
void check_and_index(Scheduler::Impl& s) {
  if (s.clocks.size() >= kNotInHeap) detail::corrupt("too many clocks");
  for (const Clock& c : s.clocks) {
    if (c.target >= s.targets.size()) detail::corrupt("a clock names an unknown target");
    // Calendars count only 1900..2499 (and the arithmetic on these must not overflow).
    const bool in_range = c.segment_start >= kFirstSupported && c.segment_start <= kLastSupported &&
                          (c.last_change == INT64_MIN || (c.last_change >= kFirstSupported && c.last_change <= kLastSupported)) &&
                          c.accumulated >= 0 && c.accumulated <= kLastSupported - kFirstSupported;
    if (!in_range) detail::corrupt("a clock's times are outside 1900..2499");
    const bool instant = s.targets[c.target].instant() && c.state != ClockState::idle;
    if (instant ? c.due < kFirstSupported || c.due > kLastSupported : c.due != 0)
      detail::corrupt("a clock's due is outside 1900..2499, or set for a target that is not an instant");
    if (instant && c.state == ClockState::paused) detail::corrupt("a clock counting to a fixed instant is paused");
  }
  for (const Deferred& d : s.deferred)
    if (d.clock == 0 || d.clock > s.clocks.size() || d.index > 6 || (d.kind == ClockEvent::breach && d.index != 0) ||
        !(d.fraction > 0 && d.fraction <= 1))
      detail::corrupt("a deferred event is out of range");
  std::sort(s.deferred.begin(), s.deferred.end(), deferred_before);
  s.deferred_heaped = s.deferred.size();
  // The heap holds exactly the live clocks with a next fire (heap_set keeps it so); a sorted
  // array is a heap of any arity.
  s.heap.clear();
  s.live = 0;
  for (size_t i = 0; i < s.clocks.size(); ++i) {
    Clock& c = s.clocks[i];
    c.heap_pos = kNotInHeap;
    s.live += !c.erased;
    // The next fire is derived, never believed: a stored one may name a threshold already fired,
    // or a clock that is not running.
    c.next_fire = c.erased ? kNever : s.compute_next_fire(c);
    if (!c.erased && c.next_fire != kNever) s.heap.push_back({c.next_fire, i + 1});
  }
  std::sort(s.heap.begin(), s.heap.end(), Scheduler::Impl::less);
  for (size_t i = 0; i < s.heap.size(); ++i) s.clocks[s.heap[i].clock - 1].heap_pos = static_cast<uint32_t>(i);
  // Targets are indexed by their calendar's identity: restored calendars are new objects, so
  // later interning of the policy's targets adds new ids instead of reusing these.
  s.target_index.clear();
  for (size_t i = 0; i < s.targets.size(); ++i) s.target_index.emplace(index_key(s.targets[i].target), static_cast<TargetId>(i));
}

}  // namespace

std::string Scheduler::to_bytes() const {
  // Per clock 51 bytes, per deferred event 22; targets and calendars are few.
  const size_t expected = 51 * impl_->clocks.size() + 22 * impl_->deferred.size() + 256 * impl_->targets.size() + 4096;
  return detail::write_snapshot(kSchedulerSnapshot, expected, [&](boost::archive::binary_oarchive& ar) { ar << *impl_; });
}

Scheduler Scheduler::from_bytes(std::string_view bytes) {
  Scheduler out;
  detail::read_snapshot(bytes, kSchedulerSnapshot, [&](boost::archive::binary_iarchive& ar) {
    ar >> *out.impl_;
    check_and_index(*out.impl_);
  });
  return out;
}

}  // namespace crmkit::sla

