// The workflow engine's state: plain data (vectors, strings, hash maps of plain structs) so it
// can be serialized later.
#pragma once

#include <cstddef>
#include <cstring>
#include <algorithm>
#include <array>
#include <deque>
#include <mutex>
#include <shared_mutex>  // std::shared_lock
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/rw_lock.hpp"
#include "crmkit/error.hpp"
#include "workflow/internal.hpp"

// Forces inlining of the few small functions on every event's path (GCC declines otherwise).
#if defined(__GNUC__)
#define CRMKIT_HOT_INLINE [[gnu::always_inline]] inline
#else
#define CRMKIT_HOT_INLINE inline
#endif

namespace crmkit::workflow {

/// Interned strings: id 0 is "". Bytes live in one arena (offsets per id). An open-addressing
/// table finds them; each 16-byte slot keeps a hash tag, the length and the first 8 bytes, so a
/// lookup of a string of up to 8 bytes (most ids: "C-10234", "u-7") touches one slot and nothing
/// else, and a longer one compares the arena only when tag and head agree. No allocation for a
/// known string. str() returns a view valid until the next intern().
class Interner {
 public:
  Interner() { intern(""); }
  /// Up to 8 bytes as a little-endian word, zero-padded, in fixed-size loads: a memcpy of a
  /// variable length followed by an 8-byte load stalls on store forwarding.
  CRMKIT_HOT_INLINE static uint64_t load_upto8(const char* p, size_t n) {
    if (n >= 4) {
      uint32_t lo, hi;  // two overlapping 4-byte loads; the overlap holds the same bytes in both
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + n - 4, 4);
      return uint64_t{lo} | (uint64_t{hi} << ((n - 4) * 8));
    }
    if (n == 0) return 0;
    return uint64_t{static_cast<uint8_t>(p[0])} | (uint64_t{static_cast<uint8_t>(p[n / 2])} << (n / 2 * 8)) |
           (uint64_t{static_cast<uint8_t>(p[n - 1])} << ((n - 1) * 8));
  }
  CRMKIT_HOT_INLINE static uint64_t hash(std::string_view s) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      h = (h ^ w) * 0xFF51AFD7ED558CCDull;
      h ^= h >> 32;
    }
    h = (h ^ load_upto8(s.data() + i, s.size() - i)) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 29;
    return h;
  }
  uint32_t intern(std::string_view s) {
    const Key k = key(s);
    size_t pos = probe(s, k);
    if (!slots_.empty() && slots_[pos].id1) return slots_[pos].id1 - 1;
    const uint32_t id = static_cast<uint32_t>(offsets_.size());
    offsets_.push_back(arena_.size());
    arena_.append(s);
    lengths_.push_back(static_cast<uint32_t>(s.size()));
    if (offsets_.size() * 2 > slots_.size()) {
      grow();
      pos = probe(s, k);
    }
    slots_[pos] = Slot{k.meta, id + 1, k.head};
    return id;
  }
  /// -1 when unknown.
  int64_t find(std::string_view s) const {
    if (slots_.empty()) return -1;
    const Slot& slot = slots_[probe(s, key(s))];
    return slot.id1 ? static_cast<int64_t>(slot.id1) - 1 : -1;
  }
  std::string_view str(uint32_t id) const { return {arena_.data() + offsets_[id], lengths_[id]}; }
  std::string s(uint32_t id) const { return std::string(str(id)); }
  size_t size() const { return offsets_.size(); }
  size_t bytes() const {
    return arena_.capacity() + offsets_.capacity() * sizeof(uint64_t) + lengths_.capacity() * 4 + slots_.capacity() * sizeof(Slot);
  }

 private:
  struct Slot {
    uint32_t meta = 0;  ///< hash tag (24 bits) << 8 | min(length, 255)
    uint32_t id1 = 0;   ///< id + 1; 0: empty
    uint64_t head = 0;  ///< the first 8 bytes, zero-padded
  };
  struct Key {
    uint64_t hash, head;
    uint32_t meta;
  };
  CRMKIT_HOT_INLINE static Key key(std::string_view s) {
    Key k;
    k.hash = hash(s);
    k.head = load_upto8(s.data(), std::min<size_t>(s.size(), 8));
    k.meta = static_cast<uint32_t>(k.hash >> 40) << 8 | static_cast<uint32_t>(std::min<size_t>(s.size(), 255));
    return k;
  }
  CRMKIT_HOT_INLINE size_t probe(std::string_view s, const Key& k) const {
    if (slots_.empty()) return 0;
    const size_t mask = slots_.size() - 1;
    for (size_t pos = static_cast<size_t>(k.hash) & mask;; pos = (pos + 1) & mask) {
      const Slot& v = slots_[pos];
      if (!v.id1) return pos;
      if (v.meta == k.meta && v.head == k.head) {
        if (s.size() <= 8) return pos;  // length and every byte are in the slot
        const uint32_t id = v.id1 - 1;
        if (lengths_[id] == s.size() && same_after_head(arena_.data() + offsets_[id], s.data(), s.size())) return pos;
      }
    }
  }
  /// Bytes 8.. of two strings of length n > 8 (the heads already matched), 8 bytes at a time with
  /// a last overlapping word: inline, where a memcmp call costs more than the comparison.
  CRMKIT_HOT_INLINE static bool same_after_head(const char* a, const char* b, size_t n) {
    uint64_t x, y;
    for (size_t i = 8; i + 8 < n; i += 8) {
      std::memcpy(&x, a + i, 8);
      std::memcpy(&y, b + i, 8);
      if (x != y) return false;
    }
    std::memcpy(&x, a + n - 8, 8);
    std::memcpy(&y, b + n - 8, 8);
    return x == y;
  }
  void grow() { rebuild(std::max<size_t>(16, slots_.size() * 2)); }
  /// A table of `slot_count` slots (a power of two) holding every string, placed in id order (the
  /// arena is read sequentially); false when a string occurs twice (only a corrupt snapshot).
  bool rebuild(size_t slot_count) {
    slots_.assign(slot_count, Slot{});
    for (uint32_t id = 0; id < offsets_.size(); ++id) {
      const std::string_view s = str(id);
      const Key k = key(s);
      const size_t pos = probe(s, k);
      if (slots_[pos].id1) return false;
      slots_[pos] = Slot{k.meta, id + 1, k.head};
    }
    return true;
  }
  std::string arena_;
  std::vector<uint64_t> offsets_;
  std::vector<uint32_t> lengths_;
  std::vector<Slot> slots_;

  /// Snapshots (src/workflow/snapshot.cpp): the strings; the lookup table is rebuilt on load.
  template <class Archive>
  friend void serialize(Archive& ar, Interner& interner, unsigned version);
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

  /// Snapshots (src/workflow/snapshot.cpp): the entries in key order; the table is rebuilt on load.
  template <class Archive>
  friend void serialize(Archive& ar, FlatMap64& map, unsigned version);
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
  /// 16 bits of the id's hash: the duplicate-id scan compares it before touching the pool.
  static uint16_t tag_of(std::string_view id);

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
  uint16_t id_tag = 0;    ///< tag_of(id); recomputed when a snapshot is loaded
};
static_assert(sizeof(Record) == 32);

