import json
import threading

import pytest

import crmkit


@pytest.fixture
def engine(data):
    e = crmkit.Engine.from_files(data / "workflows" / "default.json", data / "policies" / "default.json",
                                 data / "calendars" / "cn-2026.json")
    yield e
    e.close()


def ev(id, case, type, at, role="agent", actor="u-1", **data):
    return {"id": id, "case": case, "type": type, "at": at, "actor": actor, "role": role, "data": data}


def test_a_complaint_from_receipt_to_close(engine):
    r = engine.apply(ev("e1", "C-1", "receive", "2026-03-02T09:00:00+08:00", channel="phone", category="service",
                        severity="normal", customer="K-1"))
    assert r["created"] and r["to"] == "received"
    engine.apply(ev("e2", "C-1", "acknowledge", "2026-03-02T09:30:00+08:00"))
    engine.apply(ev("e3", "C-1", "dispatch", "2026-03-02T09:40:00+08:00", department="billing", owner="u-9"))
    engine.apply(ev("e4", "C-1", "resolve", "2026-03-02T15:00:00+08:00", resolution="refund"))
    r = engine.apply(ev("e5", "C-1", "callback", "2026-03-02T16:00:00+08:00", outcome="very_satisfied"))
    assert r["to"] == "closed"
    assert engine.apply(ev("e5", "C-1", "callback", "2026-03-02T16:00:00+08:00", outcome="very_satisfied"))["duplicate"]
    case = engine.case("C-1")
    assert isinstance(case, crmkit.Case)
    assert case.state == "closed" and case.owner == "u-9" and case.first_owner == "u-1"
    assert case.satisfaction == "very_satisfied"
    assert [e["type"] for e in case.events] == ["receive", "acknowledge", "dispatch", "resolve", "callback"]
    assert engine.find(state="closed") == ["C-1"]
    assert engine.find(department="billing", limit=5) == ["C-1"]
    kpi = engine.kpi()
    assert kpi["overall"]["received"] == 1
    assert engine.stats()["events"] == 5 and len(engine) == 1


def test_refusals_change_nothing(engine):
    engine.apply(ev("e1", "C-1", "receive", "2026-03-02T09:00:00+08:00", channel="web", category="billing",
                    severity="high", customer="K-1"))
    before = engine.case("C-1").to_dict()
    with pytest.raises(crmkit.InvalidState, match="not allowed in state"):
        engine.apply(ev("e2", "C-1", "resolve", "2026-03-02T10:00:00+08:00", resolution="x"))
    with pytest.raises(crmkit.NotFound):
        engine.apply(ev("e3", "C-404", "acknowledge", "2026-03-02T10:00:00+08:00"))
    with pytest.raises(crmkit.PermissionDenied):
        engine.apply(ev("e4", "C-1", "reject", "2026-03-02T10:00:00+08:00", reason="spam"))
    with pytest.raises(crmkit.ParseError):
        engine.apply('{"id": "e5", "case":')
    with pytest.raises(crmkit.Error):
        engine.apply(ev("e6", "C-1", "acknowledge", "2026-03-01T10:00:00+08:00"))  # before the last event
    engine.apply(ev("e7", "C-1", "acknowledge", "2026-03-02T10:00:00+08:00"))
    before = engine.case("C-1").to_dict()
    with pytest.raises(crmkit.InvalidArgument, match="supported range"):  # fuzzer regression: was half-applied
        engine.apply(ev("e8", "C-1", "dispatch", "8259-03-02T10:10:00+08:00", department="billing", owner="u-2"))
    assert engine.case("C-1").to_dict() == before
    with pytest.raises(crmkit.NotFound):
        engine.case("C-404")


def test_sweep_escalates_on_breach(engine):
    engine.apply(ev("e1", "C-1", "receive", "2026-03-02T09:00:00+08:00", channel="phone", category="service",
                    severity="normal", customer="K-1"))
    fired = engine.sweep("2026-03-02T18:00:00+08:00")
    assert [f["kind"] for f in fired if f["clock"] == "first_response"] == ["warning"] * 3 + ["breach"]
    assert engine.case("C-1").escalation_level == 1
    due = engine.due_before("2026-04-01T00:00:00+08:00")  # breached clocks keep running until stopped
    assert [d["clock"] for d in due] == ["first_response", "progress_update", "resolution"]


