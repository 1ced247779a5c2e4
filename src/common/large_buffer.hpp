// Private: zeroed memory for big hash tables and file buffers.
#pragma once

#include <cstddef>
#include <utility>

namespace crmkit::detail {

/// Zeroed memory. With huge_pages, from 2 MiB on, an anonymous mapping aligned to 2 MiB and
/// advised to use transparent huge pages: a table probed at random addresses then misses the TLB
/// once per 2 MiB instead of once per 4 KiB (the readers' id tables: parsing 10 M rows took 0.7 s
/// instead of 1.2 s; benchmarks/RESULTS.md, issue 29). Not for a buffer filled in order (a file):
/// there the kernel's compaction to find huge pages cost more than the page faults it saved.
/// Otherwise calloc. Throws std::bad_alloc.
class LargeBuffer {
 public:
  LargeBuffer() = default;
  explicit LargeBuffer(size_t bytes, bool huge_pages);
  LargeBuffer(LargeBuffer&& other) noexcept { swap(other); }
  LargeBuffer& operator=(LargeBuffer&& other) noexcept {
    LargeBuffer(std::move(other)).swap(*this);
    return *this;
  }
  LargeBuffer(const LargeBuffer&) = delete;
  LargeBuffer& operator=(const LargeBuffer&) = delete;
  ~LargeBuffer();

  char* data() const { return data_; }
  size_t size() const { return size_; }
  void swap(LargeBuffer& other) noexcept;

 private:
  void* mapping_ = nullptr;  ///< the mapping (or the calloc block), freed in the destructor
  size_t mapped_ = 0;        ///< its length; 0 for a calloc block
  char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace crmkit::detail
