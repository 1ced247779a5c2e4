// The machine's floor for parsing a CSV file: map it, split every line at its commas and convert
// the last field with std::from_chars (no interning, no grouping, one core). edges_compare.py
// states each end-to-end job's distance from this. Usage: floor_parse FILE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc != 2) return std::fprintf(stderr, "usage: floor_parse FILE\n"), 2;
  const int fd = ::open(argv[1], O_RDONLY);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) return std::perror(argv[1]), 1;
  const size_t size = static_cast<size_t>(st.st_size);
  const char* p = size ? static_cast<const char*>(::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0)) : "";
  if (p == MAP_FAILED) return std::perror("mmap"), 1;
  const char* end = p + size;
  size_t lines = 0, fields = 0;
  double sum = 0;
  while (p < end) {
    const char* eol = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (!eol) eol = end;
    const char* last = p;
    for (const char* c = p; (c = static_cast<const char*>(std::memchr(c, ',', static_cast<size_t>(eol - c))));
         ++c, ++fields)
      last = c + 1;
    double v = 0;
    std::from_chars(last, eol, v);
    sum += v;
    ++lines;
    p = eol + 1;
  }
  std::printf("%zu lines, %zu commas, sum of last fields %.2f\n", lines, fields, sum);
}