def test_shipped_quarter_replays_and_threads_share_an_engine(engine, data):
    lines = (data / "complaints" / "quarter-2026q1.jsonl").read_text().splitlines()[:3000]
    errors = []

    def reader():
        for _ in range(50):
            try:
                engine.find(state="closed", limit=3)
                engine.kpi()
            except crmkit.Error as e:  # pragma: no cover
                errors.append(e)

    t = threading.Thread(target=reader)
    t.start()
    for line in lines:
        try:
            engine.apply(line)
        except crmkit.Error:
            pass
    t.join()
    assert not errors
    assert engine.stats()["events"] > 2500


def _quarter(data):
    with open(data / "complaints" / "quarter-2026q1.jsonl", encoding="utf-8") as f:
        return [line for line in f.read().splitlines() if line]


def test_durable_engine_equals_the_in_memory_one(data, tmp_path):
    files = (data / "workflows", data / "policies", data / "calendars" / "cn-2026.json")  # complaints and incidents
    lines = _quarter(data)[:3000]
    memory = crmkit.Engine.from_files(*files)
    memory.set_options(sweep_before_apply=True)
    assert memory.apply_batch(lines)["rejected"] == []
    db = tmp_path / "store.db"
    durable = crmkit.Engine.open(db, *files, durability="off", sweep_before_apply=True)
    assert durable.apply_batch(lines)["applied"] == 3000
    seq = durable.journal_position
    assert seq >= 3000
    ids = memory.find()
    assert ids == durable.find()
    assert all(memory.case(i).to_dict() == durable.case(i).to_dict() for i in ids[:200])
    durable.close()
    reopened = crmkit.Engine.open(db, *files, expect_seq=seq)
    assert reopened.case(ids[7]).to_dict() == memory.case(ids[7]).to_dict()
    reopened.close()
    with pytest.raises(crmkit.Corrupt):
        crmkit.Engine.open(db, *files, expect_seq=seq + 1)


def test_query_typos_and_paged_due_clocks(engine, data):
    engine.apply_batch(_quarter(data)[:6000])
    with pytest.raises(TypeError, match="stat"):  # a typo never widens the query to every case
        engine.find(stat="closed")
    with pytest.raises(crmkit.InvalidArgument):
        engine.find(state="clozed")
    with pytest.raises(TypeError, match="start"):
        engine.kpi(start="2026-01-01T00:00:00Z")
    before = "2026-02-20T00:00:00Z"
    whole = engine.due_before(before)
    assert whole
    pages, after = [], None
    while True:
        page = engine.due(before, limit=5, after=after)
        if not page:
            break
        pages += page
        after = page[-1]
    assert pages == whole


def test_query_parameters_have_python_names_and_bad_values_raise(engine, data):
    engine.apply_batch(_quarter(data)[:3000])
    everything = engine.kpi()
    early = engine.kpi(since="2026-01-01T00:00:00Z", until="2026-01-15T00:00:00Z")
    assert early != everything  # since/until are used, not ignored
    assert engine.kpi(**{"from": "2026-01-01T00:00:00Z", "to": "2026-01-15T00:00:00Z"}) == early  # the C names
    assert engine.kpi(since=1767225600, until="2026-01-15T00:00:00Z") == early
    for bad in ({"since": "yesterday"}, {"until": 2.5}, {"as_of": 2**70}, {"top_reasons": -1},
                {"top_reasons": 2**64}, {"top_reasons": "3"}):
        with pytest.raises(crmkit.InvalidArgument, match=next(iter(bad))):
            engine.kpi(**bad)
    with pytest.raises(TypeError):
        engine.kpi(since="2026-01-01T00:00:00Z", **{"from": "2026-01-01T00:00:00Z"})
    with pytest.raises(TypeError, match="stat"):
        engine.find(stat="closed")
    with pytest.raises(TypeError):
        engine.find("closed")  # filters are keywords only
    for bad in ({"state": 3}, {"escalation_level": 99}, {"min_escalation_level": -1}, {"limit": -1},
                {"limit": 2**64 + 3}, {"owner": ["u-1"]}):
        with pytest.raises(crmkit.InvalidArgument, match=next(iter(bad))):
            engine.find(**bad)
    assert len(engine.find(limit=3)) == 3


def _received_with_personal_data(engine):
    engine.apply(ev("r", "P-1", "receive", "2026-03-02T09:00:00+08:00", channel="phone", category="service",
                    severity="normal", customer="K-1", customer_name="王小明", phone="13812345678",
                    description="call 13812345678", occurred_at="2026-03-01T20:00:00+08:00", product="tv"))
    engine.apply(ev("u", "P-1", "update", "2026-03-02T09:10:00+08:00", justified=True, remedy_sought="refund"))


