// Private: the library's one string-interning table. The value readers intern customer ids in it
// (tens of millions of rows), the workflow engine its case ids and symbols (workflow/engine_impl.hpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/hash.hpp"
#include "common/large_buffer.hpp"

namespace crmkit::detail {

/// A string as a hash-table key: its first 16 bytes inline, so that comparing two strings of up
/// to 16 bytes (most ids: "C123456", "00042", "CASE-000123") touches only the table, not the text
/// the string came from.
struct IdKey {
  uint64_t head[2];
  std::string_view id;
  uint32_t hash;

  IdKey() : head{0, 0}, hash(0) {}
  CRMKIT_HOT_INLINE explicit IdKey(std::string_view s) : id(s) {
    const size_t n = s.size();
    head[0] = load_upto8(s.data(), std::min<size_t>(n, 8));
    head[1] = n > 8 ? load_upto8(s.data() + 8, std::min<size_t>(n - 8, 8)) : 0;
    uint64_t h = (head[0] ^ (uint64_t{n} << 56)) * 0xFF51AFD7ED558CCDull;
    h = (h ^ (h >> 32) ^ head[1]) * 0xC4CEB9FE1A85EC53ull;
    if (n > 16) h = (h ^ hash_bytes(s.substr(16))) * 0xFF51AFD7ED558CCDull;
    hash = static_cast<uint32_t>(h >> 32);  // a product's high half depends on every input bit
  }
};

/// Interns strings to dense indices in first-seen order: an open-addressing table whose 32-byte
/// slots hold a string's first 16 bytes, so that a lookup of a short string is one cache line.
/// prefetch() lets a reader request the line of a row's id while it parses the next rows: in a
/// log of a million customers nearly every lookup misses the cache, and overlapping the misses
/// is what makes the readers fast (benchmarks/RESULTS.md, issue 29: a 1.81 boost::unordered_flat_map,
/// which cannot prefetch, was measured against it and lost by 2.7x).
///
/// Keys view their bytes: the caller keeps them alive (a reader's file buffer), unless own_keys()
/// was called (then every new string is copied into the table's arena, whose blocks never move:
/// a view from str() stays valid as long as the table); intern_copy copies one string.
class IdTable {
 public:
  /// `slots`: the initial size (a power of two; small tables: the engine's per-workflow names).
  explicit IdTable(size_t slots = 1024) { rehash(std::max<size_t>(slots, 2)); }
  /// A moved-from table may only be assigned to or destroyed.
  IdTable(IdTable&& other) noexcept { swap(other); }
  IdTable& operator=(IdTable&& other) noexcept {
    IdTable(std::move(other)).swap(*this);
    return *this;
  }
  /// A copy owns its strings (whatever the original viewed).
  IdTable(const IdTable& other) : IdTable(other.mask_ + 1) {
    own_keys_ = true;
    for (std::string_view s : other.keys_) intern(IdKey(s));
    own_keys_ = other.own_keys_;
  }
  IdTable& operator=(const IdTable& other) {
    if (this != &other) IdTable(other).swap(*this);
    return *this;
  }
  void swap(IdTable& other) noexcept {
    memory_.swap(other.memory_);
    arena_.swap(other.arena_);
    std::swap(arena_used_, other.arena_used_);
    std::swap(own_keys_, other.own_keys_);
    std::swap(slots_, other.slots_);
    std::swap(mask_, other.mask_);
    keys_.swap(other.keys_);
    owned_.swap(other.owned_);
    std::swap(owned_bytes_, other.owned_bytes_);
  }

