// The engine's internal tables (src/workflow/engine_impl.hpp): the string interner (the library's
// one string table, common/id_table.hpp, whose slots carry the first 16 bytes), and the 16-bit id
// tags of audit records.
#include <doctest/doctest.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "crmkit/workflow.hpp"
#include "workflow/engine_impl.hpp"

using crmkit::workflow::Interner;
using crmkit::workflow::Record;

TEST_CASE("load_upto8 reads exactly n bytes, zero-padded") {
  const char bytes[] = "abcdefghij";
  for (size_t n = 0; n <= 8; ++n) {
    uint64_t expected = 0;
    for (size_t i = 0; i < n; ++i) expected |= uint64_t{static_cast<uint8_t>(bytes[i])} << (8 * i);
    CHECK(crmkit::detail::load_upto8(bytes, n) == expected);
  }
}

TEST_CASE("Interner: strings that agree in head, length or tag stay distinct") {
  Interner in;
  // Embedded NULs, lengths around the 8- and 16-byte heads, shared prefixes.
  std::vector<std::string> words = {"", std::string(1, '\0'), std::string(2, '\0'), "a", "ab", std::string("ab\0", 3),
                                    "abcdefgh", "abcdefghi", "abcdefghj", std::string("abcdefgh\0", 9), "C-1", "C-10", "C-100",
                                    "abcdefghijklmnop", "abcdefghijklmnopq", "abcdefghijklmnopr", std::string("abcdefghijklmnop\0", 17)};
  for (size_t n : {254, 255, 256, 300}) {
    words.push_back(std::string(n, 'x'));
    words.push_back(std::string(n - 1, 'x') + "y");
  }
  for (int i = 0; i < 5000; ++i) words.push_back("K-" + std::to_string(i));  // forces several grow()s
  std::vector<uint32_t> ids;
  for (const auto& w : words) ids.push_back(in.intern(w));
  CHECK(ids[0] == 0);  // "" is id 0
  for (size_t i = 0; i < words.size(); ++i) {
    CHECK(in.intern(words[i]) == ids[i]);
    CHECK(in.find(words[i]) == static_cast<int64_t>(ids[i]));
    CHECK(in.str(ids[i]) == words[i]);
    for (size_t j = 0; j < i && i < 40; ++j) CHECK(ids[i] != ids[j]);
  }
  CHECK(in.size() == words.size());
  CHECK(in.find("not there") == -1);
  CHECK(in.find(std::string(8, 'x')) == -1);
  CHECK(in.find("abcdefghk") == -1);
  CHECK(in.find("abcdefghijklmnopz") == -1);
  // Views stay valid while the table grows (the bytes live in blocks that never move), and a
  // copy or a move holds the same strings under the same ids.
  const std::string_view first = in.str(ids[5]);
  for (int i = 0; i < 20000; ++i) in.intern("grow-" + std::to_string(i));
  CHECK(first == words[5]);
  CHECK(first.data() == in.str(ids[5]).data());
  Interner copy = in;
  Interner moved = std::move(copy);
  for (size_t i = 0; i < words.size(); ++i) CHECK(moved.find(words[i]) == static_cast<int64_t>(ids[i]));
  CHECK(moved.size() == in.size());
  CHECK(moved.intern("only in the copy") == in.size());
  CHECK(in.find("only in the copy") == -1);
}

TEST_CASE("Record id tags: equal ids give equal tags") {
  CHECK(Record::tag_of("e-1001") == Record::tag_of(std::string("e-1001")));
  int equal = 0;
  for (int i = 0; i < 1000; ++i) equal += Record::tag_of("e-" + std::to_string(i)) == Record::tag_of("e-" + std::to_string(i + 1));
  CHECK(equal < 5);  // 16 bits: collisions are rare (and only cost a pool compare)
}

TEST_CASE("Duplicate ids are found whatever their tags and Bloom bits, also after a snapshot") {
  using namespace crmkit::workflow;
  // Two ids with the same 16-bit tag (so the same Bloom bit): the full comparison must tell them apart.
  std::string a, b;
  std::unordered_map<uint16_t, std::string> seen;
  for (int i = 0; a.empty(); ++i) {
    std::string id = "x-" + std::to_string(i);
    auto [it, fresh] = seen.emplace(Record::tag_of(id), id);
    if (!fresh) a = it->second, b = id;
  }
  REQUIRE(Record::tag_of(a) == Record::tag_of(b));
  const std::string data = CRMKIT_SOURCE_DIR "/data/";
  Engine e = Engine::from_files(data + "workflows/default.json", data + "policies/default.json", data + "calendars/cn-2026.json");
  auto event = [](const std::string& id, const std::string& type, const std::string& hhmm, const std::string& fields) {
    return R"({"id":")" + id + R"(","case":"C-1","type":")" + type + R"(","at":"2026-03-09T)" + hhmm +
           R"(:00+08:00","actor":"u-7","role":"agent","data":{)" + fields + "}}";
  };
  std::vector<std::string> log = {
      event(a, "receive", "09:00", R"("channel":"phone","category":"service","severity":"normal","customer":"K-1","tier":"basic")"),
      event(b, "acknowledge", "09:05", ""),
      event("d-1", "dispatch", "09:10", R"("department":"billing","owner":"u-8")")};
  for (int i = 0; i < 80; ++i) log.push_back(event("c-" + std::to_string(i), "compensate", "09:20", R"("amount":1)"));
  for (const auto& json : log) REQUIRE_FALSE(e.apply_json(json).duplicate);  // b was applied, not taken for a
  auto all_duplicates = [&](Engine& engine) {
    for (const auto& json : log) CHECK(engine.apply_json(json).duplicate);
    CHECK(engine.get("C-1")->events.size() == log.size());
  };
  all_duplicates(e);
  Engine restored = Engine::from_files(data + "workflows/default.json", data + "policies/default.json", data + "calendars/cn-2026.json");
  restored.restore(e.snapshot());  // tags and Bloom bits are rebuilt, not read
  all_duplicates(restored);
  CHECK_FALSE(restored.apply_json(event("c-new", "compensate", "09:30", R"("amount":1)")).duplicate);
}

TEST_CASE("A case's pool never passes what a 32-bit record offset can address") {
  using crmkit::workflow::kMaxCasePoolBytes;
  using crmkit::workflow::pool_fits;
  static_assert(kMaxCasePoolBytes < (size_t{1} << 32));
  CHECK(pool_fits(0, 100));
  CHECK(pool_fits(kMaxCasePoolBytes - 100, 100));
  CHECK_FALSE(pool_fits(kMaxCasePoolBytes - 100, 101));
  CHECK_FALSE(pool_fits(kMaxCasePoolBytes + 1, 0));
  CHECK_FALSE(pool_fits(10, SIZE_MAX));  // no wrap-around
  // The breach records a sweep may add after validation (one per clock instance, about 50
  // bytes each, at most one instance per event) stay inside the margin below 4 GiB.
  CHECK((size_t{1} << 32) - kMaxCasePoolBytes > crmkit::workflow::kMaxEventsPerCase * 64);
  // The largest events the documented limits allow: the pool limit is reached before the
  // event limit (about 88,000 events of 48 KiB), and refused rather than wrapped.
  CHECK(kMaxCasePoolBytes / (48 * 1024) < crmkit::workflow::kMaxEventsPerCase);
}
