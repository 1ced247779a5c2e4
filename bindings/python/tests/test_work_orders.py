"""Work orders (装维) through the Python binding: the appointment clocks, reschedules kept with who
asked, nobody at home, join and link on both cases, refusals that change nothing (in memory and
durable), and the work-order KPIs."""
import pytest

import crmkit


def ev(id, case_id, type, at, role="agent", actor="u-1", **data):
    return {"id": id, "case": case_id, "type": type, "at": f"2026-03-09T{at}:00+08:00", "actor": actor, "role": role, "data": data}


def window(start, end, day="09"):
    return {"start": f"2026-03-{day}T{start}:00+08:00", "end": f"2026-03-{day}T{end}:00+08:00"}


def engines(data, tmp_path):
    files = (data / "workflows", data / "policies", data / "calendars" / "cn-2026.json")
    yield crmkit.Engine.from_files(*files)
    yield crmkit.Engine.open(tmp_path / "wo.db", *files, durability="off")


def clocks(engine, case):
    return {c["name"]: c for c in engine.case(case).clocks}


def test_a_work_order_from_receipt_to_callback(data, tmp_path):
    for e in engines(data, tmp_path):
        e.apply(ev("r", "W-1", "receive", "09:00", workflow="work_order", customer="K-1", tier="gold", kind="fault_repair",
                   product="broadband"))
        e.apply(ev("d", "W-1", "dispatch", "09:05", department="team-east", owner="t-7"))
        e.apply(ev("a", "W-1", "appoint", "09:20", "technician", "t-7", **window("14:00", "16:00")))
        k = clocks(e, "W-1")
        assert k["confirm"]["due"] == "2026-03-09T04:00:00Z"
        assert k["pre_visit_notice"]["due"] == "2026-03-09T05:30:00Z"
        assert k["arrival"]["due"] == "2026-03-09T06:00:00Z"
        # Gold: broadband fault repair in 24 h x 0.75 = 18 elapsed hours.
        assert k["repair"]["kind"] == "elapsed" and k["repair"]["target_seconds"] == 18 * 3600
        e.apply(ev("s", "W-1", "reschedule", "10:00", by="company", reason="technician delayed", **window("15:00", "17:00")))
        assert clocks(e, "W-1")["arrival"]["due"] == "2026-03-09T07:00:00Z"
        for id, type, at in (("c", "confirm", "11:00"), ("n", "notify", "14:25"), ("v", "arrive", "14:55")):
            e.apply(ev(id, "W-1", type, at, "technician", "t-7"))
        assert e.apply(ev("f", "W-1", "complete", "15:30", "technician", "t-7", result="modem replaced"))["to"] == "completed"
        # A gold customer gets a manual callback.
        with pytest.raises(crmkit.InvalidState, match="manual callback is required"):
            e.apply(ev("b", "W-1", "callback", "16:00", actor="ivr", outcome="satisfied"))
        assert e.apply(ev("b", "W-1", "callback", "16:00", outcome="satisfied", manual=True))["to"] == "closed"
        k = clocks(e, "W-1")
        assert not any(k[name]["breached"] for name in ("confirm", "pre_visit_notice", "arrival", "repair"))
        trail = [x for x in e.case("W-1").events if x["type"] == "reschedule"]
        assert [(x["data"]["by"], x["data"]["reason"], x["at"]) for x in trail] == [("company", "technician delayed", "2026-03-09T10:00:00+08:00")]
        report = e.kpi()
        assert report["overall"]["appointments"]["reschedules_by_company"] == 1
        assert report["overall"]["appointments"]["first_visit_fix"]["value"] == 1
        assert {c["clock"]: c["on_time"]["value"] for c in report["overall"]["clocks"]}["arrival"] == 1
        assert [m["key"] for m in report["by_owner"]] == ["t-7"]
        assert [m["key"] for m in report["by_field"]["product"]] == ["broadband"]
        e.close()


def test_refusals_change_nothing_and_links_record_on_both_cases(data, tmp_path):
    for e in engines(data, tmp_path):
        e.apply(ev("r", "W-1", "receive", "09:00", workflow="work_order", customer="K-1", kind="installation", product="tv"))
        e.apply(ev("d", "W-1", "dispatch", "09:05", department="team-west", owner="t-3"))
        e.apply(ev("a", "W-1", "appoint", "09:20", **window("14:00", "16:00")))
        e.apply(ev("r2", "W-2", "receive", "09:30", workflow="work_order", customer="K-2", kind="move", product="tv"))
        e.apply(ev("k", "C-1", "receive", "09:40", channel="phone", category="installation", severity="normal", customer="K-1"))
        before = e.case("W-1", personal_data_role="director").to_dict()
        stats, position = e.stats(), e.journal_position
        for bad, error, match in (
                (ev("x", "W-1", "reschedule", "10:00", by="customer", reason="r", **window("14:00", "16:00")), crmkit.InvalidArgument,
                 "the one agreed already"),
                (ev("x", "W-1", "reschedule", "10:00", by="neighbour", reason="r", **window("15:00", "16:00")), crmkit.InvalidArgument,
                 "data.by 'neighbour'"),
                (ev("x", "W-1", "appoint", "10:00", **window("15:00", "16:00")), crmkit.InvalidState, "not allowed in state 'appointed'"),
                (ev("x", "W-1", "join", "10:00", order="W-2"), crmkit.InvalidArgument, "customer 'K-2''s"),
                (ev("x", "W-1", "link", "10:00", case="W-2"), crmkit.InvalidArgument, "under this workflow 'work_order' too"),
                (ev("x", "W-1", "not_at_home", "10:00", "technician", "t-3", notice="card"), crmkit.InvalidState, "not allowed in state"),
                (ev("x", "W-1", "update", "10:00", start="2026-03-09T18:00:00+08:00"), crmkit.InvalidArgument, "data.start: the visit window")):
            with pytest.raises(error, match=match):
                e.apply(bad)
            assert e.case("W-1", personal_data_role="director").to_dict() == before
            assert e.stats() == stats and e.journal_position == position
        assert e.apply(ev("l", "C-1", "link", "10:30", case="W-1"))["covered"] == ["W-1"]
        assert [x["data"]["case"] for x in e.case("W-1").events if x["type"] == "link"] == ["C-1"]
        assert e.case("W-1").links == ["C-1"] and e.case("C-1").links == ["W-1"] and e.case("W-2").links == []
        e.close()
