// Event JSON: a small dedicated parser (the hot path of replay) and the JSON writers.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include "crmkit/error.hpp"
#include "workflow/internal.hpp"

namespace crmkit::workflow {

// ---- writing helpers ---------------------------------------------------------------------

void json_escape(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + start, i - start);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
    }
    start = i + 1;
  }
  out.append(s.data() + start, s.size() - start);
}

void json_instant(std::string& out, Instant t) {
  char buf[24];
  out.push_back('"');
  out.append(buf, static_cast<size_t>(format_utc(t, buf)));
  out.push_back('"');
}

std::string format_cents(int64_t cents) {
  const bool neg = cents < 0;
  uint64_t a = neg ? static_cast<uint64_t>(-(cents + 1)) + 1 : static_cast<uint64_t>(cents);
  return fmt::format("{}{}.{:02}", neg ? "-" : "", a / 100, a % 100);
}

// ---- Event -------------------------------------------------------------------------------

const std::string& empty_event_text() noexcept {
  static const std::string empty;
  return empty;
}

void Event::clear() {
  for (std::string* s : {&id, &case_id, &type, &actor, &role, &note, &channel, &category, &severity, &customer, &tier,
                         &description, &department, &owner, &reason, &resolution, &outcome, &into, &decision, &workflow, &remedy, &to, &result, &cases, &order, &case_ref})
    s->clear();
  at = Instant();
  utc_offset = 0;
  manual = false;
  level = 0;
  workflow_version = 0;
  amount_cents = 0;
  case_list.clear();
  present = 0;
  attributes.clear();
}

namespace {

class Parser {
 public:
  explicit Parser(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  [[noreturn]] void fail(std::string_view what) const {
    throw Error(Errc::parse, fmt::format("event JSON: {}", what));
  }
  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool eat(char c) {
    ws();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  void expect(char c, std::string_view ctx) {
    if (!eat(c)) fail(fmt::format("expected '{}' {}", c, ctx));
  }
  char peek() {
    ws();
    return p_ < end_ ? *p_ : '\0';
  }
  bool at_end() {
    ws();
    return p_ == end_;
  }

  static void put_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) out.push_back(static_cast<char>(cp));
    else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  uint32_t hex4() {
    if (end_ - p_ < 4) fail("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = *p_++;
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
      else fail("bad \\u escape");
    }
    return v;
  }

  /// Reads a string (the opening quote not yet consumed) into out (replacing its content).
  void string(std::string& out) {
    ws();
    if (p_ >= end_ || *p_ != '"') fail("expected a string");
    ++p_;
    out.clear();
    for (;;) {
      const char* s = p_;
      while (p_ < end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) >= 0x20) ++p_;
      out.append(s, static_cast<size_t>(p_ - s));
      if (p_ >= end_) fail("unterminated string");
      char c = *p_++;
      if (c == '"') return;
      if (c != '\\') fail("control character in a string");
      if (p_ >= end_) fail("unterminated string");
      char e = *p_++;
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          uint32_t cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00) {
            if (end_ - p_ < 6 || p_[0] != '\\' || p_[1] != 'u') fail("unpaired surrogate");
            p_ += 2;
            uint32_t lo = hex4();
            if (lo < 0xDC00 || lo >= 0xE000) fail("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            fail("unpaired surrogate");
          }
          put_utf8(out, cp);
          break;
        }
        default: fail("bad escape");
      }
    }
  }

  /// A key: fast path without escapes returns a view into the input.
  std::string_view key(std::string& scratch) {
    ws();
    if (p_ >= end_ || *p_ != '"') fail("expected a key");
    const char* s = p_ + 1;
    const char* q = s;
    while (q < end_ && *q != '"' && *q != '\\') ++q;
    if (q < end_ && *q == '"') {
      p_ = q + 1;
      return {s, static_cast<size_t>(q - s)};
    }
    string(scratch);
    return scratch;
  }

  bool null() {
    ws();
    if (end_ - p_ >= 4 && std::memcmp(p_, "null", 4) == 0) {
      p_ += 4;
      return true;
    }
    return false;
  }
  bool boolean(std::string_view key) {
    ws();
    if (end_ - p_ >= 4 && std::memcmp(p_, "true", 4) == 0) {
      p_ += 4;
      return true;
    }
    if (end_ - p_ >= 5 && std::memcmp(p_, "false", 5) == 0) {
      p_ += 5;
      return false;
    }
    fail(fmt::format("'{}' must be true or false", key));
  }
  double number(std::string_view key) {
    ws();
    double v = 0;
    auto [q, ec] = std::from_chars(p_, end_, v);
    if (ec != std::errc() || q == p_ || !std::isfinite(v)) fail(fmt::format("'{}' must be a number", key));
    p_ = q;
    return v;
  }

  void skip_value(int depth = 0) {
    if (depth > 64) fail("nesting too deep");
    char c = peek();
    if (c == '"') {
      skip_string();
    } else if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++p_;
      if (eat(close)) return;
      for (;;) {
        if (close == '}') {
          skip_string();
          expect(':', "after a key");
        }
        skip_value(depth + 1);
        if (eat(close)) return;
        expect(',', "between values");
      }
    } else if (c == 't' || c == 'f') {
      boolean("value");
    } else if (c == 'n') {
      if (!null()) fail("bad literal");
    } else {
      number("value");
    }
  }
  /// Skips a value and returns its JSON text.
  std::string_view skip_raw() {
    ws();
    const char* s = p_;
    skip_value();
    return {s, static_cast<size_t>(p_ - s)};
  }
  void skip_string() {
    ws();
    if (p_ >= end_ || *p_ != '"') fail("expected a string");
    ++p_;
    while (p_ < end_ && *p_ != '"') {
      if (*p_ == '\\') ++p_;
      ++p_;
    }
    if (p_ >= end_) fail("unterminated string");
    ++p_;
  }

 private:
  const char* p_;
  const char* end_;
};

