/*
 * crmkit.h — the C ABI of crmkit (C99).
 *
 * Conventions (as SQLite and libgit2):
 *  - Every function returns an int status: CRMKIT_OK (0) or a CRMKIT_E* code. Results come
 *    back through out-parameters, which are written only on success.
 *  - On failure, crmkit_last_error() returns a message for the calling thread (UTF-8, owned by
 *    the library, valid until the next crmkit call on that thread).
 *  - Handles are opaque. Each has a _free function; passing NULL to _free is a no-op. A handle
 *    that was freed, or a pointer that never was a handle, is detected and gives
 *    CRMKIT_EINVAL instead of a crash.
 *  - Strings passed in are UTF-8 and NUL-terminated and are copied; strings returned as
 *    char** belong to the caller, who frees them with crmkit_string_free().
 *  - Instants are int64 seconds since 1970-01-01T00:00:00Z; durations are int64 seconds.
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
 *  Errors: CRMKIT_EINVAL (NULL), CRMKIT_EPARSE. */
CRMKIT_API int crmkit_time_parse(const char* text, int64_t* out_unix_seconds);
/** Formats an instant as "YYYY-MM-DDTHH:MM:SSZ" into buf (needs 21 bytes incl. NUL).
 *  Errors: CRMKIT_EINVAL (NULL buf or size < 21). */
CRMKIT_API int crmkit_time_format(int64_t unix_seconds, char* buf, size_t size);

/* ---- business calendars (domain.md §3) ----------------------------------------------------- */

typedef struct crmkit_calendar crmkit_calendar;

/** Loads a calendar from its JSON text. On success *out is a new handle the caller frees
 *  with crmkit_calendar_free(). Errors: CRMKIT_EINVAL (NULL, or a bad calendar: the message
 *  names the field), CRMKIT_EPARSE (malformed JSON), CRMKIT_ENOTFOUND (unknown zone). */
CRMKIT_API int crmkit_calendar_from_json(const char* json, crmkit_calendar** out);
/** As crmkit_calendar_from_json, reading a file; CRMKIT_EIO if it cannot be read. */
CRMKIT_API int crmkit_calendar_from_file(const char* path, crmkit_calendar** out);
/** A 24x7 UTC calendar. */
CRMKIT_API int crmkit_calendar_always_open(crmkit_calendar** out);
/** Frees a calendar. NULL is a no-op; other handles may still be used after freeing this one. */
CRMKIT_API void crmkit_calendar_free(crmkit_calendar* calendar);
/** The calendar as JSON (caller frees with crmkit_string_free). */
CRMKIT_API int crmkit_calendar_to_json(const crmkit_calendar* calendar, char** out_json);

/** Deadline: the instant at which `business_seconds` of working time has elapsed after start.
 *  A start outside working time counts from the next opening; a deadline landing on a
 *  closing time is that closing time. Errors: CRMKIT_EINVAL (bad handle, NULL out, negative
 *  duration, instant outside 1900..2499, no working time left). */
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
 *  guaranteed about out_deadlines and the message names the failing index. */
CRMKIT_API int crmkit_calendar_add_batch(const crmkit_calendar* calendar, const int64_t* starts,
                                         const int64_t* business_seconds, size_t n, int64_t* out_deadlines);
/** Batch between(): out_business_seconds[i] = between(from[i], to[i]). */
CRMKIT_API int crmkit_calendar_between_batch(const crmkit_calendar* calendar, const int64_t* from,
                                             const int64_t* to, size_t n, int64_t* out_business_seconds);

#ifdef __cplusplus
}
#endif

#endif /* CRMKIT_H */