def test_declared_fields_are_kept_and_personal_data_is_masked(engine):
    _received_with_personal_data(engine)
    masked = engine.case("P-1")
    assert masked.personal_data == "masked"
    assert masked.fields["phone"] == "*******5678" and masked.fields["customer_name"] == "王**"
    assert masked.fields["justified"] is True and masked.fields["product"] == "tv"
    assert masked.description == "call *******5678"
    text = json.dumps(masked.to_dict(), ensure_ascii=False)
    assert "13812345678" not in text and "王小明" not in text
    full = engine.case("P-1", personal_data_role="manager")
    assert full.personal_data == "unmasked" and full.fields["phone"] == "13812345678"
    assert full.events[0]["data"]["customer_name"] == "王小明"
    brief = engine.case("P-1", events=False)
    assert "events" not in brief.to_dict()
    with pytest.raises(crmkit.PermissionDenied, match="personal_data_roles"):
        engine.case("P-1", personal_data_role="agent")
    with pytest.raises(crmkit.InvalidArgument):
        engine.case("P-1", events="no")


def test_undeclared_or_mistyped_fields_are_refused_naming_the_key(engine, tmp_path, data):
    files = (data / "workflows" / "default.json", data / "policies" / "default.json", data / "calendars" / "cn-2026.json")
    durable = crmkit.Engine.open(tmp_path / "s.db", *files, durability="off")
    for e in (engine, durable):
        _received_with_personal_data(e)
        before = e.case("P-1", personal_data_role="director").to_dict()
        stats = e.stats()
        position = e.journal_position
        for bad, key in ((dict(favourite_colour="blue"), "data.favourite_colour"), (dict(justified="yes"), "data.justified"),
                         (dict(product="satellite"), "data.product"), (dict(occurred_at="soon"), "data.occurred_at"),
                         (dict(phone=13812345678), "data.phone")):
            with pytest.raises(crmkit.InvalidArgument, match=key):
                e.apply(ev("x", "P-1", "update", "2026-03-02T10:00:00+08:00", **bad))
            assert e.case("P-1", personal_data_role="director").to_dict() == before
            assert e.stats() == stats and e.journal_position == position
    durable.close()


def test_several_workflows_and_versions_in_one_engine(data, tmp_path):
    engine = crmkit.Engine.from_files(data / "workflows", data / "policies", data / "calendars" / "cn-2026.json")
    assert [w["name"] for w in engine.workflows()] == ["default", "incident", "inquiry", "suggestion", "warranty", "work_order"]
    engine.apply(ev("i1", "I-1", "receive", "2026-03-02T09:00:00+08:00", workflow="inquiry", channel="web",
                    category="billing", customer="K-1"))
    assert engine.case("I-1").workflow == "inquiry"
    v2 = json.loads((data / "workflows" / "default.json").read_text(encoding="utf-8"))
    v2["version"] = 2
    for t in v2["transitions"]:
        if t["event"] == "acknowledge":
            t["required"] = ["reason"]
    engine.apply(ev("a1", "A", "receive", "2026-03-02T09:00:00+08:00", channel="phone", category="service",
                    severity="normal", customer="K-1"))
    engine.add_workflow(v2, data / "policies" / "default.json")
    engine.apply(ev("b1", "B", "receive", "2026-03-02T09:05:00+08:00", channel="phone", category="service",
                    severity="normal", customer="K-1"))
    assert engine.case("A").workflow_version == 1 and engine.case("B").workflow_version == 2
    engine.apply(ev("a2", "A", "acknowledge", "2026-03-02T09:10:00+08:00"))
    with pytest.raises(crmkit.InvalidArgument, match="data.reason"):
        engine.apply(ev("b2", "B", "acknowledge", "2026-03-02T09:10:00+08:00"))
    with pytest.raises(crmkit.Conflict):
        engine.add_workflow(v2, data / "policies" / "default.json")
    with pytest.raises(crmkit.NotFound, match="survey"):
        engine.apply(ev("x", "X", "receive", "2026-03-02T09:00:00+08:00", workflow="survey", channel="web"))
    kpi = engine.kpi()
    assert [m["key"] for m in kpi["by_workflow"]] == ["default", "inquiry"]