/// UTC offset written in an RFC 3339 timestamp (after a successful parse).
int32_t offset_of(std::string_view t) {
  if (!t.empty() && (t.back() == 'Z' || t.back() == 'z')) return 0;
  if (t.size() >= 6) {
    std::string_view tail = t.substr(t.size() - 6);
    if ((tail[0] == '+' || tail[0] == '-') && tail[3] == ':') {
      int h = (tail[1] - '0') * 10 + (tail[2] - '0');
      int m = (tail[4] - '0') * 10 + (tail[5] - '0');
      int32_t off = h * 3600 + m * 60;
      return tail[0] == '-' ? -off : off;
    }
  }
  return 0;
}

std::string* string_slot(Event& e, Field f) {
  switch (f) {
    case Field::channel: return &e.channel;
    case Field::category: return &e.category;
    case Field::severity: return &e.severity;
    case Field::customer: return &e.customer;
    case Field::tier: return &e.tier;
    case Field::description: return &e.description;
    case Field::department: return &e.department;
    case Field::owner: return &e.owner;
    case Field::reason: return &e.reason;
    case Field::resolution: return &e.resolution;
    case Field::outcome: return &e.outcome;
    case Field::into: return &e.into;
    case Field::decision: return &e.decision;
    case Field::workflow: return &e.workflow;
    case Field::note: return &e.note;
    case Field::remedy: return &e.remedy;
    case Field::to: return &e.to;
    case Field::result: return &e.result;
    case Field::cases: return &e.cases;
    case Field::order: return &e.order;
    case Field::case_ref: return &e.case_ref;
    default: return nullptr;
  }
}

void check_len(const std::string& s, std::string_view key, size_t max) {
  if (s.size() > max) throw Error(Errc::limit, fmt::format("event JSON: '{}' is {} bytes (at most {})", key, s.size(), max));
}

