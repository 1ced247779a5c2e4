"""The KPI report's staff and management measures through the Python binding: handling times
checked against pandas over the shipped quarter, justified repeat rates, closure over valid cases,
breakdowns by severity and owner, and targets from the policy or the caller."""
from datetime import datetime

import pandas as pd
import pytest

import crmkit

VIP_24X7 = {"diamond", "1A", "2A"}  # the tiers the default policy serves on the 24x7 calendar
RESOLVED = {"resolved", "restored"}  # the resolved states of the complaint and incident workflows


def quarter_engine(data):
    e = crmkit.Engine.from_files(data / "workflows", data / "policies", data / "calendars" / "cn-2026.json")
    e.set_options(sweep_before_apply=True)
    lines = [line for line in (data / "complaints" / "quarter-2026q1.jsonl").read_text(encoding="utf-8").splitlines() if line]
    assert e.apply_batch(lines)["rejected"] == []
    return e


def ts(text):
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def expected_times(engine, calendar):
    """Per case: (first_response, resolution, callback) spans from the trail, as the report defines them."""
    rows = []
    for case_id in engine.find():
        c = engine.case(case_id)
        events = [x for x in c.events if x["actor"] != "system"]
        received = ts(events[0]["at"])
        first_change = next((ts(x["at"]) for x in events[1:] if x["from"] != x["to"]), None)
        resolved = next((ts(x["at"]) for x in events if x["to"] in RESOLVED), None)
        callback = None
        if resolved is not None:
            for x in events:
                if x["type"] != "callback" or ts(x["at"]) < resolved:
                    continue
                outcome, manual = x["data"].get("outcome"), x["data"].get("manual", False)
                owes = outcome == "unsatisfied" and not manual and x["to"] in RESOLVED
                if outcome in ("very_satisfied", "satisfied", "unsatisfied") and not owes:
                    callback = ts(x["at"])
                    break
        for measure, start, end in (("first_response", received, first_change), ("resolution", received, resolved),
                                    ("callback", resolved, callback)):
            if start is None or end is None:
                continue
            business = end - start if c.tier in VIP_24X7 else calendar.between(start, end)
            rows.append({"measure": measure, "owner": c.owner, "elapsed": end - start, "business": business})
    return pd.DataFrame(rows)


def test_handling_times_equal_pandas_over_the_quarter(data):
    e = quarter_engine(data)
    calendar = crmkit.Calendar.from_file(data / "calendars" / "cn-2026.json")
    frame = expected_times(e, calendar)
    assert len(frame[frame.measure == "callback"]) > 2000
    report = e.kpi()

    def check(times, rows):
        for h in times:
            mine = rows[rows.measure == h["measure"]]
            for kind in ("elapsed", "business"):
                got = h[kind]
                assert got["count"] == len(mine), (h["measure"], kind)
                if len(mine) == 0:
                    assert got["mean"] is None and got["median"] is None and got["p90"] is None
                    continue
                values = mine[kind]
                assert got["mean"] == pytest.approx(values.mean(), rel=1e-12), (h["measure"], kind)
                assert got["median"] == pytest.approx(values.median(), rel=1e-12), (h["measure"], kind)
                assert got["p90"] == pytest.approx(values.quantile(0.9), rel=1e-12), (h["measure"], kind)

    assert [h["measure"] for h in report["overall"]["handling_times"]] == ["first_response", "resolution", "callback"]
    check(report["overall"]["handling_times"], frame)
    # Per handling owner (staff assessment, 个人绩效): three owners checked the same way.
    by_owner = {m["key"]: m for m in report["by_owner"]}
    for owner in sorted(frame.owner.unique())[:3]:
        check(by_owner[owner]["handling_times"], frame[frame.owner == owner])
    # Every case is in one severity bucket.
    assert sum(m["received"] for m in report["by_severity"]) == report["overall"]["received"]
    assert {m["key"] for m in report["by_severity"]} == {"low", "normal", "high", "critical"}
    e.close()


def test_closure_over_valid_cases_and_ended_apart(data):
    e = quarter_engine(data)
    o = e.kpi()["overall"]
    ended = sum(o["ended"].values())
    assert set(o["ended"]) == {"rejected", "withdrawn", "merged"}
    assert o["closure"]["denominator"] == o["received"] - ended
    states = pd.Series([e.case(i).state for i in e.find()])
    assert o["closure"]["numerator"] == int(states.isin(["closed", "external_review"]).sum())
    for state, n in o["ended"].items():
        assert n == int((states == state).sum())
    e.close()


