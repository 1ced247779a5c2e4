// The workflow engine's state: plain data (vectors, strings, hash maps of plain structs) so it
// can be serialized later.
#pragma once

#include <cstring>
#include <algorithm>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/pod_io.hpp"
#include "crmkit/error.hpp"
#include "workflow/internal.hpp"

namespace crmkit::workflow {

/// Interned strings: id 0 is "". Bytes live in one arena (offsets per id); an open-addressing
/// table of (hash << 32 | id + 1) slots finds them: one probe and one compare per lookup, no
/// allocation for a known string. str() returns a view valid until the next intern().
class Interner {
 public:
  Interner() { intern(""); }
  static uint64_t hash(std::string_view s) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      h = (h ^ w) * 0xFF51AFD7ED558CCDull;
      h ^= h >> 32;
    }
    uint64_t w = 0;
    std::memcpy(&w, s.data() + i, s.size() - i);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 29;
    return h;
  }
  uint32_t intern(std::string_view s) {
    const uint64_t h = hash(s);
    size_t pos = probe(s, h);
    if (!slots_.empty() && slots_[pos]) return static_cast<uint32_t>(slots_[pos] & 0xFFFFFFFFu) - 1;
    const uint32_t id = static_cast<uint32_t>(offsets_.size());
    offsets_.push_back(arena_.size());
    arena_.append(s);
    lengths_.push_back(static_cast<uint32_t>(s.size()));
    if (offsets_.size() * 2 > slots_.size()) {
      grow();
      pos = probe(s, h);
    }
    slots_[pos] = (h & 0xFFFFFFFF00000000ull) | (uint64_t{id} + 1);
    return id;
  }
  /// -1 when unknown.
  int64_t find(std::string_view s) const {
    if (slots_.empty()) return -1;
    const size_t pos = probe(s, hash(s));
    return slots_[pos] ? static_cast<int64_t>(slots_[pos] & 0xFFFFFFFFu) - 1 : -1;
  }
  std::string_view str(uint32_t id) const { return {arena_.data() + offsets_[id], lengths_[id]}; }
  std::string s(uint32_t id) const { return std::string(str(id)); }
  size_t size() const { return offsets_.size(); }
  size_t bytes() const {
    return arena_.capacity() + offsets_.capacity() * sizeof(uint64_t) + lengths_.capacity() * 4 + slots_.capacity() * 8;
  }

 private:
  size_t probe(std::string_view s, uint64_t h) const {
    if (slots_.empty()) return 0;
    const size_t mask = slots_.size() - 1;
    const uint64_t tag = h & 0xFFFFFFFF00000000ull;
    for (size_t pos = static_cast<size_t>(h) & mask;; pos = (pos + 1) & mask) {
      const uint64_t v = slots_[pos];
      if (!v) return pos;
      if ((v & 0xFFFFFFFF00000000ull) == tag) {
        const uint32_t id = static_cast<uint32_t>(v & 0xFFFFFFFFu) - 1;
        if (lengths_[id] == s.size() && std::memcmp(arena_.data() + offsets_[id], s.data(), s.size()) == 0) return pos;
      }
    }
  }
  void grow() {
    std::vector<uint64_t> old = std::move(slots_);
    slots_.assign(std::max<size_t>(16, old.size() * 2), 0);
    const size_t mask = slots_.size() - 1;
    for (uint64_t v : old) {
      if (!v) continue;
      const uint64_t h = hash(str(static_cast<uint32_t>(v & 0xFFFFFFFFu) - 1));
      size_t pos = static_cast<size_t>(h) & mask;
      while (slots_[pos]) pos = (pos + 1) & mask;
      slots_[pos] = v;
    }
  }
  std::string arena_;
  std::vector<uint64_t> offsets_;
  std::vector<uint32_t> lengths_;
  std::vector<uint64_t> slots_;

 public:
  /// Snapshots (src/workflow/snapshot.cpp); `limit` bounds every size read back.
  template <class Archive>
  void io(Archive& ar, uint64_t limit) {
    detail::bounded_string(ar, arena_, limit);
    detail::pod_vector(ar, offsets_, limit);
    detail::pod_vector(ar, lengths_, limit);
    detail::pod_vector(ar, slots_, limit);
    if constexpr (Archive::is_loading::value) {
      if (offsets_.size() != lengths_.size() || offsets_.empty()) throw Error(Errc::corrupt, "snapshot: interner tables disagree");
      for (size_t i = 0; i < offsets_.size(); ++i)
        if (offsets_[i] + lengths_[i] > arena_.size()) throw Error(Errc::corrupt, "snapshot: interned string outside its arena");
      if (!slots_.empty() && (slots_.size() & (slots_.size() - 1))) throw Error(Errc::corrupt, "snapshot: interner table size");
      size_t used = 0;
      for (uint64_t v : slots_) {
        if (v && (v & 0xFFFFFFFFu) > offsets_.size()) throw Error(Errc::corrupt, "snapshot: interner slot out of range");
        used += v != 0;
      }
      if (!slots_.empty() && used >= slots_.size()) throw Error(Errc::corrupt, "snapshot: full interner table");
    }
  }
};

