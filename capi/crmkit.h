/*
 * crmkit.h — the C ABI of crmkit (C99).
 *
 * Conventions (as SQLite and libgit2):
 *  - Every function returns an int status: CRMKIT_OK (0) or a CRMKIT_E* code. Results come
 *    back through out-parameters, which are written only on success.
 *  - On failure, crmkit_last_error() returns a message for the calling thread (UTF-8, owned by
 *    the library, valid until the next crmkit call on that thread).
 *  - Handles are opaque. Each has a _free function; passing NULL to _free is a no-op, and so is
 *    a second free or freeing a handle as another type. A handle that was freed, a handle of
 *    another type, or a pointer that never was a handle gives CRMKIT_EINVAL. This detection is
 *    best effort: each handle carries a type-specific magic word that is checked without a lock,
 *    so a freed handle whose memory a new handle of the same type reuses cannot be told apart
 *    from it (and reading a foreign pointer may itself fault). Builds configured with
 *    CRMKIT_HARDENED_HANDLES (the sanitizer and fuzz builds) keep a registry of live handles and
 *    quarantine freed ones, which makes it reliable at the cost of one lock per call.
 *  - Strings passed in are UTF-8 and NUL-terminated and are copied; strings returned as
 *    char** belong to the caller, who frees them with crmkit_string_free().
 *  - Instants are int64 seconds since 1970-01-01T00:00:00Z; durations are int64 seconds. The
 *    supported range is 1900-01-01T00:00:00Z (-2208988800) .. 2499-12-31T23:59:59Z
 *    (16725225599), inclusive; an instant outside it gives CRMKIT_EINVAL.
 *  - Counts (n, n_customers, capacity) whose arrays could not fit in memory give CRMKIT_ELIMIT
 *    before any element is read; a NULL array with a nonzero count gives CRMKIT_EINVAL. Other
 *    documented limits (file sizes, CLV horizon, periods) give CRMKIT_ELIMIT: see README.md,
 *    "Limits".
 *  - No C++ exception ever crosses this boundary.
 *  - Thread safety: functions taking only const inputs (calendars, policies: immutable after
 *    loading) may be called from any number of threads at once. Each function says otherwise.
 */
#ifndef CRMKIT_H
#define CRMKIT_H

#include <stddef.h>
#include <stdint.h>

#include "crmkit_version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define CRMKIT_API __declspec(dllexport)
#else
#define CRMKIT_API __attribute__((visibility("default")))
#endif

/* ---- status codes ------------------------------------------------------------------------ */
enum crmkit_status {
  CRMKIT_OK = 0,
  CRMKIT_EINVAL = 1,         /* invalid argument: NULL pointer, bad handle, NaN, negative, out of range */
  CRMKIT_EPARSE = 2,         /* malformed JSON, CSV, timestamp or date */
  CRMKIT_ENOTFOUND = 3,      /* unknown id, zone, case or file */
  CRMKIT_ESTATE = 4,         /* operation not allowed in the current state */
  CRMKIT_EPERM = 5,          /* role not allowed / above its limit */
  CRMKIT_ECONFLICT = 6,      /* duplicate or contradicting definition */
  CRMKIT_EIO = 7,            /* file or database I/O */
  CRMKIT_ELOCKED = 8,        /* the store is held by another engine */
  CRMKIT_EVERSION = 9,       /* data from a newer format version */
  CRMKIT_ELIMIT = 10,        /* input past a documented size limit */
  CRMKIT_ECORRUPT = 11,      /* checksum mismatch or truncated data */
  CRMKIT_ENOCONVERGE = 12,   /* a numerical fit did not converge */
  CRMKIT_EINTERNAL = 13,     /* a bug in crmkit */
  CRMKIT_ENOMEM = 14         /* out of memory */
};

/* ---- library ------------------------------------------------------------------------------ */

/** The library version string, e.g. "0.1.0" (static storage; never NULL). */
CRMKIT_API const char* crmkit_version(void);
/** The library version as CRMKIT_VERSION_NUMBER would give it for the linked library. */
CRMKIT_API int crmkit_version_number(void);
/** Message of the last failure on this thread ("" if none). Owned by the library. */
CRMKIT_API const char* crmkit_last_error(void);
/** Short name of a status code ("ok", "invalid_argument", ...); static storage. */
CRMKIT_API const char* crmkit_status_name(int status);
/** Frees a string returned by crmkit. NULL is a no-op. */
CRMKIT_API void crmkit_string_free(char* s);

/* ---- time --------------------------------------------------------------------------------- */

/** Parses an RFC 3339 instant ("2026-03-06T17:30:00+08:00") into *out_unix_seconds.
 *  Errors: CRMKIT_EINVAL (NULL, an instant outside the supported range), CRMKIT_EPARSE. */
CRMKIT_API int crmkit_time_parse(const char* text, int64_t* out_unix_seconds);
/** Formats an instant as "YYYY-MM-DDTHH:MM:SSZ" into buf (needs 21 bytes incl. NUL), owned by
 *  the caller. Errors: CRMKIT_EINVAL (NULL buf, size < 21, an instant outside the supported
 *  range 1900-01-01T00:00:00Z .. 2499-12-31T23:59:59Z). */
CRMKIT_API int crmkit_time_format(int64_t unix_seconds, char* buf, size_t size);

/* ---- business calendars (docs/domain.md#business-calendars) ---------------------------------- */

typedef struct crmkit_calendar crmkit_calendar;

