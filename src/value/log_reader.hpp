// Private: the transaction-log readers' machinery, shared by read_transactions_* (rows) and the
// RFM file scorer (per-customer totals). A text's body is cut into chunks of whole lines, parsed
// on every core, each chunk interning its own ids and feeding its own sink; the caller merges the
// chunks in file order. stream_file does the same over a regular file read block by block, for
// sinks that do not depend on row order. Rows are validated here, so every consumer refuses the
// same rows with the same messages.
#pragma once

#include <fmt/format.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <cerrno>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crmkit/error.hpp"
#include "crmkit/money.hpp"
#include "crmkit/value.hpp"
#include "common/files.hpp"
#include "common/parallel.hpp"
#include "value/text_scan.hpp"

namespace crmkit::value::detail {

/// A rejected row; its line is counted within its chunk until the chunks are merged.
struct RowError {
  size_t line;
  Errc code;
  std::string message;
};

/// One chunk of a file's rows (whole lines), its ids and what its sink made of the rows. A Sink
/// has reserve(rows) and append(customer index, day, amount, quantity), and may have
/// prefetch(customer index) (called some rows before that customer's row is appended).
template <class Sink>
struct Chunk {
  std::string_view text;
  size_t lines = 0;  ///< lines in text: its '\n's, and a last unterminated line
  IdTable ids;
  Sink sink;
  std::vector<RowError> errors;
  struct Pending {
    IdKey key;
    int32_t day;
    double amount, quantity;
    uint32_t customer;
  };
  // Rows wait in a ring while their cache lines are fetched: a row's id slot is prefetched when
  // it is parsed, its id interned (and the sink's line for the customer prefetched) kHalf rows
  // later, and it is appended kRing rows later. In a log of a million customers nearly every
  // lookup misses the cache; overlapping the misses is what makes the readers fast.
  static constexpr size_t kRing = 16, kHalf = kRing / 2;
  std::array<Pending, kRing> ring{};
  size_t queued = 0, interned = 0, done = 0;  ///< rows added, interned, appended (in that order)