def test_reclassify_keeps_elapsed_and_paused_time_and_a_crisis_escalates_at_once(engine):
    # A system complaint: the first reply is 8 elapsed hours (nights count), the resolution clock
    # business hours; waiting for the customer pauses it.
    engine.apply(ev("r", "C-1", "receive", "2026-03-02T09:00:00+08:00", channel="system", category="service",
                    severity="normal", customer="K-1"))
    first = [c for c in engine.case("C-1").clocks if c["name"] == "first_response"][0]
    assert first["kind"] == "elapsed" and first["due"] == "2026-03-02T09:00:00Z"
    engine.apply(ev("a", "C-1", "acknowledge", "2026-03-02T09:10:00+08:00"))
    engine.apply(ev("d", "C-1", "dispatch", "2026-03-02T09:20:00+08:00", department="network", owner="u-9"))
    engine.apply(ev("w", "C-1", "wait_customer", "2026-03-02T11:00:00+08:00", reason="documents requested"))
    engine.apply(ev("s", "C-1", "resume", "2026-03-02T14:00:00+08:00"))
    before = engine.case("C-1").to_dict()
    with pytest.raises(crmkit.PermissionDenied):
        engine.apply(ev("x0", "C-1", "reclassify", "2026-03-02T14:00:00+08:00", severity="high", reason="r"))
    with pytest.raises(crmkit.InvalidArgument, match="reclassify"):
        engine.apply(ev("x1", "C-1", "contact", "2026-03-02T14:00:00+08:00", severity="high"))
    assert engine.case("C-1").to_dict() == before
    r = engine.apply(ev("x", "C-1", "reclassify", "2026-03-02T14:00:00+08:00", role="supervisor", severity="critical",
                        reason="safety risk"))
    assert r["escalation"] == {"before": 0, "after": 2}  # a crisis: at once
    assert {"clock": "crisis_report", "op": "start", "due": "2026-03-02T07:00:00Z"} in r["clocks"]
    res = [c for c in engine.case("C-1").clocks if c["name"] == "resolution"][0]
    # 09:00-11:00 counted (2 h), 11:00-14:00 paused (3 h wall clock); critical: 8 h, 6 h left.
    assert (res["elapsed_seconds"], res["paused_seconds"], res["target_seconds"]) == (7200, 10800, 28800)
    assert res["retargets"][0]["reason"] == "safety risk" and res["retargets"][0]["event"] == "x"
    assert "severity=critical" in res["rule"]


def test_compensation_limits_are_per_case_and_remedies_typed(engine):
    # An agent may grant 200 per case (分级授权): the second 150 waits for a supervisor.
    engine.apply(ev("m1", "M-1", "receive", "2026-03-03T09:00:00+08:00", channel="phone", category="billing",
                    severity="normal", customer="K-8"))
    engine.apply(ev("m2", "M-1", "acknowledge", "2026-03-03T09:10:00+08:00"))
    engine.apply(ev("m3", "M-1", "dispatch", "2026-03-03T09:20:00+08:00", department="billing", owner="u-2"))
    assert engine.apply(ev("m4", "M-1", "compensate", "2026-03-03T10:00:00+08:00", amount=150))["compensation"] == "granted"
    assert engine.apply(ev("m5", "M-1", "compensate", "2026-03-03T10:01:00+08:00", amount=150))["compensation"] == "pending"
    before = engine.case("M-1").to_dict()
    assert before["compensation"] == {"granted": 150.0, "pending": [150.0], "pending_remedies": ["money"]}
    with pytest.raises(crmkit.PermissionDenied, match="may not grant a replace remedy"):
        engine.apply(ev("m6", "M-1", "compensate", "2026-03-03T10:02:00+08:00", remedy="replace"))
    with pytest.raises(crmkit.InvalidArgument, match="data.remedy 'gift'"):
        engine.apply(ev("m7", "M-1", "compensate", "2026-03-03T10:02:00+08:00", remedy="gift", amount=5))
    assert engine.case("M-1").to_dict() == before
    r = engine.apply(ev("m9", "M-1", "compensate", "2026-03-03T10:03:00+08:00", role="supervisor", remedy="repair"))
    assert r["compensation"] == "granted"
    assert engine.apply(ev("m10", "M-1", "approve_compensation", "2026-03-03T10:04:00+08:00", role="supervisor",
                           amount=150))["compensation"] == "approved"
    assert engine.case("M-1").compensation == {"granted": 300.0, "pending": [], "pending_remedies": []}