/** Loads a calendar from its JSON text. On success *out is a new handle the caller frees
 *  with crmkit_calendar_free(). Errors: CRMKIT_EINVAL (NULL, or a bad calendar: the message
 *  names the field), CRMKIT_EPARSE (malformed JSON), CRMKIT_ENOTFOUND (unknown zone). */
CRMKIT_API int crmkit_calendar_from_json(const char* json, crmkit_calendar** out);
/** As crmkit_calendar_from_json, reading a file: CRMKIT_EIO if it cannot be read, CRMKIT_EINVAL
 *  if it is not a regular file or a pipe, CRMKIT_ELIMIT above 16 MiB. */
CRMKIT_API int crmkit_calendar_from_file(const char* path, crmkit_calendar** out);
/** A 24x7 UTC calendar. */
CRMKIT_API int crmkit_calendar_always_open(crmkit_calendar** out);
/** Frees a calendar. NULL is a no-op; other handles may still be used after freeing this one. */
CRMKIT_API void crmkit_calendar_free(crmkit_calendar* calendar);
/** The calendar as JSON (caller frees with crmkit_string_free). */
CRMKIT_API int crmkit_calendar_to_json(const crmkit_calendar* calendar, char** out_json);

/** The holidays in force in the years [first_year, last_year] (1900..2499, at most 100 years):
 *  explicit ones and those the calendar's recurring rules make, after make-up working days, as
 *  JSON (docs/schemas/holidays.schema.json): {"schema":1,"holidays":[{"date":"2026-12-25",
 *  "name":"Christmas Day"}, ...]} in date order. The caller frees *out_json with
 *  crmkit_string_free. Errors: CRMKIT_EINVAL (bad handle, NULL out, years outside the range or
 *  reversed, more than 100 years). */
CRMKIT_API int crmkit_calendar_holidays(const crmkit_calendar* calendar, int32_t first_year, int32_t last_year,
                                        char** out_json);
/** Imports the all-day events of an iCalendar (RFC 5545) text of `ics_length` bytes (parsed with
 *  libical) into a copy of `base` (zone, working hours, its own holidays): one-off events and
 *  bounded recurrences as holidays, yearly recurrences as rules (crmkit/calendar.hpp import_ics).
 *  skip_timed != 0 leaves out events with a time of day (else they refuse the text). On success
 *  *out is a new calendar the caller frees with crmkit_calendar_free, and, when out_report_json
 *  is not NULL, *out_report_json what was imported (docs/schemas/ics-import-report.schema.json;
 *  caller frees with crmkit_string_free). `base` is not changed. Errors: CRMKIT_EINVAL (NULL
 *  ics, out or base, bad handle, a timed event, an endless recurrence no rule expresses: the
 *  message names the event by SUMMARY, UID and DTSTART), CRMKIT_EPARSE (no iCalendar text, or
 *  libical reports an error in it), CRMKIT_ELIMIT (above 64 MiB, more than 100,000 dates);
 *  on error *out and *out_report_json are left unchanged. */
CRMKIT_API int crmkit_calendar_import_ics(const char* ics, size_t ics_length, const crmkit_calendar* base, int skip_timed,
                                          crmkit_calendar** out, char** out_report_json);

/** Deadline: the instant at which `business_seconds` of working time has elapsed after start.
 *  A start outside working time counts from the next opening; a deadline landing on a
 *  closing time is that closing time. Errors: CRMKIT_EINVAL (bad handle, NULL out, negative
 *  duration or one above 100 years, instant outside the supported range, no working time left). */
CRMKIT_API int crmkit_calendar_add(const crmkit_calendar* calendar, int64_t start, int64_t business_seconds,
                                   int64_t* out_deadline);
/** Working seconds in [from, to) (negative when to < from). Errors: CRMKIT_EINVAL. */
CRMKIT_API int crmkit_calendar_between(const crmkit_calendar* calendar, int64_t from, int64_t to,
                                       int64_t* out_business_seconds);
/** *out_working = 1 if t is inside working time, else 0. Errors: CRMKIT_EINVAL. */
CRMKIT_API int crmkit_calendar_is_working(const crmkit_calendar* calendar, int64_t t, int* out_working);
/** t itself when working, else the next opening. Errors: CRMKIT_EINVAL. */
CRMKIT_API int crmkit_calendar_next_working(const crmkit_calendar* calendar, int64_t t, int64_t* out_next);
/** Batch deadlines over plain arrays: out_deadlines[i] = add(starts[i], business_seconds[i]).
 *  All arrays hold n elements (n = 0 is fine; pointers may then be NULL). On error nothing is
 *  guaranteed about out_deadlines and the message names the failing index. Errors: CRMKIT_EINVAL
 *  (bad handle, NULL array, a bad row), CRMKIT_ELIMIT (n past what memory can hold). */
CRMKIT_API int crmkit_calendar_add_batch(const crmkit_calendar* calendar, const int64_t* starts,
                                         const int64_t* business_seconds, size_t n, int64_t* out_deadlines);
/** Batch between(): out_business_seconds[i] = between(from[i], to[i]). */
CRMKIT_API int crmkit_calendar_between_batch(const crmkit_calendar* calendar, const int64_t* from,
                                             const int64_t* to, size_t n, int64_t* out_business_seconds);

/* ---- SLA policies and clocks (docs/domain.md#time-targets, docs/domain.md#sla-clocks) -------- */

typedef struct crmkit_policy crmkit_policy;
typedef struct crmkit_clocks crmkit_clocks;