  /// Validates and appends one row; records the error (and returns false) otherwise.
  bool add(size_t line, std::string_view id, std::string_view date, std::string_view amount_text,
           std::string_view quantity_text) {
    if (id.empty()) return reject(line, Errc::parse, "empty customer id");
    int32_t d;
    if (!parse_day(date, d))
      return reject(line, Errc::parse, fmt::format("date '{}' is not YYYY-MM-DD, YYYYMMDD or an RFC 3339 instant", date));
    double a;
    if (!parse_number(amount_text, a)) return reject(line, Errc::parse, fmt::format("amount '{}' is not a number", amount_text));
    if (!money::admissible(a))
      return reject(line, Errc::invalid_argument,
                    fmt::format("amount '{}' must be a finite number in [0, {}]", amount_text, money::kMaxAmount));
    double q = 1;
    if (!quantity_text.empty() && (!parse_number(quantity_text, q) || !std::isfinite(q) || q < 0))
      return reject(line, Errc::invalid_argument, fmt::format("quantity '{}' must be a finite number >= 0", quantity_text));
    // An id outside the text was unescaped into scratch space: the table keeps a copy.
    if (id.data() < text.data() || id.data() >= text.data() + text.size()) {
      flush();
      sink.append(ids.intern_copy(id), d, a, q);
      return true;
    }
    if (queued - done == kRing) append_oldest();
    Pending& p = ring[queued % kRing];
    p = Pending{IdKey(id), d, a, q, 0};
    ids.prefetch(p.key);
    ++queued;
    if (queued - interned > kHalf) intern_next();
    return true;
  }
  /// Appends every queued row (call after the last row, and before a row that bypasses the ring).
  void flush() {
    while (interned < queued) intern_next();
    while (done < queued) append_oldest();
  }
  void intern_next() {
    Pending& p = ring[interned++ % kRing];
    p.customer = ids.intern(p.key);
    if constexpr (requires { sink.prefetch(0u); }) sink.prefetch(p.customer);  // a sink with per-customer state
  }
  void append_oldest() {
    const Pending& p = ring[done++ % kRing];
    sink.append(p.customer, p.day, p.amount, p.quantity);
  }
  bool reject(size_t line, Errc code, std::string message) {
    errors.push_back(RowError{line, code, std::move(message)});
    return false;
  }
};

/// The text cut into chunks of whole lines (at least 4 MiB each): big inputs are parsed on every core.
template <class Sink>
std::vector<Chunk<Sink>> split_chunks(std::string_view text) {
  const std::vector<std::string_view> parts = crmkit::detail::line_chunks(text, size_t{4} << 20);
  std::vector<Chunk<Sink>> chunks(parts.size());
  for (size_t k = 0; k < parts.size(); ++k) chunks[k].text = parts[k];
  return chunks;
}

/// Runs parse(chunk) for every chunk, each on its own thread.
template <class Sink, class Parse>
void parse_chunks(std::vector<Chunk<Sink>>& chunks, Parse parse) {
  crmkit::detail::run_each(chunks.size(), [&](size_t k) { parse(chunks[k]); });
}

/// The file's layout: its format, the columns of a CSV, where the rows start.
struct LogLayout {
  bool csv = true;
  std::array<int, 4> col = {0, 1, 2, -1};  ///< CSV positions of id, date, amount, quantity (-1: none)
  std::string_view body;                   ///< the rows after the header (the BOM gone)
  size_t body_line = 1;                    ///< the file line of body's first line
  std::vector<RowError> header_errors;     ///< bad lines before the header (skip policy)
};

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

inline int column_role(std::string_view name) {
  std::string n = lower(detail::trim(name));
  if (n == "customer_id" || n == "customer" || n == "id" || n == "customerid" || n == "client_id") return 0;
  if (n == "date" || n == "datetime" || n == "timestamp" || n == "time" || n == "order_date") return 1;
  if (n == "amount" || n == "value" || n == "monetary" || n == "monetary_value" || n == "dollar_value" ||
      n == "price")
    return 2;
  if (n == "quantity" || n == "qty" || n == "number_of_cds") return 3;
  return -1;
}

/// A CSV's layout: the header (or the first data row) is found here; the rows after it are
/// parsed in chunks.
inline LogLayout csv_layout(std::string_view text, BadRowPolicy policy) {
  LogLayout out;
  std::array<int, 4>& col = out.col;
  std::string_view& body = out.body;
  size_t& body_line = out.body_line;
  std::vector<RowError>& header_errors = out.header_errors;
  text = detail::LineScanner::without_bom(text);
  detail::LineScanner lines(text, false);
  std::vector<std::string_view> fields;
  std::deque<std::string> scratch;
  std::string_view line;
  for (std::string_view rest = text; lines.next(line); rest = lines.rest()) {
    if (detail::trim(line).empty()) continue;
    const size_t ln = lines.line_number();
    if (!detail::split_csv(line, fields, scratch)) {
      if (policy == BadRowPolicy::stop) throw Error(Errc::parse, fmt::format("line {}: unterminated quoted field", ln));
      header_errors.push_back(RowError{ln, Errc::parse, "unterminated quoted field"});
      continue;
    }
    int32_t probe;
    if (fields.size() >= 3 && parse_day(fields[1], probe)) {  // no header: this line is the first row
      if (fields.size() >= 4) col[3] = 3;
      body = rest, body_line = ln;
      break;
    }
    std::array<int, 4> found = {-1, -1, -1, -1};
    for (size_t i = 0; i < fields.size(); ++i) {
      const int role = column_role(fields[i]);
      if (role >= 0 && found[static_cast<size_t>(role)] < 0) found[static_cast<size_t>(role)] = static_cast<int>(i);
    }
    if (found[0] < 0 || found[1] < 0 || found[2] < 0)
      throw Error(Errc::parse, fmt::format("line {}: header needs customer_id, date and amount columns, got '{}'", ln, line));
    col = found;
    body = lines.rest(), body_line = ln + 1;
    break;
  }
  return out;
}

/// A CDNOW file's layout: an optional header (a first line that does not start with a digit).
inline LogLayout cdnow_layout(std::string_view text) {
  LogLayout out;
  out.csv = false;
  text = detail::LineScanner::without_bom(text);
  detail::LineScanner lines(text, false);
  std::string_view first;
  // An optional header: a first line that does not start with a digit.
  if (lines.next(first)) {
    const std::string_view t = detail::trim(first);
    if (!t.empty() && !(t[0] >= '0' && t[0] <= '9')) text = lines.rest(), out.body_line = 2;
  }
  out.body = text;
  return out;
}

/// The layout of a file's text: CSV when its first non-blank line holds a comma (or it has none),
/// else CDNOW.
inline LogLayout file_layout(std::string_view text, BadRowPolicy policy) {
  LineScanner lines(text);
  std::string_view first_line;
  while (lines.next(first_line) && trim(first_line).empty()) {
  }
  if (trim(first_line).empty() || first_line.find(',') != std::string_view::npos) return csv_layout(text, policy);
  return cdnow_layout(text);
}

/// Parses one chunk of CSV rows with the columns at col (id, date, amount, quantity or -1).
template <class Sink>
void parse_csv_chunk(Chunk<Sink>& c, const std::array<int, 4>& col, BadRowPolicy policy) {
  detail::LineScanner lines(c.text, false);
  std::vector<std::string_view> fields;
  std::deque<std::string> scratch;  // deque: growing keeps earlier fields valid
  std::string_view line;
  const int needed = std::max({col[0], col[1], col[2], col[3]});
  c.sink.reserve(c.text.size() / 24 + 16);
  while (lines.next(line)) {
    if (policy == BadRowPolicy::stop && !c.errors.empty()) break;  // the first error is all that is reported
    if (detail::trim(line).empty()) continue;
    const size_t ln = lines.line_number();
    if (!detail::split_csv(line, fields, scratch)) {
      c.reject(ln, Errc::parse, "unterminated quoted field");
      continue;
    }
    if (static_cast<int>(fields.size()) <= needed) {
      c.reject(ln, Errc::parse, fmt::format("expected at least {} fields, got {}", needed + 1, fields.size()));
      continue;
    }
    c.add(ln, fields[col[0]], fields[col[1]], fields[col[2]], col[3] >= 0 ? fields[col[3]] : std::string_view());
  }
  c.flush();
  c.lines = lines.line_number();
}

/// Parses one chunk of CDNOW rows (whitespace-separated).
template <class Sink>
void parse_cdnow_chunk(Chunk<Sink>& c, BadRowPolicy policy) {
  detail::LineScanner lines(c.text, false);
  std::string_view line;
  std::string_view f[6];
  c.sink.reserve(c.text.size() / 28 + 16);
  while (lines.next(line)) {
    if (policy == BadRowPolicy::stop && !c.errors.empty()) break;
    size_t n = 0, i = 0;
    while (i < line.size() && n < 6) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i >= line.size()) break;
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
      f[n++] = line.substr(i, j - i);
      i = j;
    }
    if (n == 0) continue;
    const size_t ln = lines.line_number();
    if (n == 4) c.add(ln, f[0], f[1], f[3], f[2]);
    else if (n == 5) c.add(ln, f[1], f[2], f[4], f[3]);
    else c.reject(ln, Errc::parse, fmt::format("expected 4 fields (id date quantity amount), got {}", n));
  }
  c.flush();
  c.lines = lines.line_number();
}