/// A data member that is not a built-in field, kept with the kind of its JSON value: the engine
/// checks it against the workflow's declared fields (an object or array is never accepted, and
/// is kept as kind `other` only so that the refusal can name the field).
/// data.cases: a non-empty array of at most kMaxCoveredCases case ids (non-empty strings), kept
/// as a list and as canonical JSON text.
void read_case_list(Parser& p, Event& e) {
  if (e.has(Field::cases)) p.fail("'data.cases' is given twice");
  p.expect('[', "'data.cases' must be an array of case ids");
  e.case_list.clear();
  if (!p.eat(']')) {
    for (;;) {
      if (e.case_list.size() >= kMaxCoveredCases)
        throw Error(Errc::limit, fmt::format("event JSON: 'data.cases' names more than {} cases", kMaxCoveredCases));
      std::string& id = e.case_list.emplace_back();
      p.string(id);
      check_len(id, "data.cases[]", kMaxFieldBytes);
      if (id.empty()) p.fail("'data.cases' holds an empty case id");
      if (p.eat(']')) break;
      p.expect(',', "between the ids of 'data.cases'");
    }
  }
  if (e.case_list.empty()) p.fail("'data.cases' is empty");
  e.cases = case_list_json(e.case_list);
}

void read_attribute(Parser& p, std::string key, Event& e) {
  for (const Attribute& a : e.attributes)
    if (a.key == key) p.fail(fmt::format("'data.{}' is given twice", key));
  if (e.attributes.size() >= kMaxDeclaredFields)
    throw Error(Errc::limit, fmt::format("event JSON: more than {} data members besides the built-in fields", kMaxDeclaredFields));
  Attribute a;
  const char c = p.peek();
  if (c == '"') {
    a.kind = Attribute::Kind::string;
    p.string(a.text);
    check_len(a.text, "data." + key, kMaxFieldBytes);
  } else if (c == 't' || c == 'f') {
    a.kind = Attribute::Kind::boolean;
    a.boolean = p.boolean("data." + key);
  } else if (c == '{' || c == '[') {
    a.kind = Attribute::Kind::other;
    a.text = p.skip_raw();
    check_len(a.text, "data." + key, kMaxFieldBytes);
  } else {
    a.kind = Attribute::Kind::number;
    a.number = p.number("data." + key);
  }
  a.key = std::move(key);
  e.attributes.push_back(std::move(a));
}

}  // namespace

Event parse_event(std::string_view json) {
  Event e;
  parse_event(json, e);
  return e;
}

void parse_event(std::string_view json, Event& e) {
  if (json.size() > kMaxEventJsonBytes)
    throw Error(Errc::limit, fmt::format("event JSON is {} bytes (at most {})", json.size(), kMaxEventJsonBytes));
  e.clear();
  Parser p(json);
  std::string scratch, at_text;
  bool have_at = false;
  p.expect('{', "at the start of an event");
  if (!p.eat('}')) {
    for (;;) {
      std::string_view k = p.key(scratch);
      p.expect(':', "after a key");
      std::string* slot = nullptr;
      if (k == "id") slot = &e.id;
      else if (k == "case") slot = &e.case_id;
      else if (k == "type") slot = &e.type;
      else if (k == "actor") slot = &e.actor;
      else if (k == "role") slot = &e.role;
      else if (k == "note") slot = &e.note;
      if (slot) {
        if (!p.null()) {
          if (p.peek() != '"') p.fail(fmt::format("'{}' must be a string", k));
          std::string key_copy(k);
          p.string(*slot);
          check_len(*slot, key_copy, kMaxFieldBytes);
        }
      } else if (k == "at") {
        if (p.peek() != '"') p.fail("'at' must be a string (RFC 3339 timestamp)");
        p.string(at_text);
        have_at = true;
      } else if (k == "data") {
        if (!p.null()) {
          p.expect('{', "'data' must be an object");
          if (!p.eat('}')) {
            for (;;) {
              std::string_view dk = p.key(scratch);
              std::string dkey(dk);
              p.expect(':', "after a key");
              auto f = field_from_name(dkey);
              if (!f) {
                if (!p.null()) read_attribute(p, std::move(dkey), e);
              } else if (*f == Field::note) {  // data.note: same as the top-level note
                if (!p.null()) {
                  p.string(e.note);
                  check_len(e.note, "note", kMaxFieldBytes);
                }
              } else if (p.null()) {
                // null: absent
              } else if (*f == Field::manual) {
                e.manual = p.boolean("data.manual");
                e.set(*f);
              } else if (*f == Field::level) {
                double v = p.number("data.level");
                if (v != std::floor(v) || v < 0 || v > sla::kMaxEscalationLevel)
                  p.fail(fmt::format("'data.level' must be an integer 0..{}", sla::kMaxEscalationLevel));
                e.level = static_cast<int>(v);
                e.set(*f);
              } else if (*f == Field::workflow_version) {
                double v = p.number("data.workflow_version");
                if (v != std::floor(v) || v < 1 || v > kMaxWorkflowVersion)
                  p.fail(fmt::format("'data.workflow_version' must be an integer 1..{}", kMaxWorkflowVersion));
                e.workflow_version = static_cast<int>(v);
                e.set(*f);
              } else if (*f == Field::cases) {
                read_case_list(p, e);
                e.set(*f);
              } else if (*f == Field::amount) {
                double v = p.number("data.amount");
                if (v < 0 || v > 1e13) p.fail("'data.amount' out of range");
                e.amount_cents = static_cast<int64_t>(std::llround(v * 100.0));
                e.set(*f);
              } else {
                if (p.peek() != '"') p.fail(fmt::format("'data.{}' must be a string", dkey));
                std::string* s = string_slot(e, *f);
                p.string(*s);
                check_len(*s, dkey, builtin(*f).max_bytes);
                e.set(*f);
              }
              if (p.eat('}')) break;
              p.expect(',', "between members of 'data'");
            }
          }
        }
      } else if (k == "schema") {  // the document format version (docs/schemas/event.schema.json)
        if (p.number("schema") != 1) p.fail("'schema' must be 1");
      } else {
        p.fail(fmt::format("unknown key '{}' (an event has id, case, type, at, actor, role, note, data and schema)", k));
      }
      if (p.eat('}')) break;
      p.expect(',', "between members");
    }
  }
  if (!p.at_end()) p.fail("trailing characters after the event object");
  if (!have_at) throw Error(Errc::parse, fmt::format("event '{}': missing 'at'", e.id));
  if (!try_parse_instant(at_text, e.at))
    throw Error(Errc::parse, fmt::format("event '{}': 'at' is not an RFC 3339 timestamp: '{}'", e.id, at_text));
  e.utc_offset = offset_of(at_text);
}