/** Loads an SLA policy (JSON, see data/policies/default.json) counting in `calendar` (the policy's
 *  "default" calendar; "24x7" is built in). The calendar is copied: it may be freed afterwards.
 *  On success *out is a new handle (free with crmkit_policy_free). Errors: CRMKIT_EINVAL (NULL,
 *  bad handle, bad policy: the message names the field), CRMKIT_EPARSE (malformed JSON or
 *  duration), CRMKIT_ENOTFOUND (unknown calendar name). Immutable once loaded: thread-safe. */
CRMKIT_API int crmkit_policy_from_json(const char* json, const crmkit_calendar* calendar, crmkit_policy** out);
/** As crmkit_policy_from_json, reading a file: CRMKIT_EIO if it cannot be read, CRMKIT_EINVAL
 *  if it is not a regular file or a pipe, CRMKIT_ELIMIT above 16 MiB. */
CRMKIT_API int crmkit_policy_from_file(const char* path, const crmkit_calendar* calendar, crmkit_policy** out);
/** Frees a policy. NULL is a no-op. */
CRMKIT_API void crmkit_policy_free(crmkit_policy* policy);
/** The clock names the policy defines, as a JSON array (caller frees with crmkit_string_free). */
CRMKIT_API int crmkit_policy_clocks(const crmkit_policy* policy, char** out_json);
/** The target of `clock` for a case described by `case_json` ({"channel","category","severity",
 *  "tier"}, all optional strings, and "fields": {name: value} for the other attributes the rules
 *  match and the times instant targets are due at; NULL or "" for none) as JSON {"clock", "kind"
 *  ("business", "elapsed" or "instant"), "duration_seconds" (business and elapsed) or "due_field"
 *  and "due_offset_seconds" (instant), "warnings", "escalate_to", "rule"} (caller frees).
 *  Errors: CRMKIT_EINVAL (an unknown key in case_json, a value that is not a string),
 *  CRMKIT_EPARSE, CRMKIT_ENOTFOUND (unknown clock). */
CRMKIT_API int crmkit_policy_target(const crmkit_policy* policy, const char* clock, const char* case_json,
                                    char** out_json);

/** Clock states and fired-event kinds. */
enum crmkit_clock_state { CRMKIT_CLOCK_IDLE = 0, CRMKIT_CLOCK_RUNNING = 1, CRMKIT_CLOCK_PAUSED = 2, CRMKIT_CLOCK_STOPPED = 3 };
enum crmkit_clock_event_kind { CRMKIT_CLOCK_WARNING = 0, CRMKIT_CLOCK_BREACH = 1 };

/** A snapshot of one clock. `due` is meaningful only when has_due is 1 (a running clock). */
typedef struct crmkit_clock_status {
  int state;                  /* enum crmkit_clock_state */
  int64_t elapsed_seconds;    /* seconds counted (business seconds for a business target) */
  int64_t remaining_seconds;  /* target - elapsed (negative once breached) */
  int64_t target_seconds;     /* the target's duration; an instant target: from its start to its due */
  int has_due;
  int64_t due;                /* unix seconds */
  int breached;
  int warnings_fired;
} crmkit_clock_status;

/** A warning or breach that fired: the clock, the instant the threshold was crossed, the warning
 *  index (0 for a breach) and its fraction (1 for a breach). */
typedef struct crmkit_clock_event {
  uint64_t clock;
  int kind;  /* enum crmkit_clock_event_kind */
  int index;
  double fraction;
  int64_t at;
} crmkit_clock_event;

/** A new, empty set of clocks (a scheduler). Free with crmkit_clocks_free. Calls on one handle
 *  are serialized by an internal lock, so a handle may be shared between threads. */
CRMKIT_API int crmkit_clocks_new(crmkit_clocks** out);
CRMKIT_API void crmkit_clocks_free(crmkit_clocks* clocks);
/** Creates an idle clock for `clock` of `policy` for the case `case_json` (see
 *  crmkit_policy_target); *out_id is its id (never reused). An instant target is due at the time
 *  case_json's "fields" give for its field, plus its offset. Errors: CRMKIT_EINVAL (also: the
 *  instant's field missing or not an RFC 3339 time), CRMKIT_EPARSE, CRMKIT_ENOTFOUND (unknown
 *  clock name). */
CRMKIT_API int crmkit_clocks_create(crmkit_clocks* clocks, const crmkit_policy* policy, const char* clock,
                                    const char* case_json, uint64_t* out_id);
/** State changes at instant `at`. Errors: CRMKIT_ENOTFOUND (unknown id), CRMKIT_ESTATE (e.g. resume
 *  of a clock that is not paused, anything after stop, a pause of a clock counting to a fixed
 *  instant), CRMKIT_EINVAL (bad handle, `at` before the clock's last change). A failed call
 *  changes nothing. */
CRMKIT_API int crmkit_clocks_start(crmkit_clocks* clocks, uint64_t id, int64_t at);
CRMKIT_API int crmkit_clocks_pause(crmkit_clocks* clocks, uint64_t id, int64_t at);
CRMKIT_API int crmkit_clocks_resume(crmkit_clocks* clocks, uint64_t id, int64_t at);
CRMKIT_API int crmkit_clocks_stop(crmkit_clocks* clocks, uint64_t id, int64_t at);
/** Switches a clock to the target of (policy, clock, case_json) at `at`, keeping the time elapsed
 *  and paused so far (a reclassification; for an instant target, a moved due). Errors as
 *  crmkit_clocks_create / _start. */