/// uint64 -> uint32 open-addressing map (keys != UINT64_MAX).
class FlatMap64 {
 public:
  uint32_t* find(uint64_t key) {
    if (keys_.empty()) return nullptr;
    const size_t mask = keys_.size() - 1;
    for (size_t pos = mix(key) & mask;; pos = (pos + 1) & mask) {
      if (keys_[pos] == key) return &values_[pos];
      if (keys_[pos] == kEmpty) return nullptr;
    }
  }
  void set(uint64_t key, uint32_t value) {
    if (uint32_t* v = find(key)) {
      *v = value;
      return;
    }
    if ((size_ + 1) * 2 > keys_.size()) grow();
    const size_t mask = keys_.size() - 1;
    size_t pos = mix(key) & mask;
    while (keys_[pos] != kEmpty) pos = (pos + 1) & mask;
    keys_[pos] = key;
    values_[pos] = value;
    ++size_;
  }
  size_t size() const { return size_; }
  size_t bytes() const { return keys_.capacity() * 8 + values_.capacity() * 4; }

 private:
  static constexpr uint64_t kEmpty = UINT64_MAX;
  static size_t mix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDull;
    k ^= k >> 33;
    return static_cast<size_t>(k);
  }
  void grow() {
    std::vector<uint64_t> ok = std::move(keys_);
    std::vector<uint32_t> ov = std::move(values_);
    keys_.assign(std::max<size_t>(16, ok.size() * 2), kEmpty);
    values_.assign(keys_.size(), 0);
    size_ = 0;
    for (size_t i = 0; i < ok.size(); ++i)
      if (ok[i] != kEmpty) set(ok[i], ov[i]);
  }
  std::vector<uint64_t> keys_;
  std::vector<uint32_t> values_;
  size_t size_ = 0;

 public:
  template <class Archive>
  void io(Archive& ar, uint64_t limit) {
    detail::pod_vector(ar, keys_, limit);
    detail::pod_vector(ar, values_, limit);
    uint64_t n = size_;
    ar & n;
    size_ = static_cast<size_t>(n);
    if constexpr (Archive::is_loading::value) {
      if (keys_.size() != values_.size() || size_ > keys_.size() || (!keys_.empty() && (keys_.size() & (keys_.size() - 1))))
        throw Error(Errc::corrupt, "snapshot: hash table sizes disagree");
      size_t used = 0;
      for (uint64_t k : keys_) used += k != kEmpty;
      if (used != size_ || (!keys_.empty() && used >= keys_.size())) throw Error(Errc::corrupt, "snapshot: hash table count");
    }
  }
};

/// Record flags.
enum : uint8_t {
  kRecSystem = 1,          ///< written by the engine (automatic escalation)
  kRecCompGranted = 2,
  kRecCompPending = 4,
  kRecCompApproved = 8,
  kRecExhausted = 16,      ///< callback attempts exhausted: closed with satisfaction unknown
  kRecRepeat = 32,
  kRecOverLevel = 64,
};
inline constexpr uint16_t kSystemType = 0xFFFF;  ///< automatic escalation when the workflow has no "escalate" type
inline constexpr uint8_t kSystemRole = 0xFF;

/// One applied event, 32 bytes; its id and data live in the case's pool.
struct Record {
  int64_t at = 0;
  uint32_t off = 0;       ///< pool offset of the id, followed by the data
  uint32_t data_len = 0;  ///< bytes of encoded data after the id
  uint32_t actor = 0;     ///< symbol
  uint16_t type = 0;      ///< definition event type, or kSystemType
  uint16_t id_len = 0;
  int16_t offset_minutes = 0;
  uint8_t role = 0;       ///< role index or kSystemRole
  uint8_t from = kNoState, to = kNoState;
  uint8_t flags = 0;
};

/// Case flags.
enum : uint8_t {
  kCaseOverLevel = 1,
  kCaseManualRequired = 2,
  kCaseEverResolved = 4,
  kCaseBreached = 8,  ///< some clock instance breached (seen by a sweep or at a restart)
  kCaseExhausted = 16,
};

inline constexpr int64_t kNone = INT64_MIN;

struct CaseRec {
  uint32_t channel = 0, category = 0, severity = 0, customer = 0, tier = 0;  // symbols
  uint32_t owner = 0, department = 0, first_owner = 0;
  uint32_t repeat_of = 0;    ///< case index + 1
  uint32_t merged_into = 0;  ///< case index + 1
  int64_t received_at = 0, last_at = 0, resolved_at = kNone, closed_at = kNone;
  int64_t comp_granted = 0;
  std::vector<int64_t> comp_pending;
  uint32_t target_set = 0;  ///< index into Engine::Impl::target_sets
  uint32_t clock_id[kMaxClocks] = {};
  uint8_t clock_state[kMaxClocks] = {};  ///< sla::ClockState mirror
  uint8_t clock_instance[kMaxClocks] = {};
  uint8_t state = 0, level = 0, flags = 0, attempts = 0, reopens = 0;
  Satisfaction satisfaction = Satisfaction::none;
  uint8_t ratings[3] = {0, 0, 0};  ///< very_satisfied, satisfied, unsatisfied (saturating)
  int16_t received_offset_minutes = 0;
  std::vector<Record> events;
  std::string pool;