def test_an_automatic_unsatisfied_callback_owes_a_manual_one(engine):
    engine.apply(ev("k1", "K-1", "receive", "2026-03-03T09:00:00+08:00", channel="phone", category="billing",
                    severity="normal", customer="K-8"))
    engine.apply(ev("k2", "K-1", "acknowledge", "2026-03-03T09:10:00+08:00"))
    engine.apply(ev("k3", "K-1", "dispatch", "2026-03-03T09:20:00+08:00", department="billing", owner="u-2"))
    engine.apply(ev("k4", "K-1", "resolve", "2026-03-03T11:00:00+08:00", resolution="refunded"))
    r = engine.apply(ev("k5", "K-1", "callback", "2026-03-03T12:00:00+08:00", actor="ivr", outcome="unsatisfied", manual=False))
    assert r["to"] == "resolved" and r["manual_callback_required"]
    assert engine.kpi()["overall"]["callbacks_owed"] == 1
    before = engine.case("K-1").to_dict()
    with pytest.raises(crmkit.InvalidState, match="a manual callback is owed"):
        engine.apply(ev("k6", "K-1", "callback", "2026-03-03T12:30:00+08:00", actor="ivr", outcome="satisfied", manual=False))
    with pytest.raises(crmkit.InvalidArgument, match="missing data.reason"):
        engine.apply(ev("k7", "K-1", "callback", "2026-03-03T12:30:00+08:00", outcome="unsatisfied", manual=True))
    assert engine.case("K-1").to_dict() == before
    r = engine.apply(ev("k8", "K-1", "callback", "2026-03-03T13:00:00+08:00", outcome="unsatisfied", manual=True,
                        reason="refund too small"))
    assert r["to"] == "in_progress"
    case = engine.case("K-1")
    assert case.reopen_count == 1 and case.satisfaction == "unsatisfied" and not case.manual_callback_required
    assert engine.kpi()["overall"]["callbacks_owed"] == 0


def test_first_contact_responsibility_and_handover(engine):
    # 首问负责制 (the shipped policy enforces it): the receiver keeps the case until a handover.
    engine.apply(ev("f1", "F-1", "receive", "2026-03-03T09:00:00+08:00", actor="u-1", channel="phone", category="billing",
                    severity="normal", customer="K-9"))
    before = engine.case("F-1").to_dict()
    with pytest.raises(crmkit.PermissionDenied, match="actor 'u-3' is not responsible"):
        engine.apply(ev("f2", "F-1", "acknowledge", "2026-03-03T09:05:00+08:00", actor="u-3"))
    assert engine.case("F-1").to_dict() == before
    r = engine.apply(ev("f3", "F-1", "handover", "2026-03-03T09:10:00+08:00", actor="u-1", to="u-3", reason="end of shift"))
    assert r["outside_responsibility"] is False
    engine.apply(ev("f4", "F-1", "acknowledge", "2026-03-03T09:15:00+08:00", actor="u-3"))
    assert engine.case("F-1").first_owner == "u-3"
    assert engine.kpi()["overall"]["handovers"] == 1


def test_report_back_and_unified_reply(engine):
    engine.apply(ev("g1", "G-1", "receive", "2026-03-03T09:00:00+08:00", channel="phone", category="billing",
                    severity="normal", customer="K-9"))
    engine.apply(ev("g2", "G-1", "acknowledge", "2026-03-03T09:05:00+08:00"))
    engine.apply(ev("g3", "G-1", "dispatch", "2026-03-03T09:10:00+08:00", department="billing", owner="u-2"))
    r = engine.apply(ev("g4", "G-1", "report_back", "2026-03-03T10:00:00+08:00", actor="u-2", result="refunded"))
    assert r["to"] == "reported" and {"clock": "reply", "op": "restart", "due": "2026-03-03T07:30:00Z"} in r["clocks"]  # 10:00-12:00, 13:30-15:30
    with pytest.raises(crmkit.InvalidState, match="not allowed in state 'reported'"):
        engine.apply(ev("g5", "G-1", "resolve", "2026-03-03T10:30:00+08:00", resolution="x"))
    assert engine.apply(ev("g6", "G-1", "reply", "2026-03-03T10:30:00+08:00", resolution="refund sent"))["to"] == "resolved"


def test_one_callback_covers_several_cases_of_one_customer(engine):
    for case in ("H-1", "H-2"):
        engine.apply(ev(case + "r", case, "receive", "2026-03-03T09:00:00+08:00", channel="phone", category="billing",
                        severity="normal", customer="K-5"))
        engine.apply(ev(case + "a", case, "acknowledge", "2026-03-03T09:05:00+08:00"))
        engine.apply(ev(case + "d", case, "dispatch", "2026-03-03T09:10:00+08:00", department="billing", owner="u-2"))
        engine.apply(ev(case + "s", case, "resolve", "2026-03-03T10:00:00+08:00", resolution="refunded"))
    r = engine.apply(ev("cb", "H-1", "callback", "2026-03-03T11:00:00+08:00", outcome="satisfied", manual=True, cases=["H-2"]))
    assert r["covered"] == ["H-2"]
    for case in ("H-1", "H-2"):
        c = engine.case(case)
        assert c.state == "closed"
        assert [e["data"]["cases"] for e in c.events if e["type"] == "callback"] == [["H-1", "H-2"]]