/// Case flags.
enum : uint8_t {
  kCaseOverLevel = 1,
  kCaseManualRequired = 2,
  kCaseEverResolved = 4,
  kCaseBreached = 8,  ///< some clock instance breached (seen by a sweep or at a restart)
  kCaseExhausted = 16,
};

inline constexpr int64_t kNone = INT64_MIN;

/// One case. Laid out by use: the first 128 bytes hold what most events read or write (audit
/// trail, pool, last time, clocks, state), the rest what few events touch. (Aligning cases to
/// cache lines as well measured slower: the padding costs more than the straddling.)
struct CaseRec {
  // line 0
  std::vector<Record> events;
  std::string pool;
  int64_t last_at = 0;
  // line 1
  uint32_t clock_id[kMaxClocks] = {};
  uint8_t clock_state[kMaxClocks] = {};  ///< sla::ClockState mirror
  uint32_t target_set = 0;  ///< index into Engine::Impl::target_sets
  uint32_t tier = 0;        ///< symbol
  uint64_t id_bloom = 0;    ///< bit (id_tag % 64) of every record: a new id usually skips the duplicate scan
  uint8_t state = 0, level = 0, flags = 0, attempts = 0, reopens = 0;
  Satisfaction satisfaction = Satisfaction::none;
  // cold
  uint32_t customer = 0, category = 0, channel = 0, severity = 0;  // symbols
  uint32_t owner = 0, department = 0, first_owner = 0;
  uint32_t repeat_of = 0;    ///< case index + 1
  uint32_t merged_into = 0;  ///< case index + 1
  int64_t received_at = 0, resolved_at = kNone, closed_at = kNone;
  int64_t comp_granted = 0;
  std::vector<int64_t> comp_pending;
  uint8_t clock_instance[kMaxClocks] = {};
  uint8_t ratings[3] = {0, 0, 0};  ///< very_satisfied, satisfied, unsatisfied (saturating)
  int16_t received_offset_minutes = 0;