def ev(id, case_id, type, at, role="agent", **data):
    return {"id": id, "case": case_id, "type": type, "at": f"2026-03-09T{at}:00+08:00", "actor": "u-1", "role": role, "data": data}


def test_justified_repeats_and_targets(data):
    e = crmkit.Engine.from_files(data / "workflows", data / "policies", data / "calendars" / "cn-2026.json")
    receive = dict(channel="web", category="billing", severity="normal", customer="K-1")
    e.apply(ev("1", "C-1", "receive", "09:00", **receive))
    assert e.apply(ev("2", "C-2", "receive", "10:00", **receive))["repeat_of"] == "C-1"  # C-1 is still open
    report = e.kpi()
    assert report["overall"]["repeats"] == 1 and report["overall"]["repeat"]["numerator"] == 0
    e.apply(ev("3", "C-2", "update", "10:30", "supervisor", justified=True))
    report = e.kpi()
    assert report["overall"]["repeat"]["numerator"] == 1 and report["overall"]["justified"] == 1

    # Targets: the policy's (the sources'), overridden by the caller's.
    assert report["targets"]["satisfaction"] == ">0.95"
    report = e.kpi(targets={"satisfaction": ">0.9", "repeat": "minimise"})
    assert report["targets"]["satisfaction"] == ">0.9"
    assert report["overall"]["satisfaction"]["target"] == ">0.9"
    with pytest.raises(crmkit.InvalidArgument, match="options.targets.satisfacton: unknown measure"):
        e.kpi(targets={"satisfacton": ">0.9"})
    for bad in (">1.5", "90%", ">nan", "", ">=-1"):
        with pytest.raises(crmkit.InvalidArgument, match="options.targets.closure"):
            e.kpi(targets={"closure": bad})
    with pytest.raises(crmkit.InvalidArgument, match="targets"):
        e.kpi(targets={"closure": 0.9})
    with pytest.raises(crmkit.InvalidArgument, match="targets"):
        e.kpi(targets=[("closure", ">0.9")])
    e.close()


def test_defect_feedback_corrective_actions_and_causes(data, tmp_path):
    """A cause recorded, a corrective action that runs on after the complaint closes, one open at
    a time (a refusal changes nothing, in memory and durable), and the report by root cause."""
    files = (data / "workflows", data / "policies", data / "calendars" / "cn-2026.json")
    for e in (crmkit.Engine.from_files(*files), crmkit.Engine.open(tmp_path / "df.db", *files, durability="off")):
        e.apply(ev("1", "C-1", "receive", "09:00", channel="phone", category="installation", severity="normal", customer="K-1"))
        e.apply(ev("2", "C-1", "acknowledge", "09:05"))
        e.apply(ev("3", "C-1", "dispatch", "09:10", department="installation", owner="u-1"))
        e.apply(ev("4", "C-1", "resolve", "10:00", resolution="cable fixed", justified=True, root_cause="drop cable left exposed",
                   component="drop cable", supplier="Changfei", contractor="FieldServ"))
        e.apply(ev("5", "C-1", "callback", "11:00", outcome="satisfied", manual=True))
        e.apply(ev("6", "C-1", "corrective_action", "11:30", "supervisor", action="contractor audit", owner="q-3",
                   due="2026-03-16T18:00:00+08:00"))
        case = e.case("C-1")
        assert case.state == "closed"
        assert {c["name"]: c["state"] for c in case.clocks}["corrective_action"] == "running"
        before, position = case.to_dict(), e.journal_position
        with pytest.raises(crmkit.InvalidState, match="clock 'corrective_action' is running"):
            e.apply(ev("7", "C-1", "corrective_action", "12:00", "supervisor", action="again", owner="q-3",
                       due="2026-03-20T18:00:00+08:00"))
        with pytest.raises(crmkit.PermissionDenied):
            e.apply(ev("7", "C-1", "corrective_action", "12:00", action="again", owner="q-3", due="2026-03-20T18:00:00+08:00"))
        assert e.case("C-1").to_dict() == before and e.journal_position == position
        e.apply(ev("8", "C-1", "complete_action", "16:00", result="audit done"))
        with pytest.raises(crmkit.InvalidState, match="nothing it tracks is open"):
            e.apply(ev("9", "C-1", "complete_action", "16:30", result="again"))
        report = e.kpi()
        by_cause = {m["key"]: m for m in report["by_field"]["root_cause"]}
        assert by_cause["drop cable left exposed"]["received"] == 1
        assert {c["clock"]: c["on_time"]["value"] for c in by_cause["drop cable left exposed"]["clocks"]}["corrective_action"] == 1
        assert [m["key"] for m in report["by_field"]["contractor"]] == ["FieldServ"]
        e.close()
