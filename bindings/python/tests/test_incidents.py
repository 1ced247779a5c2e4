"""Incidents (mass faults) through the Python binding: complaints of many customers linked to an
incident, one notice and one resolution written into every open linked case, a refused broadcast
changing nothing (in memory and durable)."""
import pytest

import crmkit


def ev(id, case_id, type, at, role="agent", **data):
    return {"id": id, "case": case_id, "type": type, "at": f"2026-03-09T{at}:00+08:00", "actor": "u-1", "role": role, "data": data}


def engines(data, tmp_path):
    files = (data / "workflows", data / "policies", data / "calendars" / "cn-2026.json")
    yield crmkit.Engine.from_files(*files)
    yield crmkit.Engine.open(tmp_path / "inc.db", *files, durability="off")


def test_an_incident_reaches_every_open_linked_case(data, tmp_path):
    for e in engines(data, tmp_path):
        e.apply(ev("i", "INC-1", "receive", "09:00", "supervisor", workflow="incident", category="network", severity="high",
                   description="OLT card failure", area="district 7"))
        for k in (1, 2, 3):
            e.apply(ev(f"c{k}", f"C-{k}", "receive", "09:05", channel="app", category="product_quality", severity="normal",
                       customer=f"K-{k}"))
            assert e.apply(ev(f"l{k}", "INC-1", "link", "09:10", case=f"C-{k}"))["covered"] == [f"C-{k}"]
        e.apply(ev("w", "C-3", "withdraw", "09:15"))  # ended: no longer reached
        assert e.case("INC-1").links == ["C-1", "C-2", "C-3"]
        assert e.case("C-2").state == "received"

        before = {c: e.case(c).to_dict() for c in ("INC-1", "C-1", "C-2")}
        position = e.journal_position
        e.apply(ev("taken", "C-1", "acknowledge", "09:16"))
        before["C-1"] = e.case("C-1").to_dict()
        position = e.journal_position
        with pytest.raises(crmkit.Conflict, match="a linked case: case 'C-1'"):
            e.apply(ev("taken", "INC-1", "incident_notice", "09:20", note="crew on site"))
        assert {c: e.case(c).to_dict() for c in before} == before and e.journal_position == position
        with pytest.raises(crmkit.InvalidArgument, match="not linked to this one"):
            e.apply(ev("h", "C-2", "incident_notice", "09:20", case="INC-9", note="x"))

        assert e.apply(ev("n", "INC-1", "incident_notice", "09:30", note="crew on site"))["covered"] == ["C-1", "C-2"]
        result = e.apply(ev("r", "INC-1", "incident_resolve", "12:00", "supervisor", resolution="card replaced"))
        assert result["to"] == "restored" and result["covered"] == ["C-1", "C-2"]
        for c in ("C-1", "C-2"):
            case = e.case(c)
            assert case.state == "resolved"
            last = case.events[-1]
            assert last["type"] == "incident_resolve" and last["data"]["case"] == "INC-1" and last["data"]["resolution"] == "card replaced"
        assert e.case("C-3").state == "withdrawn"
        clocks = {c["name"]: c for c in e.case("INC-1").clocks}
        assert clocks["restoration"]["state"] == "stopped" and not clocks["restoration"]["breached"]
        e.close()