/// Parses c.text (whole lines of the body) in the layout's format.
template <class Sink>
void parse_chunk(Chunk<Sink>& c, const LogLayout& layout, BadRowPolicy policy) {
  if (layout.csv) parse_csv_chunk(c, layout.col, policy);
  else parse_cdnow_chunk(c, policy);
}

/// Parses the layout's body in chunks on every core, each into its own copy of `sink`.
template <class Sink>
std::vector<Chunk<Sink>> parse_body(const LogLayout& layout, BadRowPolicy policy, const Sink& sink = Sink{}) {
  std::vector<Chunk<Sink>> chunks = split_chunks<Sink>(layout.body);
  for (auto& c : chunks) c.sink = sink;
  parse_chunks(chunks, [&](Chunk<Sink>& c) { parse_chunk(c, layout, policy); });
  return chunks;
}

/// What parsing one part of the body (a chunk, a block) found: its lines and its bad rows.
struct PartReport {
  size_t lines = 0;
  std::vector<RowError> errors;
};

/// The bad rows of the body's parts (in file order), by file line: under stop, throws the first;
/// under skip, lists them.
inline std::vector<BadRow> bad_rows(const LogLayout& layout, const std::vector<PartReport>& parts, BadRowPolicy policy) {
  std::vector<BadRow> out;
  for (const auto& e : layout.header_errors) out.push_back(BadRow{e.line, fmt::format("line {}: {}", e.line, e.message)});
  size_t line = layout.body_line;
  for (const auto& part : parts) {
    for (const auto& e : part.errors) {
      const size_t at = e.line + line - 1;
      std::string full = fmt::format("line {}: {}", at, e.message);
      if (policy == BadRowPolicy::stop) throw Error(e.code, full);
      out.push_back(BadRow{at, std::move(full)});
    }
    line += part.lines;
  }
  return out;
}

