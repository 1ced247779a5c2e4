#!/usr/bin/env python3
"""Validates the shipped data files and real library output against docs/schemas/*.schema.json.

Usage: check_schemas.py SOURCE_DIR [--cli PATH/TO/crmkit] [--lib PATH/TO/libcrmkit.so]

Outputs come from the built CLI (`crmkit complaints replay` on the shipped quarter: case lines and
the KPI report) and from the C ABI through ctypes (apply results, batch report, case JSON with
events, sweep events, due list, KPI report). Broken documents must be rejected, so the check
cannot pass vacuously. Exits 77 (ctest SKIP_RETURN_CODE) when jsonschema is not installed."""
import ctypes
import glob
import json
import os
import subprocess
import sys
import tempfile

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError:
    print("SKIP: the Python package jsonschema is missing (Debian: apt-get install python3-jsonschema)")
    sys.exit(77)

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def load_schema(root, name):
    with open(os.path.join(root, "docs", "schemas", name + ".schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    return schema


def validator(root, name, ref=None):
    schema = load_schema(root, name)
    if ref:
        schema = dict(schema["$defs"][ref], **{"$defs": schema["$defs"]})
    return Draft202012Validator(schema)


def check(v, doc, what):
    errs = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
    for e in errs[:3]:
        fail(f"{what}: {'/'.join(map(str, e.path))}: {e.message[:200]}")
    return not errs


def must_reject(v, doc, what):
    if v.is_valid(doc):
        fail(f"{what}: a broken document was accepted")


def main():
    args = sys.argv[1:]
    root = args[0]
    cli = args[args.index("--cli") + 1] if "--cli" in args else None
    lib = args[args.index("--lib") + 1] if "--lib" in args else os.environ.get("CRMKIT_LIBRARY")
    data = os.path.join(root, "data")

    # Every schema is a valid draft 2020-12 schema, with a versioned $id.
    for path in sorted(glob.glob(os.path.join(root, "docs", "schemas", "*.schema.json"))):
        name = os.path.basename(path)[: -len(".schema.json")]
        s = load_schema(root, name)
        if "/v1/" not in s.get("$id", ""):
            fail(f"{name}: $id lacks the format version /v1/")

    # Shipped inputs.
    inputs = {"calendar": "calendars/*.json", "policy": "policies/*.json", "workflow": "workflows/*.json",
              "tiers": "tiers/*.json"}
    n = 0
    for name, pattern in inputs.items():
        v = validator(root, name)
        files = sorted(glob.glob(os.path.join(data, pattern)))
        if not files:
            fail(f"no shipped {name} files in data/{pattern}")
        for f in files:
            with open(f, encoding="utf-8") as fh:
                doc = json.load(fh)
            check(v, doc, os.path.relpath(f, root))
            check(v, dict(doc, schema=1), os.path.relpath(f, root) + " with \"schema\": 1")
            must_reject(v, dict(doc, schema=2), f"{name} with schema 2")
            n += 1
    must_reject(validator(root, "calendar"), {"name": "x", "week": {"monday": []}}, "calendar with day 'monday'")
    must_reject(validator(root, "calendar"), {"name": "x", "timezone": "UTC"}, "calendar with unknown key")
    must_reject(validator(root, "calendar"), {"zone": "UTC", "rules": [{"name": "x", "date": "01-01", "easter": 1}]},
                "holiday rule with both a date and an Easter offset")
    must_reject(validator(root, "calendar"), {"zone": "UTC", "rules": [{"name": "x", "month": 1, "weekday": "mon"}]},
                "weekday holiday rule without nth")
    must_reject(validator(root, "policy"), {"clocks": {"c": {"target": "2h", "tagret": "3h"}}}, "policy clock typo")
    must_reject(validator(root, "tiers"), {"individuals": {}}, "tiers with unknown key")
    must_reject(validator(root, "workflow"), {"states": [{"name": "a", "kind": "opened"}], "transitions": []},
                "workflow with unknown state kind")

    rfm_v = validator(root, "rfm-config")
    for f in sorted(glob.glob(os.path.join(data, "rfm", "*.json"))):
        with open(f, encoding="utf-8") as fh:
            check(rfm_v, json.load(fh), os.path.relpath(f, root))
        n += 1
    must_reject(rfm_v, {"scoring": "quintile"}, "rfm config with a misspelt scoring")
    must_reject(rfm_v, {"segments": [{"name": "x", "r": [0, 5]}]}, "rfm segment with score 0")
    must_reject(rfm_v, {"window": 30}, "rfm config with unknown key")

    ev = validator(root, "event")
    events_path = os.path.join(data, "complaints", "quarter-2026q1.jsonl")
    with open(events_path, encoding="utf-8") as fh:
        lines = [l for l in fh if l.strip()]
    for i, line in enumerate(lines, 1):
        if not check(ev, json.loads(line), f"quarter-2026q1.jsonl:{i}"):
            break
    must_reject(ev, {"id": "e", "case": "C", "type": "receive"}, "event without 'at'")
    must_reject(ev, {"id": "e", "case": "C", "type": "receive", "at": "2026-01-01 10:00"}, "event with a bad instant")
    print(f"inputs: {n} data files and {len(lines)} events valid")

    case_v, kpi_v = validator(root, "case"), validator(root, "kpi-report")

    # The CLI: replay the shipped quarter.
    if cli:
        with tempfile.TemporaryDirectory() as tmp:
            cases_out, kpi_out = os.path.join(tmp, "cases.jsonl"), os.path.join(tmp, "kpi.json")
            r = subprocess.run([cli, "complaints", "replay", "--events", events_path, "--cases", cases_out, "--kpi", kpi_out,
                                "--quiet", "--calendar", os.path.join(data, "calendars", "cn-2026.json"),
                                "--policy", os.path.join(data, "policies", "default.json"),
                                "--workflow", os.path.join(data, "workflows", "default.json")],
                               capture_output=True, text=True)
            if r.returncode not in (0, 1):
                fail(f"crmkit complaints replay exited {r.returncode}: {r.stderr[-500:]}")
            with open(cases_out, encoding="utf-8") as fh:
                cases = [json.loads(l) for l in fh if l.strip()]
            if len(cases) < 100:
                fail(f"replay wrote only {len(cases)} cases")
            bad = [c["id"] for c in cases if not case_v.is_valid(c)]
            if bad:
                check(case_v, next(c for c in cases if c["id"] == bad[0]), f"CLI case {bad[0]}")
                fail(f"{len(bad)} CLI cases invalid")
            with open(kpi_out, encoding="utf-8") as fh:
                report = json.load(fh)
            check(kpi_v, report, "CLI KPI report")
            broken = json.loads(json.dumps(report))
            broken["overall"]["satisfaction"]["value"] = "97%"
            must_reject(kpi_v, broken, "KPI report with a string rate")
            broken = dict(cases[0])
            del broken["state"]
            must_reject(case_v, broken, "case without a state")
        # value fit, with and without a spend column.
        fit_v = validator(root, "value-fit")
        for summary in ("cdnow_customers_summary.csv", "cdnow_customers_summary_with_transactions.csv"):
            r = subprocess.run([cli, "value", "fit", "--summary", os.path.join(data, "cdnow", summary)], capture_output=True, text=True)
            if r.returncode != 0:
                fail(f"crmkit value fit exited {r.returncode}: {r.stderr[-300:]}")
                continue
            fit = json.loads(r.stdout)
            check(fit_v, fit, f"value fit on {summary}")
            if (fit["gammagamma"] is None) != (summary == "cdnow_customers_summary.csv"):
                fail(f"value fit on {summary}: gammagamma {fit['gammagamma']}")
            must_reject(fit_v, dict(fit, bgnbd=dict(fit["bgnbd"], r="0.24")), "value fit with a string parameter")
        # rfm with the shipped configuration validated above.
        r = subprocess.run([cli, "rfm", "--transactions", os.path.join(data, "cdnow", "CDNOW_master.txt"), "--asof", "1998-06-30",
                            "--config", os.path.join(data, "rfm", "segments.json")], capture_output=True, text=True)
        if r.returncode != 0 or len(r.stdout.splitlines()) != 23571:
            fail(f"crmkit rfm --config data/rfm/segments.json: exit {r.returncode}, {len(r.stdout.splitlines())} lines")
            must_reject(case_v, {k: v for k, v in cases[0].items() if k != "schema"}, "case without its format version")
            must_reject(kpi_v, dict(report, schema=2), "KPI report of format version 2")
            print(f"CLI: {len(cases)} cases and the KPI report valid")
    else:
        print("note: no --cli given; CLI outputs not checked")

    # The C ABI.
    if lib:
        L = ctypes.CDLL(lib)
        cp, vp = ctypes.c_char_p, ctypes.c_void_p
        L.crmkit_last_error.restype = cp
        L.crmkit_string_free.argtypes = [vp]
        L.crmkit_engine_from_files.argtypes = [cp, cp, cp, ctypes.POINTER(vp)]
        for fn in ("crmkit_engine_apply", "crmkit_engine_get_case", "crmkit_engine_find", "crmkit_engine_due",
                   "crmkit_engine_kpi"):
            getattr(L, fn).argtypes = [vp, cp, ctypes.POINTER(vp)]
        L.crmkit_engine_apply_batch.argtypes = [vp, cp, ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(vp)]
        L.crmkit_engine_sweep.argtypes = [vp, ctypes.c_int64, ctypes.POINTER(vp), ctypes.POINTER(ctypes.c_size_t)]
        L.crmkit_engine_free.argtypes = [vp]

        def take(p):
            s = ctypes.string_at(p.value).decode("utf-8")
            L.crmkit_string_free(p)
            return json.loads(s)

        def ok(rc, what):
            if rc != 0:
                raise RuntimeError(f"{what}: rc {rc}: {L.crmkit_last_error().decode()}")

        # The library accepts what the input schemas accept: "schema": 1 on every input document.
        def read(*parts):
            with open(os.path.join(data, *parts), encoding="utf-8") as fh:
                return json.load(fh)
        L.crmkit_engine_from_json.argtypes = [cp, cp, cp, ctypes.POINTER(vp)]
        L.crmkit_tiers_names.argtypes = [cp, ctypes.POINTER(vp)]
        versioned = [json.dumps(dict(read(*f), schema=1)).encode() for f in
                     (("workflows", "default.json"), ("policies", "default.json"), ("calendars", "cn-2026.json"))]
        e1 = vp()
        ok(L.crmkit_engine_from_json(*versioned, ctypes.byref(e1)), "engine_from_json with \"schema\": 1")
        L.crmkit_engine_free(e1)
        names = vp()
        ok(L.crmkit_tiers_names(json.dumps(dict(read("tiers", "default.json"), schema=1)).encode(), ctypes.byref(names)),
           "tiers with \"schema\": 1")
        take(names)
        cal2 = dict(read("calendars", "cn-2026.json"), schema=2)
        if L.crmkit_engine_from_json(versioned[0], versioned[1], json.dumps(cal2).encode(), ctypes.byref(e1)) == 0:
            L.crmkit_engine_free(e1)
            fail("the library accepted a calendar with \"schema\": 2")

        # Holidays and an iCalendar import report, from the library.
        L.crmkit_calendar_from_file.argtypes = [cp, ctypes.POINTER(vp)]
        L.crmkit_calendar_holidays.argtypes = [vp, ctypes.c_int32, ctypes.c_int32, ctypes.POINTER(vp)]
        L.crmkit_calendar_import_ics.argtypes = [cp, ctypes.c_size_t, vp, ctypes.c_int, ctypes.POINTER(vp), ctypes.POINTER(vp)]
        L.crmkit_calendar_free.argtypes = [vp]
        uk, imported, out = vp(), vp(), vp()
        ok(L.crmkit_calendar_from_file(os.path.join(data, "calendars", "uk-england-wales.json").encode(), ctypes.byref(uk)),
           "calendar_from_file")
        ok(L.crmkit_calendar_holidays(uk, 2020, 2030, ctypes.byref(out)), "calendar_holidays")
        hol = take(out)
        check(validator(root, "holidays"), hol, "holidays")
        must_reject(validator(root, "holidays"), dict(hol, holidays=[{"date": "2026-01-01"}]), "holiday without a name")
        with open(os.path.join(root, "tests", "fixtures", "company-holidays.ics"), "rb") as fh:
            ics = fh.read()
        ok(L.crmkit_calendar_import_ics(ics, len(ics), uk, 1, ctypes.byref(imported), ctypes.byref(out)), "import_ics")
        rep = take(out)
        check(validator(root, "ics-import-report"), rep, "ics import report")
        if not rep["skipped"]:
            fail("ics import report: the timed event was not reported")
        must_reject(validator(root, "ics-import-report"), dict(rep, rules="5"), "ics import report with a string count")
        L.crmkit_calendar_free(imported)
        L.crmkit_calendar_free(uk)

        eng = vp()
        ok(L.crmkit_engine_from_files(os.path.join(data, "workflows", "default.json").encode(),
                                      os.path.join(data, "policies", "default.json").encode(),
                                      os.path.join(data, "calendars", "cn-2026.json").encode(), ctypes.byref(eng)),
           "engine_from_files")
        try:
            apply_v = validator(root, "apply-result")
            out = vp()
            first = lines[:50]
            for line in first:
                rc = L.crmkit_engine_apply(eng, line.encode(), ctypes.byref(out))
                if rc == 0:
                    check(apply_v, take(out), "apply result")
            # Batch: the rest of the quarter plus one broken line and one duplicate, so 'rejected' is filled.
            batch = "".join(lines[50:2000]) + '{"id":"bad-1","case":"NOPE","type":"acknowledge","at":"2026-03-01T00:00:00Z"}\n' \
                + lines[0]
            n_applied, report = ctypes.c_size_t(), vp()
            L.crmkit_engine_apply_batch(eng, batch.encode(), ctypes.byref(n_applied), ctypes.byref(report))
            if report.value:
                rep = take(report)
                batch_v = validator(root, "batch-result")
                check(batch_v, rep, "batch report")
                if not rep["rejected"]:
                    fail("batch report: the broken line was not reported")
                must_reject(batch_v, dict(rep, applied=-1), "batch report with a negative count")
            else:
                fail("apply_batch gave no report")
            ids = []
            ok(L.crmkit_engine_find(eng, b"{}", ctypes.byref(out)), "find")
            ids = take(out)
            for cid in ids[:200]:
                ok(L.crmkit_engine_get_case(eng, cid.encode(), ctypes.byref(out)), "get_case")
                check(case_v, take(out), f"case {cid}")
            count, sw = ctypes.c_size_t(), vp()
            ok(L.crmkit_engine_sweep(eng, 1775000000, ctypes.byref(sw), ctypes.byref(count)), "sweep")  # 2026-03-31
            sweeps = take(sw)
            sweep_v = validator(root, "sweep-event")
            for s in sweeps:
                if not check(sweep_v, s, "sweep event"):
                    break
            if sweeps:
                must_reject(sweep_v, dict(sweeps[0], kind="alarm"), "sweep event of kind 'alarm'")
            ok(L.crmkit_engine_due(eng, json.dumps({"before": "2027-01-01T00:00:00Z", "limit": 50}).encode(),
                                   ctypes.byref(out)), "due")
            check(validator(root, "queries", "due_list"), take(out), "due list")
            ok(L.crmkit_engine_kpi(eng, json.dumps({"top_reasons": 5}).encode(), ctypes.byref(out)), "kpi")
            check(kpi_v, take(out), "C ABI KPI report")
            # Queries and options: the schema and the library agree on what is refused.
            qv = {k: validator(root, "queries", k) for k in ("find_query", "kpi_options", "due_query")}
            for key, doc, fn in (("find_query", {"state": "closed", "limit": 3}, L.crmkit_engine_find),
                                 ("kpi_options", {"as_of": "2026-04-01T00:00:00Z"}, L.crmkit_engine_kpi),
                                 ("due_query", {"before": 1775000000}, L.crmkit_engine_due)):
                check(qv[key], doc, key)
                ok(fn(eng, json.dumps(doc).encode(), ctypes.byref(out)), key)
                take(out)
                bad_doc = dict(doc, colour="red")
                must_reject(qv[key], bad_doc, key + " with an unknown key")
                if fn(eng, json.dumps(bad_doc).encode(), ctypes.byref(out)) == 0:
                    take(out)
                    fail(f"{key}: the library accepted an unknown key")
            print(f"C ABI: apply results, batch report, {min(len(ids), 200)} cases, {len(sweeps)} sweep events, "
                  "due list, KPI report and queries valid")
        finally:
            L.crmkit_engine_free(eng)
    else:
        print("note: no --lib given; C ABI outputs not checked")

    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("all schema checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