CRMKIT_API int crmkit_clocks_retarget(crmkit_clocks* clocks, uint64_t id, const crmkit_policy* policy,
                                      const char* clock, const char* case_json, int64_t at);
/** The clock's status as of `as_of`. Errors: CRMKIT_EINVAL, CRMKIT_ENOTFOUND. */
CRMKIT_API int crmkit_clocks_status(crmkit_clocks* clocks, uint64_t id, int64_t as_of, crmkit_clock_status* out);
/** Fires every warning and breach up to `now` not yet fired, ordered by instant then clock id,
 *  into events[0..capacity); *out_count receives how many were written. Events that do not fit
 *  stay queued and come first on the next call (call again with the same `now` until
 *  *out_count < capacity). events (owned by the caller) may be NULL when capacity is 0.
 *  Errors: CRMKIT_EINVAL, CRMKIT_ELIMIT (capacity past what memory can hold). */
CRMKIT_API int crmkit_clocks_sweep(crmkit_clocks* clocks, int64_t now, crmkit_clock_event* events,
                                   size_t capacity, size_t* out_count);
/** Number of clocks and the bytes they use. Errors: CRMKIT_EINVAL. */
CRMKIT_API int crmkit_clocks_size(crmkit_clocks* clocks, size_t* out_count, size_t* out_bytes);

/* ---- complaint workflow engine (docs/domain.md#complaint-handling) --------------------------- */

typedef struct crmkit_engine crmkit_engine;

/** A workflow engine from a workflow definition, an SLA policy (its workflow keys too:
 *  compensation_limits, callback, reopen_window_days) and the calendar the policy counts in
 *  (also the zone KPI days are counted in), all as JSON text. On success *out is a new handle
 *  (free with crmkit_engine_free). Errors: CRMKIT_EINVAL (NULL; inconsistent workflow or policy:
 *  the message names the spot), CRMKIT_EPARSE (malformed JSON), CRMKIT_ENOTFOUND (unknown zone,
 *  calendar or clock). The engine lives in memory; the host persists the events it sends, or
 *  uses crmkit_engine_open for the durable store. */
CRMKIT_API int crmkit_engine_from_json(const char* workflow_json, const char* policy_json, const char* calendar_json,
                                       crmkit_engine** out);
/** As crmkit_engine_from_json, reading three files; CRMKIT_EIO if one cannot be read.
 *  workflow_path may be a folder: every *.json in it, in file-name order, is a workflow (the
 *  first is the engine's default); policy_path is then one policy for all or a folder with a
 *  policy of the same file name for each (CRMKIT_ENOTFOUND when one is missing). The same holds
 *  for crmkit_engine_open. */
CRMKIT_API int crmkit_engine_from_files(const char* workflow_path, const char* policy_path, const char* calendar_path,
                                        crmkit_engine** out);
/** An engine on the durable store at db_path (an SQLite file, created if missing): the same
 *  engine as crmkit_engine_from_files, with a journal: every event crmkit_engine_apply
 *  acknowledges (and every sweep that fired something) is on disk before the call returns, and
 *  opening recovers the state (newest snapshot this build reads + journal tail; a corrupt or
 *  other-format snapshot is skipped and the journal replayed). options_json (NULL = defaults;
 *  an unknown key is CRMKIT_EINVAL): {"durability": "full"|"normal"|"off" (default full:
 *  survives power loss), "snapshot_every": journal records between automatic snapshots (default
 *  100000; 0 = only crmkit_engine_snapshot; a snapshot also waits until the journal has grown by
 *  the last snapshot's size in bytes since it), "keep_snapshots": 1..100 (default 2),
 *  "expect_seq": the journal position the host last saw (opening fails with CRMKIT_ECORRUPT when
 *  the journal ends before it: the last commits were lost), "sweep_before_apply": as in
 *  crmkit_engine_set_options (default false, as in memory)}. On success *out is a new handle
 *  (free with crmkit_engine_free, which closes the store). Errors: CRMKIT_ELOCKED (another engine
 *  holds the file, by any path), CRMKIT_EVERSION (a newer store format), CRMKIT_ECORRUPT (not a
 *  crmkit store, a journal record failing its checksum, a journal that does not apply to this
 *  configuration, or one shorter than expect_seq), CRMKIT_EIO, CRMKIT_EINVAL (bad options, a
 *  store file with several hard links), and those of crmkit_engine_from_files. */
CRMKIT_API int crmkit_engine_open(const char* db_path, const char* workflow_path, const char* policy_path,
                                  const char* calendar_path, const char* options_json, crmkit_engine** out);
/** Sets the options both kinds of engine share. options_json (NULL = defaults; an unknown key is
 *  CRMKIT_EINVAL): {"sweep_before_apply": true|false (default false)} — with true, each accepted
 *  event first sweeps the clocks to its time (as a replay of a time-ordered log wants; the sweep
 *  is journaled with the event; a refused event does not sweep). With false, sweeping happens only
 *  through crmkit_engine_sweep. Errors: CRMKIT_EINVAL, CRMKIT_EPARSE. */
CRMKIT_API int crmkit_engine_set_options(crmkit_engine* engine, const char* options_json);
/** The journal position of the last record written (0 for an in-memory engine) into *out_seq:
 *  the number a host keeps to pass as "expect_seq" next time. Errors: CRMKIT_EINVAL. */
