// The engine's internal tables (src/workflow/engine_impl.hpp): the string interner whose slots
// carry the first 8 bytes, and the 16-bit id tags of audit records.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "workflow/engine_impl.hpp"

using crmkit::workflow::Interner;
using crmkit::workflow::Record;

TEST_CASE("Interner: load_upto8 reads exactly n bytes, zero-padded") {
  const char bytes[] = "abcdefghij";
  for (size_t n = 0; n <= 8; ++n) {
    uint64_t expected = 0;
    for (size_t i = 0; i < n; ++i) expected |= uint64_t{static_cast<uint8_t>(bytes[i])} << (8 * i);
    CHECK(Interner::load_upto8(bytes, n) == expected);
  }
}

TEST_CASE("Interner: strings that agree in head, length or tag stay distinct") {
  Interner in;
  // Embedded NULs, lengths around the 8-byte head and the 255-length cap, shared prefixes.
  std::vector<std::string> words = {"", std::string(1, '\0'), std::string(2, '\0'), "a", "ab", std::string("ab\0", 3),
                                    "abcdefgh", "abcdefghi", "abcdefghj", std::string("abcdefgh\0", 9), "C-1", "C-10", "C-100"};
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
}

TEST_CASE("Record id tags: equal ids give equal tags") {
  CHECK(Record::tag_of("e-1001") == Record::tag_of(std::string("e-1001")));
  int equal = 0;
  for (int i = 0; i < 1000; ++i) equal += Record::tag_of("e-" + std::to_string(i)) == Record::tag_of("e-" + std::to_string(i + 1));
  CHECK(equal < 5);  // 16 bits: collisions are rare (and only cost a pool compare)
}
