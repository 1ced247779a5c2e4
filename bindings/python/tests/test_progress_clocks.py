"""Progress promises through the Python binding: the periodic-update clock restarted by each
contact, promise_contact {by} kept by the next one, and refusals that change nothing (in memory
and durable)."""
import pytest

import crmkit


def ev(id, type, at, role="agent", **data):
    return {"id": id, "case": "K-1", "type": type, "at": f"2026-03-{at}:00+08:00", "actor": "u-1", "role": role, "data": data}


def engines(data, tmp_path):
    files = (data / "workflows", data / "policies", data / "calendars" / "cn-2026.json")
    yield crmkit.Engine.from_files(*files)
    yield crmkit.Engine.open(tmp_path / "progress.db", *files, durability="off")


def clocks(e):
    return {c["name"]: c for c in e.case("K-1").clocks}


def test_updates_and_promises(data, tmp_path):
    for e in engines(data, tmp_path):
        e.apply(ev("r", "receive", "09T09:00", channel="phone", category="service", severity="normal", customer="c-1"))
        assert clocks(e)["progress_update"]["due"] == "2026-03-12T02:30:00Z"
        result = e.apply(ev("p", "promise_contact", "09T10:00", by="2026-03-10T17:00:00+08:00"))
        assert {(c["clock"], c["op"]) for c in result["clocks"]} == {("promised_contact", "restart"), ("progress_update", "restart")}
        assert clocks(e)["promised_contact"]["due"] == "2026-03-10T09:00:00Z"

        before, position = e.case("K-1").to_dict(), e.journal_position
        with pytest.raises(crmkit.InvalidArgument, match="is not after the event"):
            e.apply(ev("bad", "promise_contact", "09T11:00", by="2026-03-09T10:59:00+08:00"))
        with pytest.raises(crmkit.InvalidArgument, match="only by a promise"):
            e.apply(ev("bad", "update", "09T11:00", by="2026-03-11T10:00:00+08:00"))
        assert e.case("K-1").to_dict() == before and e.journal_position == position

        e.apply(ev("n", "notify_customer", "10T16:00", note="the part arrives on Thursday"))
        c = clocks(e)
        assert c["promised_contact"]["state"] == "stopped" and not c["promised_contact"]["breached"]
        assert c["progress_update"]["instance"] == 3
        # A promise missed: the sweep reports the breach and raises the level.
        e.apply(ev("p2", "promise_contact", "10T16:05", by="2026-03-11T10:00:00+08:00"))
        fired = [f for f in e.sweep("2026-03-11T12:00:00+08:00") if f["clock"] == "promised_contact" and f["kind"] == "breach"]
        assert len(fired) == 1 and e.case("K-1").escalation_level == 1
        e.close()