CRMKIT_API int crmkit_engine_journal_position(crmkit_engine* engine, int64_t* out_seq);
/** Writes a snapshot now (durable engines). Errors: CRMKIT_EINVAL, CRMKIT_ESTATE (in-memory engine), CRMKIT_EIO. */
CRMKIT_API int crmkit_engine_snapshot(crmkit_engine* engine);
/** Applies JSON lines (one event per line) in order; each event is accepted or refused on its
 *  own, and a refused one changes nothing. With a store, the accepted events are journaled in one
 *  transaction. *out_report_json (may be NULL; caller frees) is
 *  {"schema":1,"applied","duplicates","rejected":[{"line","code","error"}]} (line: 1-based among the non-empty
 *  lines); *out_applied (may be NULL) counts the applied events. Errors: CRMKIT_EINVAL,
 *  CRMKIT_EIO: the journal write failed — the batch is applied in memory but not on disk, and the
 *  engine refuses every later change with CRMKIT_EIO until it is reopened (which recovers the
 *  journaled state). Thread-safe. */
CRMKIT_API int crmkit_engine_apply_batch(crmkit_engine* engine, const char* events_jsonl, size_t* out_applied,
                                         char** out_report_json);
/** Frees an engine (and closes its store). NULL is a no-op. Not while another thread uses it. */
CRMKIT_API void crmkit_engine_free(crmkit_engine* engine);
/** Loads another workflow version (definition JSON, with its "name" and "version") with its
 *  policy JSON (SLA clocks and workflow rules; its "default" calendar is the engine's): a new
 *  workflow, or another version of a loaded one. A receive names its workflow in data.workflow
 *  (absent: the engine's default) and gets its newest version, or the one data.workflow_version
 *  names; every case keeps the version it was received under. A durable engine must be opened
 *  with the same workflows next time (its journal names the versions). Nothing changes on error.
 *  Errors: CRMKIT_EINVAL (NULL; an inconsistent workflow or policy: the message names the spot),
 *  CRMKIT_EPARSE, CRMKIT_ENOTFOUND (a clock the policy lacks), CRMKIT_ECONFLICT (that name and
 *  version are loaded already), CRMKIT_ELIMIT (past 255 versions). Thread-safe. */
CRMKIT_API int crmkit_engine_add_workflow(crmkit_engine* engine, const char* workflow_json, const char* policy_json);
/** The loaded workflow versions as JSON [{"name","version","default"}] in load order (caller
 *  frees *out_json). Errors: CRMKIT_EINVAL. Thread-safe. */
CRMKIT_API int crmkit_engine_workflows(crmkit_engine* engine, char** out_json);

/** Applies one event (the event JSON object). On success, when out_result_json is not NULL, it
 *  receives what changed as JSON (caller frees): {"event","case","type","duplicate","created",
 *  "from","to","escalation","clocks",...}. A repeated event id is a success with
 *  "duplicate": true and changes nothing. Errors, each changing nothing: CRMKIT_EPARSE (bad
 *  JSON, an unknown top-level key), CRMKIT_EINVAL (missing/bad field, a data key the case's
 *  workflow does not declare or a value of the wrong type for it — the message names the key —,
 *  a classification value (channel, category, severity, tier or a field the policy's rules
 *  match) on an event other than receive and reclassify, a reclassify that changes nothing, an
 *  instant clock's time field missing, time before the case's last event, a visit window that ends
 *  before it starts or starts before the event, a reschedule to the window agreed already, a
 *  window set by another event than appoint or reschedule, a link to another customer's case or
 *  to itself), CRMKIT_ENOTFOUND (unknown case, or the case data.order / data.case names; a receive naming a
 *  workflow or version not loaded), CRMKIT_ECONFLICT (receive of an existing case; a link made
 *  already), CRMKIT_ESTATE (not allowed in the case's state, or in the linked or covered case's),
 *  CRMKIT_EPERM (role not allowed), CRMKIT_ELIMIT (past a size limit), CRMKIT_EIO (durable engine:
 *  the journal write failed; the event is not applied). A callback naming data.cases or a link
 *  (join {order}, link {case}) applies to the other cases too, all or none; the result's
 *  "covered" lists them.
 *  Thread-safe (serialized with other writers). */
CRMKIT_API int crmkit_engine_apply(crmkit_engine* engine, const char* event_json, char** out_result_json);
/** Fires the SLA warnings and breaches up to `now` (Unix seconds in 1900..2499; automatic
 *  escalation included; journaled on a durable engine when anything fired). When
 *  out_json is not NULL it receives a JSON array of {"schema":1,"case","clock","kind","at","fraction",
 *  "escalated_from","escalated_to"} (caller frees); *out_count (may be NULL) their number.
 *  Errors: CRMKIT_EINVAL. Thread-safe. */
CRMKIT_API int crmkit_engine_sweep(crmkit_engine* engine, int64_t now, char** out_json, size_t* out_count);
/** A case with its clocks, declared fields and full audit trail as JSON (caller frees), personal
 *  data masked (personal fields by their mask rule, digit runs of 7+ in free text keep their
 *  last 4). Errors: CRMKIT_EINVAL, CRMKIT_ENOTFOUND. Thread-safe (shared with other readers). */
CRMKIT_API int crmkit_engine_get_case(crmkit_engine* engine, const char* case_id, char** out_json);
/** crmkit_engine_get_case with options_json (NULL = defaults; an unknown key is CRMKIT_EINVAL):
 *  {"as_of": clocks as of this instant (RFC 3339 or Unix seconds, in 1900..2499; default the
 *  case's last event), "events": include the audit trail (default true), "personal_data_role":
 *  read personal data unmasked as this role, which must be one of the workflow's
 *  personal_data_roles}. *out_json (caller frees) is written only on success. Errors:
 *  CRMKIT_EINVAL (NULL case_id or out_json, a bad option), CRMKIT_EPARSE, CRMKIT_EPERM (a role
 *  the workflow does not allow to read personal data), CRMKIT_ENOTFOUND. Thread-safe. */