  size_t bytes() const {
    return sizeof(CaseRec) + events.capacity() * sizeof(Record) + (pool.capacity() > 15 ? pool.capacity() + 1 : 0) +
           comp_pending.capacity() * sizeof(int64_t);
  }
};

// Pool encoding of data fields: [field u8][len u32][bytes] for text, [field][u8] for manual and
// level, [field][i64] for amount.
inline void put_u32(std::string& pool, uint32_t v) { pool.append(reinterpret_cast<const char*>(&v), 4); }
inline uint32_t get_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline void encode_data(const Event& e, std::string& pool) {
  for (size_t i = 0; i < static_cast<size_t>(Field::count_); ++i) {
    Field f = static_cast<Field>(i);
    if (f == Field::note) continue;
    if (!e.has(f)) continue;
    pool.push_back(static_cast<char>(i));
    if (f == Field::manual) pool.push_back(e.manual ? 1 : 0);
    else if (f == Field::level) pool.push_back(static_cast<char>(e.level));
    else if (f == Field::amount) pool.append(reinterpret_cast<const char*>(&e.amount_cents), 8);
    else {
      const std::string& s = e.text(f);
      put_u32(pool, static_cast<uint32_t>(s.size()));
      pool.append(s);
    }
  }
  if (!e.note.empty()) {
    pool.push_back(static_cast<char>(Field::note));
    put_u32(pool, static_cast<uint32_t>(e.note.size()));
    pool.append(e.note);
  }
}

/// Visits the decoded data of a record: f(field, text, number).
template <class F>
void decode_data(const std::string& pool, const Record& r, F&& f) {
  const char* p = pool.data() + r.off + r.id_len;
  const char* end = p + r.data_len;
  while (p < end) {
    Field field = static_cast<Field>(static_cast<uint8_t>(*p++));
    if (field == Field::manual || field == Field::level) {
      f(field, std::string_view(), static_cast<int64_t>(static_cast<uint8_t>(*p++)));
    } else if (field == Field::amount) {
      int64_t v;
      std::memcpy(&v, p, 8);
      p += 8;
      f(field, std::string_view(), v);
    } else {
      uint32_t n = get_u32(p);
      p += 4;
      f(field, std::string_view(p, n), 0);
      p += n;
    }
  }
}

inline std::string_view record_id(const std::string& pool, const Record& r) { return {pool.data() + r.off, r.id_len}; }


struct TargetSet {
  sla::TargetId target[kMaxClocks] = {};
  int8_t escalate_to[kMaxClocks] = {};
};

struct Engine::Impl {
  Definition def;
  const Definition::Impl* d = nullptr;
  sla::Policy policy;
  Rules rules;
  TimeZone zone;
  sla::Scheduler scheduler;
  mutable std::shared_mutex mutex;

  Interner case_ids;  // case index = id - 1 (0 is "")
  Interner syms;
  std::vector<CaseRec> cases;
  std::vector<uint32_t> clock_case;   ///< ClockId - 1 -> case index
  std::vector<uint8_t> clock_slot;    ///< ClockId - 1 -> clock slot
  FlatMap64 repeat_index;  ///< (customer << 32 | category) -> case index + 1 of the last closed
  std::vector<TargetSet> target_sets;
  FlatMap64 target_set_index;  // key: channel|category|severity|tier symbols (16 bits each)
  std::unordered_map<std::string, uint32_t> target_set_index_wide;  // the same when a symbol is >= 65536
  Interner type_names;  ///< id = event type index + 1
  Interner role_names;  ///< id = role index + 1
  std::vector<std::optional<int64_t>> role_limit;  ///< per role index: compensation limit (cents); nullopt: none
  std::vector<bool> role_limit_unlimited;
  std::vector<uint32_t> manual_tiers;  ///< symbols
  int escalate_type = -1;
  uint32_t system_actor = 0;
  std::vector<sla::ClockEvent> sweep_buf;

  CaseRec* find_case(std::string_view id) {
    int64_t k = case_ids.find(id);
    return k <= 0 ? nullptr : &cases[static_cast<size_t>(k - 1)];
  }
  const CaseRec* find_case(std::string_view id) const { return const_cast<Impl*>(this)->find_case(id); }
  size_t index_of(const CaseRec& c) const { return static_cast<size_t>(&c - cases.data()); }
  std::string case_id(size_t idx) const { return case_ids.s(static_cast<uint32_t>(idx + 1)); }
  StateKind kind(uint8_t state) const { return d->states[state].kind; }

  Case materialize(size_t idx, bool with_events, std::optional<Instant> as_of) const;
};

}  // namespace crmkit::workflow