  /// From now on, a new string's bytes are copied into the table (a reader whose buffer is
  /// reused, the engine's symbols).
  void own_keys() { own_keys_ = true; }
  CRMKIT_HOT_INLINE void prefetch(const IdKey& k) const { __builtin_prefetch(&slots_[k.hash & mask_]); }
  CRMKIT_HOT_INLINE uint32_t intern(const IdKey& k) {
    Slot& s = slots_[probe(k)];
    return s.index1 ? s.index1 - 1 : insert(s, k);
  }
  uint32_t intern(std::string_view id) { return intern(IdKey(id)); }
  uint32_t intern_copy(std::string_view id) {
    const bool own = own_keys_;
    own_keys_ = true;  // a new string's bytes go to the arena
    const uint32_t index = intern(IdKey(id));
    own_keys_ = own;
    return index;
  }
  /// The index of a string, or -1 when it was never interned.
  CRMKIT_HOT_INLINE int64_t find(const IdKey& k) const {
    const Slot& s = slots_[probe(k)];
    return s.index1 ? int64_t{s.index1} - 1 : -1;
  }
  int64_t find(std::string_view id) const { return find(IdKey(id)); }
  /// The strings by index.
  const std::vector<std::string_view>& keys() const { return keys_; }
  std::string_view str(uint32_t index) const { return keys_[index]; }
  size_t size() const { return keys_.size(); }
  /// Bytes held: the slots, the index of views and the arena.
  size_t bytes() const {
    return memory_.size() + keys_.capacity() * sizeof(std::string_view) + arena_.size() * kBlock + owned_bytes_;
  }

 private:
  struct Slot {  // all zero: empty (the table's memory comes zeroed)
    uint64_t head[2];
    uint32_t hash;
    uint32_t size;
    uint32_t index1;  ///< index + 1
    uint32_t unused;
  };
  static_assert(sizeof(Slot) == 32);
  static constexpr size_t kBlock = size_t{1} << 16;  ///< arena block (strings longer than it: a block of their own)

  /// The slot holding `k`, or the empty slot where it would go.
  CRMKIT_HOT_INLINE size_t probe(const IdKey& k) const {
    for (size_t i = k.hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.index1 == 0) return i;
      if (s.hash == k.hash && s.size == k.id.size() && s.head[0] == k.head[0] && s.head[1] == k.head[1] &&
          (k.id.size() <= 16 || std::memcmp(keys_[s.index1 - 1].data() + 16, k.id.data() + 16, k.id.size() - 16) == 0))
        return i;
    }
  }
  uint32_t insert(Slot& s, const IdKey& k) {
    if (keys_.size() >= 0xFFFFFFFEu) throw std::length_error("more than 4 billion distinct ids");
    const uint32_t index = static_cast<uint32_t>(keys_.size());
    keys_.push_back(own_keys_ ? copy(k.id) : k.id);
    s = Slot{{k.head[0], k.head[1]}, k.hash, static_cast<uint32_t>(k.id.size()), index + 1, 0};
    if (keys_.size() * 2 > mask_ + 1) rehash((mask_ + 1) * 2);
    return index;
  }
  void rehash(size_t n) {
    LargeBuffer fresh(n * sizeof(Slot), true);
    Slot* to = reinterpret_cast<Slot*>(fresh.data());
    const size_t mask = n - 1;
    for (size_t j = 0; j < (memory_.size() / sizeof(Slot)); ++j) {
      const Slot& s = slots_[j];
      if (s.index1 == 0) continue;
      size_t i = s.hash & mask;
      while (to[i].index1 != 0) i = (i + 1) & mask;
      to[i] = s;
    }
    memory_ = std::move(fresh);
    slots_ = to;
    mask_ = mask;
  }
  /// The string's bytes in the table's arena (blocks that never move).
  std::string_view copy(std::string_view id) {
    if (id.size() > kBlock) {
      owned_bytes_ += id.size();
      return owned_.emplace_back(id);  // a deque: its strings never move
    }
    if (arena_.empty() || arena_used_ + id.size() > kBlock) {
      arena_.push_back(std::make_unique_for_overwrite<char[]>(kBlock));
      arena_used_ = 0;
    }
    char* at = arena_.back().get() + arena_used_;
    std::memcpy(at, id.data(), id.size());
    arena_used_ += id.size();
    return {at, id.size()};
  }
  LargeBuffer memory_;
  std::vector<std::unique_ptr<char[]>> arena_;
  size_t arena_used_ = 0;
  bool own_keys_ = false;
  Slot* slots_ = nullptr;
  size_t mask_ = 0;
  std::vector<std::string_view> keys_;
  std::deque<std::string> owned_;
  size_t owned_bytes_ = 0;
};

}  // namespace crmkit::detail
