#include "common/large_buffer.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>

namespace crmkit::detail {

namespace {
constexpr size_t kHuge = size_t{2} << 20;
}

LargeBuffer::LargeBuffer(size_t bytes, bool huge_pages) : size_(bytes) {
  if (bytes < kHuge || !huge_pages) {
    mapping_ = std::calloc(bytes ? bytes : 1, 1);
    if (!mapping_) throw std::bad_alloc();
    data_ = static_cast<char*>(mapping_);
    return;
  }
  if (bytes > SIZE_MAX - 2 * kHuge) throw std::bad_alloc();
  mapped_ = (bytes + 2 * kHuge - 1) / kHuge * kHuge;  // room to align the start to 2 MiB
  void* p = ::mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  mapping_ = p;
  const auto start = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) / kHuge * kHuge;
  data_ = reinterpret_cast<char*>(start);
#ifdef MADV_HUGEPAGE
  ::madvise(data_, (bytes + kHuge - 1) / kHuge * kHuge, MADV_HUGEPAGE);  // advice: no error if refused
#endif
}

LargeBuffer::~LargeBuffer() {
  if (mapped_) ::munmap(mapping_, mapped_);
  else std::free(mapping_);
}

void LargeBuffer::swap(LargeBuffer& other) noexcept {
  std::swap(mapping_, other.mapping_);
  std::swap(mapped_, other.mapped_);
  std::swap(data_, other.data_);
  std::swap(size_, other.size_);
}

}  // namespace crmkit::detail
