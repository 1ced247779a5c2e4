# Python: a work order rescheduled by the customer; the appointment clocks move with the window.
import sys

import crmkit

data = sys.argv[1] if len(sys.argv) > 1 else "data"
engine = crmkit.Engine.from_files(f"{data}/workflows/work-order.json", f"{data}/policies/work-order.json",
                                  f"{data}/calendars/cn-2026.json")


def event(n, type_, at, actor="u-1", role="agent", **data):
    return {"id": f"w{n}", "case": "W-8", "type": type_, "at": f"2026-03-09T{at}:00+08:00", "actor": actor, "role": role, "data": data}


engine.apply(event(1, "receive", "09:00", customer="K-7", tier="basic", kind="installation", product="tv"))
engine.apply(event(2, "dispatch", "09:05", department="team-west", owner="t-3"))
engine.apply(event(3, "appoint", "09:20", "t-3", "technician", start="2026-03-10T10:00:00+08:00", end="2026-03-10T12:00:00+08:00"))
engine.apply(event(4, "reschedule", "11:00", start="2026-03-11T14:00:00+08:00", end="2026-03-11T16:00:00+08:00",
                   by="customer", reason="at work on Tuesday"))
for clock in engine.case("W-8").clocks:
    print(clock["name"], clock["state"], clock.get("due"))  # arrival due 2026-03-11T06:00:00Z, confirm 04:00Z