CRMKIT_API int crmkit_engine_get_case_ext(crmkit_engine* engine, const char* case_id, const char* options_json,
                                          char** out_json);
/** Ids of the cases matching a query, as a JSON array, in order of receipt. query_json (NULL =
 *  all): {"state","owner","department","customer","escalation_level","min_escalation_level"
 *  (0..15), "limit"}. Errors: CRMKIT_EINVAL (an unknown key or state, a value out of range),
 *  CRMKIT_EPARSE. Thread-safe. */
CRMKIT_API int crmkit_engine_find(crmkit_engine* engine, const char* query_json, char** out_json);
/** Every running clock due before `t` (Unix seconds, in 1900..2499), earliest first: JSON
 *  [{"case","clock","due"}] (caller frees). No limit: prefer crmkit_engine_due for large engines.
 *  Errors: CRMKIT_EINVAL. Thread-safe. */
CRMKIT_API int crmkit_engine_due_before(crmkit_engine* engine, int64_t t, char** out_json);
/** A page of the running clocks due before a time: query_json {"before": RFC 3339 or Unix
 *  seconds (required), "limit": 0..1000000 (default 1000), "after": the last {"case","clock","due"}
 *  of the previous page (optional)} -> JSON [{"case","clock","due"}] in (due, case, clock) order
 *  (caller frees). Found from the scheduler's heap: the cost follows the clocks due, not all
 *  clocks. Errors: CRMKIT_EINVAL (unknown key, bad value, unknown cursor), CRMKIT_EPARSE. */
CRMKIT_API int crmkit_engine_due(crmkit_engine* engine, const char* query_json, char** out_json);
/** The KPI report as JSON (docs/schemas/kpi-report.schema.json; caller frees). options_json
 *  (NULL = defaults; an unknown key is CRMKIT_EINVAL): {"from","to","as_of" (RFC 3339 or Unix
 *  seconds, in 1900..2499), "top_reasons" (0..1000), "targets": {measure: ">0.95" | ">=1" |
 *  "maximise" | "minimise"} overriding the default workflow's policy kpi_targets (measures:
 *  satisfaction, timeliness, closure, callback, first_time_resolution, repeat, over_level,
 *  first_visit_fix, rescheduled, clock_on_time)}. Errors: CRMKIT_EINVAL (naming the option: an
 *  unknown measure, a bad target), CRMKIT_EPARSE. Thread-safe. */
CRMKIT_API int crmkit_engine_kpi(crmkit_engine* engine, const char* options_json, char** out_json);
/** Counts and memory, in O(1): any out-parameter may be NULL. Thread-safe. */
CRMKIT_API int crmkit_engine_stats(crmkit_engine* engine, size_t* out_cases, size_t* out_events, size_t* out_bytes);

/* ---- customer value: summaries, BG/NBD, Gamma-Gamma, CLV (docs/domain.md#customer-lifetime-value) --- */

/* Period unit of t_x and T (and of the model's time scale). */
enum crmkit_period { CRMKIT_PERIOD_DAY = 0, CRMKIT_PERIOD_WEEK = 1 };

/* Fitted BG/NBD parameters (Fader, Hardie & Lee 2005). */
typedef struct crmkit_bgnbd {
  double r, alpha, a, b;
} crmkit_bgnbd;

/* Fitted Gamma-Gamma parameters (Fader & Hardie 2013); v is gamma. */
typedef struct crmkit_gammagamma {
  double p, q, v;
} crmkit_gammagamma;

/* CLV options; crmkit_clv_options_init() fills the defaults (12 months, 1 % monthly discount,
 * weeks, margin 1). */
typedef struct crmkit_clv_options {
  int horizon_months;
  double monthly_discount;
  int period; /* enum crmkit_period */
  double margin;
} crmkit_clv_options;

/** Fills *options with the defaults. Errors: CRMKIT_EINVAL (NULL). */
CRMKIT_API int crmkit_clv_options_init(crmkit_clv_options* options);

/** Per-customer summaries (x, t_x, T, m) from n transactions given as plain arrays: customer[i]
 *  is a dense customer index < n_customers, day[i] the purchase date as days since 1970-01-01,
 *  amount[i] >= 0. Purchases on the same day are one purchase; the calibration period ends on
 *  end_day (inclusive). The caller provides output arrays of n_customers elements;
 *  out_observed[c] is 1 when customer c bought on or before end_day (else 0 and zeros).
 *  out_m may be NULL. Money is summed exactly: each amount is rounded to integer minor units of
 *  1/10,000 (amount * 10000 rounded to nearest, ties to even; include/crmkit/money.hpp), so m
 *  is the same in any row order. Nothing is written on error. Errors: CRMKIT_EINVAL (NULL
 *  arrays with n > 0, index out of range, an amount that is NaN, infinite, negative or above
 *  9e14: the message names the row), CRMKIT_ELIMIT (n or n_customers above 2^32 - 1, a
 *  customer's total above 9e14: the message names the customer index). Thread-safe. */
CRMKIT_API int crmkit_value_summarize(const uint32_t* customer, const int32_t* day, const double* amount,
                                      size_t n, size_t n_customers, int32_t end_day, int period, double* out_x,
                                      double* out_t_x, double* out_T, double* out_m, uint8_t* out_observed);