  static uint64_t bloom_bit(uint16_t id_tag) { return uint64_t{1} << (id_tag & 63); }
  /// False when no record of the case can have this id tag.
  bool may_hold(uint16_t id_tag) const { return id_bloom & bloom_bit(id_tag); }
  void add_record(const Record& r) {
    events.push_back(r);
    id_bloom |= bloom_bit(r.id_tag);
  }

  size_t bytes() const {
    return sizeof(CaseRec) + events.capacity() * sizeof(Record) + (pool.capacity() > 15 ? pool.capacity() + 1 : 0) +
           comp_pending.capacity() * sizeof(int64_t);
  }
};

static_assert(offsetof(CaseRec, satisfaction) < 128, "the hot fields of a case fit two cache lines");

// Pool encoding of data fields: [field u8][len u32][bytes] for text, [field][u8] for manual and
// level, [field][i64] for amount.
inline void put_u32(std::string& pool, uint32_t v) { pool.append(reinterpret_cast<const char*>(&v), 4); }
inline uint32_t get_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

/// Appends the event's id and its encoded data to the pool in one resize (many small appends
/// cost a capacity check and a memcpy call each); returns the data's length.
inline uint32_t encode_record(const Event& e, std::string& pool) {
  uint32_t text_fields = e.present & ~((1u << static_cast<unsigned>(Field::manual)) | (1u << static_cast<unsigned>(Field::level)) |
                                       (1u << static_cast<unsigned>(Field::amount)) | (1u << static_cast<unsigned>(Field::note)));
  if (!e.note.empty()) text_fields |= 1u << static_cast<unsigned>(Field::note);
  size_t data = 0;
  for (uint32_t bits = text_fields; bits; bits &= bits - 1) data += 5 + e.text(static_cast<Field>(__builtin_ctz(bits))).size();
  if (e.has(Field::manual)) data += 2;
  if (e.has(Field::level)) data += 2;
  if (e.has(Field::amount)) data += 9;
  const size_t at = pool.size();
  pool.resize(at + e.id.size() + data);
  char* p = pool.data() + at;
  std::memcpy(p, e.id.data(), e.id.size());
  p += e.id.size();
  // Fields in Field order, the note last (decode_data accepts any order; readers expect this one).
  for (uint32_t bits = e.present | text_fields; bits; bits &= bits - 1) {
    const auto i = static_cast<unsigned>(__builtin_ctz(bits));
    const Field f = static_cast<Field>(i);
    if (f == Field::note) continue;
    *p++ = static_cast<char>(i);
    if (f == Field::manual) *p++ = e.manual ? 1 : 0;
    else if (f == Field::level) *p++ = static_cast<char>(e.level);
    else if (f == Field::amount) {
      std::memcpy(p, &e.amount_cents, 8);
      p += 8;
    } else {
      const std::string& str = e.text(f);
      const auto n = static_cast<uint32_t>(str.size());
      std::memcpy(p, &n, 4);
      std::memcpy(p + 4, str.data(), n);
      p += 4 + n;
    }
  }
  if (!e.note.empty()) {
    *p++ = static_cast<char>(Field::note);
    const auto n = static_cast<uint32_t>(e.note.size());
    std::memcpy(p, &n, 4);
    std::memcpy(p + 4, e.note.data(), n);
  }
  return static_cast<uint32_t>(data);
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

inline uint16_t Record::tag_of(std::string_view id) { return static_cast<uint16_t>(Interner::hash(id) >> 48); }

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
  mutable detail::RwLock mutex;  ///< apply/sweep/restore exclusive, queries shared

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
  /// Per field: the symbols of the values the workflow accepts (channel, category, severity and
  /// tier; empty: any value): validation is a lookup instead of string comparisons.
  std::array<std::vector<uint32_t>, static_cast<size_t>(Field::count_)> accepted_symbols;
  int escalate_type = -1;
  uint32_t system_actor = 0;
  std::vector<sla::ClockEvent> sweep_buf;

  /// (Re)computes the symbols the engine holds for its configuration (after construction and
  /// after a restore replaced the symbol table).
  void bind_symbols() {
    manual_tiers.clear();
    for (const auto& t : rules.manual_callback_tiers) manual_tiers.push_back(syms.intern(t));
    system_actor = syms.intern("system");
    for (Field f : kSymbolFields) {
      auto& accepted = accepted_symbols[static_cast<size_t>(f)];
      accepted.clear();
      for (const auto& v : d->values[static_cast<size_t>(f)]) accepted.push_back(syms.intern(v));
    }
  }
  static constexpr Field kSymbolFields[] = {Field::channel, Field::category, Field::severity, Field::tier};

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
