import datetime as dt

import pytest

import crmkit


@pytest.fixture
def policy(data):
    with crmkit.Calendar.from_file(data / "calendars" / "cn-2026.json") as cal:
        p = crmkit.Policy.from_file(data / "policies" / "default.json", cal)
    yield p  # the policy keeps its own copy of the calendar
    p.close()


def test_targets(policy):
    assert policy.clocks() == ["callback", "callback_goal", "contact_after_dispatch", "corrective_action", "crisis_report", "first_response", "progress_update", "promised_contact", "reply", "resolution"]
    t = policy.target("first_response", {"channel": "phone", "tier": "gold"})
    assert t["duration_seconds"] == 5400
    assert t["kind"] == "business"
    assert "tier gold" in t["rule"]
    assert policy.target("resolution", {"severity": "critical"})["escalate_to"] == 2
    with pytest.raises(crmkit.NotFound):
        policy.target("nope")


def test_clock_lifecycle_and_sweep(policy):
    with crmkit.Clocks() as clocks:
        c = clocks.create(policy, "first_response", {"channel": "phone"})
        clocks.start(c, "2026-03-09T11:00:00+08:00")
        st = clocks.status(c, "2026-03-09T12:00:00+08:00")
        assert st.state == "running" and st.elapsed_seconds == 3600
        assert st.due == dt.datetime(2026, 3, 9, 6, 30, tzinfo=dt.timezone.utc)
        events = clocks.sweep("2026-03-10T00:00:00+08:00")
        assert [e.kind for e in events] == ["warning"] * 3 + ["breach"]
        assert events[0].at == dt.datetime(2026, 3, 9, 4, 0, tzinfo=dt.timezone.utc)
        assert clocks.sweep("2026-03-11T00:00:00+08:00") == []
        assert len(clocks) == 1 and clocks.memory_bytes() > 0
        with pytest.raises(crmkit.InvalidState):
            clocks.resume(c, "2026-03-10T00:00:00+08:00")
        with pytest.raises(crmkit.InvalidArgument, match="before its last change"):
            clocks.pause(c, "2026-03-01T00:00:00+08:00")


def test_many_events_come_back_in_order(policy):
    clocks = crmkit.Clocks()
    ids = [clocks.create(policy, "first_response", {"channel": "phone"}) for _ in range(200)]
    for k, c in enumerate(ids):
        clocks.start(c, 1772960400 + k * 60)
    events = clocks.sweep(1772960400 + 10 * 86400)
    assert len(events) == 800
    assert [e.at for e in events] == sorted(e.at for e in events)
    clocks.close()
    with pytest.raises(crmkit.InvalidState):
        clocks.sweep(0)


def test_bad_policy(data):
    cal = crmkit.Calendar.always_open()
    with pytest.raises(crmkit.InvalidArgument, match="policy.clocks.a.target"):
        crmkit.Policy.from_json({"clocks": {"a": {"target": 0}}}, cal)
    with pytest.raises(crmkit.ParseError):
        crmkit.Policy.from_json("{", cal)


def test_three_kinds_of_target(data):
    with crmkit.Calendar.from_file(data / "calendars" / "cn-2026.json") as cal:
        p = crmkit.Policy.from_json(
            '{"clocks": {"reply": {"kind": "elapsed", "target": "24h"},'
            ' "notice": {"kind": "instant", "field": "visit_at", "offset": "-30m"}}}', cal)
    assert p.target("reply")["kind"] == "elapsed"
    t = p.target("notice")
    assert (t["kind"], t["due_field"], t["due_offset_seconds"]) == ("instant", "visit_at", -1800)
    with crmkit.Clocks() as clocks:
        # Friday 19:00: 24 elapsed hours are Saturday 19:00, nights and the weekend included.
        r = clocks.create(p, "reply")
        clocks.start(r, "2026-03-13T19:00:00+08:00")
        assert clocks.status(r, "2026-03-13T19:00:00+08:00").due == dt.datetime(2026, 3, 14, 11, 0, tzinfo=dt.timezone.utc)
        with pytest.raises(crmkit.InvalidArgument):
            clocks.create(p, "notice", {"fields": {}})
        n = clocks.create(p, "notice", {"fields": {"visit_at": "2026-03-14T10:00:00+08:00"}})
        clocks.start(n, "2026-03-13T19:00:00+08:00")
        assert clocks.status(n, "2026-03-13T20:00:00+08:00").due == dt.datetime(2026, 3, 14, 1, 30, tzinfo=dt.timezone.utc)
        with pytest.raises(crmkit.InvalidState):
            clocks.pause(n, "2026-03-13T20:00:00+08:00")
    p.close()