/** crmkit_value_summarize with amounts already in integer minor units of 1/10,000 (as billing
 *  systems keep them), 0 <= amount_minor[i] <= 9e18; no rounding happens. The same errors (an
 *  amount out of range is CRMKIT_EINVAL naming the row). Thread-safe. */
CRMKIT_API int crmkit_value_summarize_minor(const uint32_t* customer, const int32_t* day,
                                            const int64_t* amount_minor, size_t n, size_t n_customers,
                                            int32_t end_day, int period, double* out_x, double* out_t_x,
                                            double* out_T, double* out_m, uint8_t* out_observed);

/** Maximum-likelihood BG/NBD fit over n customers (x, t_x, T arrays). Writes *out and, when
 *  out_loglik is not NULL, the log-likelihood. Errors: CRMKIT_EINVAL (NULL, n = 0, a negative,
 *  non-finite or inconsistent summary: the message names the index), CRMKIT_ELIMIT (n past what
 *  memory can hold), CRMKIT_ENOCONVERGE. Thread-safe. */
CRMKIT_API int crmkit_value_bgnbd_fit(const double* x, const double* t_x, const double* T, size_t n,
                                      crmkit_bgnbd* out, double* out_loglik);

/** crmkit_value_bgnbd_fit with row i counted weight[i] times (finite, >= 0): a table of distinct
 *  (x, t_x, T) profiles with their customer counts fits the same parameters as the customers it
 *  stands for. Errors: those of crmkit_value_bgnbd_fit, and CRMKIT_EINVAL for a negative or
 *  non-finite weight or weights that sum to 0. Thread-safe. */
CRMKIT_API int crmkit_value_bgnbd_fit_weighted(const double* x, const double* t_x, const double* T,
                                               const double* weight, size_t n, crmkit_bgnbd* out,
                                               double* out_loglik);

/** crmkit_value_gammagamma_fit with row i counted weight[i] times; *out_used (may be NULL)
 *  receives the total weight of the rows with x > 0, rounded. Errors: those of
 *  crmkit_value_gammagamma_fit, and CRMKIT_EINVAL for a negative or non-finite weight.
 *  Thread-safe. */
CRMKIT_API int crmkit_value_gammagamma_fit_weighted(const double* x, const double* m, const double* weight,
                                                    size_t n, crmkit_gammagamma* out, double* out_loglik,
                                                    double* out_used);

/** Maximum-likelihood Gamma-Gamma fit (m = mean repeat spend). The rule, shared with the CLI
 *  and Python: customers with x = 0 are left out; customers with x > 0 and m = 0 are left out
 *  too (a Gamma spend is > 0): they number (customers with x > 0) - *out_used. *out_used (may be
 *  NULL) receives how many customers were used. Errors: CRMKIT_EINVAL (no customer with x > 0
 *  and m > 0, m < 0 for one with x > 0, NaN or infinity: the message names the row),
 *  CRMKIT_ELIMIT (n past what memory can hold), CRMKIT_ENOCONVERGE. Thread-safe. */
CRMKIT_API int crmkit_value_gammagamma_fit(const double* x, const double* m, size_t n, crmkit_gammagamma* out,
                                           double* out_loglik, size_t* out_used);

/** Predictions for n customers: expected purchases in the next t periods, P(alive), expected
 *  spend per purchase and CLV (options NULL = defaults). Each output array (n elements) may be
 *  NULL when not wanted (the caller owns them). Errors: CRMKIT_EINVAL (NULL inputs with n > 0,
 *  bad options, a model parameter that is not finite and > 0, q <= 1, a summary value (x, t_x,
 *  T, m) that is NaN, infinite or negative, t_x > T: the message names the field and the
 *  customer index), CRMKIT_ELIMIT (options->horizon_months above 1200, n past what memory can
 *  hold). Thread-safe. */
CRMKIT_API int crmkit_value_predict(const crmkit_bgnbd* bgnbd, const crmkit_gammagamma* gammagamma,
                                    const double* x, const double* t_x, const double* T, const double* m,
                                    size_t n, double t, const crmkit_clv_options* options,
                                    double* out_expected_purchases, double* out_p_alive,
                                    double* out_expected_spend, double* out_clv);

/** Simple CLV: sum over t = 1..periods of margin * retention^(t-1) / (1+discount)^t.
 *  Errors: CRMKIT_EINVAL (NULL out, retention outside [0, 1], discount <= -1, margin or discount
 *  not finite, periods < 0), CRMKIT_ELIMIT (periods above 100000). */
CRMKIT_API int crmkit_value_simple_clv(double margin, double retention, double discount, int periods,
                                       double* out_clv);

/* ---- RFM (docs/domain.md#rfm) ---------------------------------------------------------------- */

/** RFM scores over plain arrays: n transactions (customer[i] a dense index < n_customers, day[i]
 *  days since 1970-01-01, amount[i] >= 0) scored as of asof_day (later days ignored).
 *  config_json: NULL for the defaults (quintiles, total spend, all history, the default segment
 *  map) or {"scoring","monetary","window_days","cuts","segments"} (see include/crmkit/rfm.hpp).
 *  Every output array has n_customers elements; each may be NULL except out_present, which is 1
 *  for customers with a purchase in the window. out_segment indexes the names that
 *  crmkit_rfm_segment_names returns for the same config. Ties: equal values get equal scores
 *  (score = 1 + floor(5 L / N), L = customers strictly worse). Money is summed exactly in
 *  minor units of 1/10,000 (as crmkit_value_summarize), so totals, averages and scores are the
 *  same in any row order. Nothing is written on error. Errors: CRMKIT_EINVAL (NULL input
 *  arrays with n > 0, index >= n_customers, an amount that is NaN, infinite, negative or above
 *  9e14, bad config: the message names the row or field), CRMKIT_EPARSE (malformed config
 *  JSON), CRMKIT_ELIMIT (n above 2^31 - 1, n_customers past what memory can hold, a customer's
 *  total above 9e14). Thread-safe. */