/// The same for chunks (their errors are moved out).
template <class Sink>
std::vector<BadRow> bad_rows(const LogLayout& layout, std::vector<Chunk<Sink>>& chunks, BadRowPolicy policy) {
  std::vector<PartReport> parts;
  for (auto& c : chunks) parts.push_back(PartReport{c.lines, std::move(c.errors)});
  return bad_rows(layout, parts, policy);
}

/// What stream_file made of a file: one chunk per thread (its ids, copied, and its sink) and the
/// bad rows by file line.
template <class Sink>
struct Streamed {
  std::vector<Chunk<Sink>> chunks;
  std::vector<BadRow> bad_rows;
};

/// Streams a regular file through one chunk per core: blocks of whole lines (kBlock bytes, more
/// for a longer line) are read in turn with pread and parsed in parallel, each thread keeping its
/// own ids (their bytes copied: the block buffers are reused) and its own sink. Memory grows
/// with customers, not with the file. The order in which a thread sees rows is not the file's, so
/// the sink must not depend on it (per-customer totals do not). Bad rows as bad_rows(). nullopt
/// when the file is not a regular file or its rows do not start within the first block: the
/// caller reads it whole then.
template <class Sink>
std::optional<Streamed<Sink>> stream_file(const std::string& path, BadRowPolicy policy, const Sink& sink) {
  constexpr size_t kBlock = size_t{8} << 20;
  struct stat st {};
  // Not opened unless regular: opening a pipe would consume what its writer sends.
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  const crmkit::detail::DataFile file = crmkit::detail::open_data_file(path, "transactions");
  if (!file.regular) throw Error(Errc::io, fmt::format("transactions '{}' was replaced while it was opened", path));
  // Reads up to n bytes at offset into buf (short only at the end of the file).
  auto read_at = [&](char* buf, size_t n, int64_t offset) {
    size_t got = 0;
    while (got < n) {
      const ssize_t r = ::pread(file.fd, buf + got, n - got, offset + static_cast<int64_t>(got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw Error(Errc::io, fmt::format("cannot read transactions '{}': {}", path, std::strerror(errno)));
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    return got;
  };
  // The layout from the first block.
  std::string first(kBlock, '\0');
  first.resize(read_at(first.data(), kBlock, 0));
  const LogLayout layout = file_layout(first, policy);
  const bool whole = first.size() < kBlock;
  if (!whole && layout.body.empty()) return std::nullopt;
  const int64_t body_offset = layout.body.empty() ? static_cast<int64_t>(first.size())
                                                  : static_cast<int64_t>(layout.body.data() - first.data());
  std::vector<PartReport> blocks;  // in file order
  std::mutex reading;
  int64_t next = body_offset;  // under `reading`
  const size_t threads = crmkit::detail::worker_count();
  Streamed<Sink> out;
  out.chunks = std::vector<Chunk<Sink>>(threads);
  crmkit::detail::run_each(threads, [&](size_t t) {
    Chunk<Sink>& c = out.chunks[t];
    c.sink = sink;
    c.ids.own_keys();
    std::string buf;
    for (;;) {
      size_t block, length;
      {
        std::lock_guard lock(reading);
        size_t size = kBlock;
        for (;;) {  // a block of whole lines: grown until it holds one
          buf.resize(size);
          length = read_at(buf.data(), size, next);
          if (length < size) break;  // the end of the file
          const size_t nl = std::string_view(buf.data(), length).rfind('\n');
          if (nl != std::string_view::npos) {
            length = nl + 1;
            break;
          }
          if (size >= kMaxDataFileBytes) break;
          size *= 2;
        }
        if (length == 0) return;  // the end of the file
        next += static_cast<int64_t>(length);
        block = blocks.size();
        blocks.emplace_back();
      }
      c.text = std::string_view(buf.data(), length);
      parse_chunk(c, layout, policy);
      std::lock_guard lock(reading);
      blocks[block] = PartReport{c.lines, std::move(c.errors)};
      c.errors.clear();
    }
  });
  out.bad_rows = bad_rows(layout, blocks, policy);
  return out;
}

/// For chunks 1.., each local customer index's index in chunk 0's table (which gains their ids).
template <class Sink>
std::vector<std::vector<uint32_t>> merge_ids(std::vector<Chunk<Sink>>& chunks) {
  std::vector<std::vector<uint32_t>> global(chunks.size());
  IdTable& into = chunks[0].ids;
  for (size_t k = 1; k < chunks.size(); ++k) {
    const auto& keys = chunks[k].ids.keys();
    global[k].resize(keys.size());
    constexpr size_t kAhead = 8;  // slots prefetched ahead, as the readers do
    std::array<IdKey, kAhead> ring;
    for (size_t i = 0; i < keys.size() + kAhead; ++i) {
      if (i >= kAhead) global[k][i - kAhead] = into.intern(ring[i % kAhead]);
      if (i < keys.size()) {
        ring[i % kAhead] = IdKey(keys[i]);
        into.prefetch(ring[i % kAhead]);
      }
    }
  }
  return global;
}

/// The order of ids that sorts them byte-wise: sorted by (the first 8 bytes as a big-endian
/// number, then the whole id), most comparisons decided without touching the strings.
template <class Ids>
std::vector<uint32_t> order_by_id(const Ids& ids) {
  struct Entry {
    uint64_t prefix;
    uint32_t index;
  };
  std::vector<Entry> order(ids.size());
  for (uint32_t i = 0; i < ids.size(); ++i) {
    const std::string_view id = ids[i];
    unsigned char b[8] = {};
    std::memcpy(b, id.data(), std::min<size_t>(8, id.size()));
    uint64_t p = 0;
    for (unsigned char c : b) p = p << 8 | c;
    order[i] = Entry{p, i};
  }
  const auto less = [&](const Entry& a, const Entry& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    return std::string_view(ids[a.index]) < std::string_view(ids[b.index]);
  };
  // Halves sorted on two cores, then merged (ids are distinct: one order whatever the cores).
  const size_t half = order.size() > 65536 ? order.size() / 2 : order.size();
  crmkit::detail::run_each(half < order.size() ? 2 : 1, [&](size_t k) {
    std::sort(order.begin() + static_cast<std::ptrdiff_t>(k ? half : 0), k ? order.end() : order.begin() + static_cast<std::ptrdiff_t>(half), less);
  });
  std::inplace_merge(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(half), order.end(), less);
  std::vector<uint32_t> out(order.size());
  for (size_t i = 0; i < order.size(); ++i) out[i] = order[i].index;
  return out;
}

}  // namespace crmkit::value::detail