std::string to_json(const Event& e) {
  std::string out;
  out.reserve(256);
  out += "{\"id\":";
  json_str(out, e.id);
  out += ",\"case\":";
  json_str(out, e.case_id);
  out += ",\"type\":";
  json_str(out, e.type);
  out += ",\"at\":";
  json_str(out, format_with_offset(e.at, e.utc_offset));
  out += ",\"actor\":";
  json_str(out, e.actor);
  out += ",\"role\":";
  json_str(out, e.role);
  if (!e.note.empty()) {
    out += ",\"note\":";
    json_str(out, e.note);
  }
  out += ",\"data\":{";
  bool first = true;
  for (size_t i = 0; i < static_cast<size_t>(Field::count_); ++i) {
    Field f = static_cast<Field>(i);
    if (!e.has(f) || f == Field::note) continue;
    if (!first) out.push_back(',');
    first = false;
    json_str(out, field_name(f));
    out.push_back(':');
    if (f == Field::manual) out += e.manual ? "true" : "false";
    else if (f == Field::level) out += std::to_string(e.level);
    else if (f == Field::workflow_version) out += std::to_string(e.workflow_version);
    else if (f == Field::amount) out += format_cents(e.amount_cents);
    else if (f == Field::cases) out += e.cases;
    else json_str(out, e.text(f));
  }
  for (const Attribute& a : e.attributes) {
    if (!first) out.push_back(',');
    first = false;
    json_str(out, a.key);
    out.push_back(':');
    append_attribute_value(out, a);
  }
  out += "}}";
  return out;
}

void append_attribute_value(std::string& out, const Attribute& a) {
  switch (a.kind) {
    case Attribute::Kind::string: json_str(out, a.text); break;
    case Attribute::Kind::boolean: out += a.boolean ? "true" : "false"; break;
    case Attribute::Kind::number: out += format_number(a.number); break;
    default: out += a.text;  // its JSON text (never accepted by an engine)
  }
}

std::string format_number(double v) { return fmt::format("{}", v); }

std::string case_list_json(const std::vector<std::string>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out.push_back(',');
    json_str(out, ids[i]);
  }
  out.push_back(']');
  return out;
}

}  // namespace crmkit::workflow