CRMKIT_API int crmkit_rfm_score(const uint32_t* customer, const int32_t* day, const double* amount, size_t n,
                                size_t n_customers, int32_t asof_day, const char* config_json, int32_t* out_recency_days,
                                int64_t* out_frequency, double* out_monetary, uint8_t* out_r, uint8_t* out_f,
                                uint8_t* out_m, uint16_t* out_segment, uint8_t* out_present);
/** crmkit_rfm_score with amounts already in integer minor units of 1/10,000,
 *  0 <= amount_minor[i] <= 9e18; no rounding happens. The same outputs and errors. Thread-safe. */
CRMKIT_API int crmkit_rfm_score_minor(const uint32_t* customer, const int32_t* day, const int64_t* amount_minor,
                                      size_t n, size_t n_customers, int32_t asof_day, const char* config_json,
                                      int32_t* out_recency_days, int64_t* out_frequency, double* out_monetary,
                                      uint8_t* out_r, uint8_t* out_f, uint8_t* out_m, uint16_t* out_segment,
                                      uint8_t* out_present);
/** The segment names of a config (NULL = default) as a JSON array; the last is the fallback. */
CRMKIT_API int crmkit_rfm_segment_names(const char* config_json, char** out_json);

/* ---- tiers (docs/domain.md#customer-tiers) --------------------------------------------------- */

/** Tier-change codes of crmkit_tiers_individual. */
enum crmkit_tier_change {
  CRMKIT_TIER_NEW = 0,       /* no (known) previous tier */
  CRMKIT_TIER_SAME = 1,
  CRMKIT_TIER_UPGRADE = 2,   /* applied at once */
  CRMKIT_TIER_DOWNGRADE = 3, /* after downgrade_after consecutive periods below */
  CRMKIT_TIER_HELD = 4       /* below the tier held, not yet long enough to downgrade */
};

/** The names a tier config (NULL = the shipped data/tiers/default.json, the CLI's and Python's
 *  default too: diamond >= 50, gold >= 18, silver >= 4 average monthly spend) uses, as JSON {"individual": [...highest first], "pyramid": [...top first],
 *  "enterprise": ["1A".."5A","1B".."5B"]} (caller frees). Errors: CRMKIT_EPARSE, CRMKIT_EINVAL. */
CRMKIT_API int crmkit_tiers_names(const char* config_json, char** out_json);
/** Individual tiers of n customers from their average monthly spend, re-rated against their
 *  previous tier with hysteresis. previous_tiers (may be NULL, entries may be NULL = none) and
 *  periods_below (may be NULL = 0) describe the last period. Outputs (n each): out_tier indexes
 *  the "individual" names; out_periods_below and out_change (enum crmkit_tier_change) may be NULL.
 *  Errors: CRMKIT_EINVAL (NULL, NaN, infinite or negative spend naming the row, periods_below
 *  outside 0..1000, bad config), CRMKIT_EPARSE, CRMKIT_ELIMIT (n past what memory can hold).
 *  The caller keeps the arrays it passes and owns the outputs. Bindings must pass n-element
 *  previous_tiers and periods_below arrays: they are read at every index. Thread-safe. */
CRMKIT_API int crmkit_tiers_individual(const char* config_json, const double* avg_monthly_spend,
                                       const char* const* previous_tiers, const int32_t* periods_below, size_t n,
                                       int32_t* out_tier, int32_t* out_periods_below, int32_t* out_change);
/** Enterprise grades: account_class[i] is 'A' or 'B'; out_grade receives 3 bytes per customer
 *  ("1A\0" .. "5B\0", so out_grade needs 3*n bytes). Errors: CRMKIT_EINVAL (NULL arrays with
 *  n > 0, a bad class, NaN, infinite or negative revenue naming the row), CRMKIT_ELIMIT (3*n
 *  past what memory can hold). Thread-safe. */
CRMKIT_API int crmkit_tiers_enterprise(const char* config_json, const char* account_class, const double* annual_revenue,
                                       size_t n, char* out_grade);
/** Pyramid level (index into the "pyramid" names) of each value (revenue or profit), by share of
 *  customers ranked by value. Errors: CRMKIT_EINVAL (NULL arrays with n > 0, a non-finite
 *  value), CRMKIT_ELIMIT (n past what memory can hold). Thread-safe. */
CRMKIT_API int crmkit_tiers_pyramid(const char* config_json, const double* values, size_t n, int32_t* out_level);
/** A/B/C class ('A', 'B', 'C') of each customer by CLV. Errors: CRMKIT_EINVAL (NULL arrays with
 *  n > 0, a non-finite CLV), CRMKIT_ELIMIT (n past what memory can hold). Thread-safe. */
CRMKIT_API int crmkit_tiers_abc(const char* config_json, const double* clv, size_t n, char* out_class);

#ifdef __cplusplus
}
#endif

#endif /* CRMKIT_H */
