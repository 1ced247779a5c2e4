"""Recurring holiday rules and iCalendar import through the Python bindings."""
import datetime as dt
import json
import os

import pytest

import crmkit
from crmkit import Calendar

ROOT = os.environ.get("CRMKIT_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DATA = os.path.join(ROOT, "data", "calendars")
ICS = os.path.join(ROOT, "tests", "fixtures", "company-holidays.ics")


def test_us_federal_rules_as_opm_publishes_them():
    with Calendar.from_file(os.path.join(DATA, "us-federal.json")) as us:
        h = us.holidays(2021)
        assert [d.isoformat() for d, _ in h] == [
            "2021-01-01", "2021-01-18", "2021-02-15", "2021-05-31", "2021-06-18", "2021-07-05",
            "2021-09-06", "2021-10-11", "2021-11-11", "2021-11-25", "2021-12-24", "2021-12-31"]
        assert h[4] == (dt.date(2021, 6, 18), "Juneteenth National Independence Day")
        # Wednesday before Thanksgiving 16:00 EST + 3 business hours = Friday 11:00 EST.
        due = us.add("2026-11-25T16:00:00-05:00", 3 * 3600)
        assert due == dt.datetime(2026, 11, 27, 16, 0, tzinfo=dt.timezone.utc)
        assert len(us.holidays(2020, 2029)) == 11 * 10 - 1  # Juneteenth from 2021
        with pytest.raises(crmkit.InvalidArgument, match="2027..2026"):
            us.holidays(2027, 2026)
        with pytest.raises(crmkit.InvalidArgument, match="year"):
            us.holidays(2 ** 40)


def test_rules_in_a_dict_and_round_trip():
    spec = {"zone": "Europe/London", "week": {d: [["09:00", "17:30"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            "rules": [{"name": "Good Friday", "easter": -2}, {"name": "Boxing Day", "date": "12-26", "observed": "next_weekday"}]}
    with Calendar.from_json(spec) as c:
        assert c.holidays(2026) == [(dt.date(2026, 4, 3), "Good Friday"), (dt.date(2026, 12, 28), "Boxing Day")]
        assert json.loads(c.to_json())["rules"][1] == {"name": "Boxing Day", "date": "12-26", "observed": "next_weekday"}
    with pytest.raises(crmkit.InvalidArgument, match=r"calendar.rules\[0\].nth"):
        Calendar.from_json({"zone": "UTC", "rules": [{"name": "x", "month": 1, "weekday": "mon", "nth": 5}]})


def test_ics_import_from_path_text_and_bytes():
    with Calendar.from_json({"zone": "America/New_York", "week": {"mon": [["09:00", "17:00"]]}}) as base:
        with pytest.raises(crmkit.InvalidArgument, match="Team offsite"):
            Calendar.from_ics(ICS, base)
        with open(ICS, "rb") as fh:
            raw = fh.read()
        for source in (ICS, raw, raw.decode("utf-8")):
            with Calendar.from_ics(source, base, skip_timed=True) as cal:
                assert cal.import_report["rules"] == 5 and cal.import_report["holidays"] == 8
                assert len(cal.import_report["skipped"]) == 1
                assert (dt.date(2026, 11, 27), "Thanksgiving Day and the day after") in cal.holidays(2026)
        assert base.holidays(2026) == []  # the base is unchanged
        with pytest.raises(TypeError, match="base"):
            Calendar.from_ics(ICS, "base.json")
        with pytest.raises(crmkit.ParseError, match="ics"):
            Calendar.from_ics(b"BEGIN:nothing", base)
