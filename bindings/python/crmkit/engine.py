"""The complaint workflow engine: apply events, sweep SLA clocks, query cases, KPIs."""
from __future__ import annotations

import ctypes as _c
import json as _json
import os
from typing import Any, Dict, Iterable, List, Optional, Union

from ._lib import Handle, InvalidArgument, ParseError, c_int, check, declare, encode, take_string, to_unix

_P = _c.c_void_p
_size = _c.c_size_t

_from_json = declare("crmkit_engine_from_json", _c.c_char_p, _c.c_char_p, _c.c_char_p, _c.POINTER(_P))
_from_files = declare("crmkit_engine_from_files", _c.c_char_p, _c.c_char_p, _c.c_char_p, _c.POINTER(_P))
_free = declare("crmkit_engine_free", _P, restype=None)
_apply = declare("crmkit_engine_apply", _P, _c.c_char_p, _c.POINTER(_P))
_sweep = declare("crmkit_engine_sweep", _P, _c.c_int64, _c.POINTER(_P), _c.POINTER(_size))
_get_case = declare("crmkit_engine_get_case", _P, _c.c_char_p, _c.POINTER(_P))
_get_case_ext = declare("crmkit_engine_get_case_ext", _P, _c.c_char_p, _c.c_char_p, _c.POINTER(_P))
_find = declare("crmkit_engine_find", _P, _c.c_char_p, _c.POINTER(_P))
_due_before = declare("crmkit_engine_due_before", _P, _c.c_int64, _c.POINTER(_P))
_kpi = declare("crmkit_engine_kpi", _P, _c.c_char_p, _c.POINTER(_P))
_stats = declare("crmkit_engine_stats", _P, _c.POINTER(_size), _c.POINTER(_size), _c.POINTER(_size))
_open = declare("crmkit_engine_open", _c.c_char_p, _c.c_char_p, _c.c_char_p, _c.c_char_p, _c.c_char_p, _c.POINTER(_P))
_set_options = declare("crmkit_engine_set_options", _P, _c.c_char_p)
_journal_position = declare("crmkit_engine_journal_position", _P, _c.POINTER(_c.c_int64))
_snapshot = declare("crmkit_engine_snapshot", _P)
_apply_batch = declare("crmkit_engine_apply_batch", _P, _c.c_char_p, _c.POINTER(_size), _c.POINTER(_P))
_due = declare("crmkit_engine_due", _P, _c.c_char_p, _c.POINTER(_P))
_add_workflow = declare("crmkit_engine_add_workflow", _P, _c.c_char_p, _c.c_char_p)
_workflows = declare("crmkit_engine_workflows", _P, _c.POINTER(_P))


def _text(spec: Union[str, dict]) -> bytes:
    return (spec if isinstance(spec, str) else _json.dumps(spec)).encode("utf-8")


def _json_or_file(spec: Union[str, dict, os.PathLike]) -> bytes:
    """JSON text or a dict as it is; a path (os.PathLike, or a str not starting with '{') read."""
    if isinstance(spec, dict):
        return _json.dumps(spec).encode("utf-8")
    if isinstance(spec, os.PathLike) or (isinstance(spec, str) and not spec.lstrip().startswith("{")):
        with open(spec, "rb") as f:
            return f.read()
    if isinstance(spec, str):
        return spec.encode("utf-8")
    raise InvalidArgument(f"expected JSON text, a dict or a path, got {type(spec).__name__}")


class Case:
    """A case as the engine sees it: attribute access to the case JSON (id, state, owner,
    department, escalation_level, clocks, satisfaction, reopen_count, repeat_of, ...); `events`
    is the audit trail. Each of `clocks` is a dict with name, instance, state, kind ("business",
    "elapsed" or "instant"), due, goal (a goal clock: breached means the aim was missed, a
    warning), breached, elapsed_seconds, paused_seconds (None: unknown),
    target_seconds, rule and retargets (each reclassification or moved due, with its reason)."""

    def __init__(self, data: dict):
        self._data = data

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    @property
    def events(self) -> List[dict]:
        return self._data.get("events", [])

    def to_dict(self) -> dict:
        return dict(self._data)

    def __repr__(self) -> str:
        return f"Case({self._data.get('id')!r}, state={self._data.get('state')!r})"


class Engine(Handle):
    """A complaint workflow engine (thread-safe).

    >>> engine = Engine.from_files("data/workflows/default.json", "data/policies/default.json",
    ...                            "data/calendars/cn-2026.json")
    >>> engine.apply({"id": "e-1", "case": "C-1", "type": "receive", ...})
    """

    _free = _free

    @classmethod
    def from_files(cls, workflow: Union[str, os.PathLike], policy: Union[str, os.PathLike],
                   calendar: Union[str, os.PathLike]) -> "Engine":
        """`workflow` may be a folder of workflows (every *.json, in file-name order; the first is
        the default) and `policy` one policy for all or a folder with one per workflow file name."""
        p = _P()
        check(_from_files(encode(workflow), encode(policy), encode(calendar), _c.byref(p)))
        return cls(p)

    @classmethod
    def from_json(cls, workflow: Union[str, dict], policy: Union[str, dict], calendar: Union[str, dict]) -> "Engine":
        p = _P()
        check(_from_json(_text(workflow), _text(policy), _text(calendar), _c.byref(p)))
        return cls(p)

    @classmethod
    def open(cls, db: Union[str, os.PathLike], workflow: Union[str, os.PathLike], policy: Union[str, os.PathLike],
             calendar: Union[str, os.PathLike], *, durability: str = "full", snapshot_every: int = 100000,
             keep_snapshots: int = 2, expect_seq: Optional[int] = None, sweep_before_apply: bool = False) -> "Engine":
        """The same engine on the durable store at `db` (created if missing, recovered if not):
        every event `apply` acknowledges is on disk first. `snapshot_every`: journal records
        between automatic snapshots (0: only `snapshot()`); a snapshot also waits until the
        journal has grown by the last snapshot's size. `expect_seq`: the journal position last
        seen (`journal_position`); opening fails if the journal ends before it."""
        options: Dict[str, Any] = {"durability": durability, "snapshot_every": snapshot_every,
                                   "keep_snapshots": keep_snapshots, "sweep_before_apply": sweep_before_apply}
        if expect_seq is not None:
            options["expect_seq"] = expect_seq
        p = _P()
        check(_open(encode(db), encode(workflow), encode(policy), encode(calendar),
                    _json.dumps(options).encode("utf-8"), _c.byref(p)))
        return cls(p)

    def add_workflow(self, workflow: Union[str, dict, os.PathLike], policy: Union[str, dict, os.PathLike]) -> None:
        """Loads another workflow version with its policy (JSON text, a dict, or a path to a
        .json file): a new workflow, or another version of a loaded one. Receives name it in
        data["workflow"]; each case keeps the version it was received under."""
        check(_add_workflow(self._h(), _json_or_file(workflow), _json_or_file(policy)))

    def workflows(self) -> List[dict]:
        """The loaded workflow versions: [{"name", "version", "default"}] in load order."""
        out = _P()
        check(_workflows(self._h(), _c.byref(out)))
        return _json.loads(take_string(out))

    def set_options(self, *, sweep_before_apply: bool) -> None:
        """With sweep_before_apply, each accepted event first sweeps the clocks to its time."""
        check(_set_options(self._h(), _json.dumps({"sweep_before_apply": sweep_before_apply}).encode("utf-8")))

    @property
    def journal_position(self) -> int:
        """The journal position of the last record written (0 in memory)."""
        seq = _c.c_int64()
        check(_journal_position(self._h(), _c.byref(seq)))
        return seq.value

    def snapshot(self) -> None:
        """Writes a snapshot to the store now (durable engines)."""
        check(_snapshot(self._h()))

    def apply_batch(self, events: Iterable[Union[str, dict]]) -> dict:
        """Applies many events (one journal transaction on a store); refused ones are listed:
        {"applied", "duplicates", "rejected": [{"line", "code", "error"}]}."""
        lines = []
        for e in events:
            text = e if isinstance(e, str) else _json.dumps(e)
            if "\n" in text:
                raise ValueError("an event's JSON must be on one line")
            lines.append(text)
        out = _P()
        check(_apply_batch(self._h(), "\n".join(lines).encode("utf-8"), None, _c.byref(out)))
        return _json.loads(take_string(out))

    def apply(self, event: Union[str, dict]) -> dict:
        """Applies one event; returns what changed. Raises the library's error (nothing changed)."""
        out = _P()
        check(_apply(self._h(), _text(event), _c.byref(out)))
        return _json.loads(take_string(out))

    def apply_many(self, events: Iterable[Union[str, dict]]) -> List[dict]:
        return [self.apply(e) for e in events]

    def sweep(self, now) -> List[dict]:
        """Fires SLA warnings and breaches up to `now` (int seconds, aware datetime or RFC 3339)."""
        out = _P()
        check(_sweep(self._h(), to_unix(now), _c.byref(out), None))
        return _json.loads(take_string(out))

    def case(self, case_id: str, *, personal_data_role: Optional[str] = None, as_of=None,
             events: bool = True) -> Case:
        """The case with its clocks, declared fields (`fields`) and audit trail. Personal data is
        masked unless `personal_data_role` is one of the workflow's personal_data_roles (another
        role raises PermissionDenied); `as_of` (int seconds, aware datetime or RFC 3339) gives the
        clocks at that instant; events=False leaves the audit trail out."""
        if not isinstance(case_id, str):
            raise InvalidArgument(f"case: case_id must be a str, got {type(case_id).__name__}")
        options: Dict[str, Any] = {}
        if personal_data_role is not None:
            if not isinstance(personal_data_role, str):
                raise InvalidArgument("case: personal_data_role must be a str")
            options["personal_data_role"] = personal_data_role
        if as_of is not None:
            options["as_of"] = to_unix(as_of)
        if not isinstance(events, bool):
            raise InvalidArgument("case: events must be True or False")
        if not events:
            options["events"] = False
        out = _P()
        check(_get_case_ext(self._h(), case_id.encode("utf-8"), _json.dumps(options).encode("utf-8"), _c.byref(out)))
        return Case(_json.loads(take_string(out)))

    def find(self, *, state: Optional[str] = None, owner: Optional[str] = None, department: Optional[str] = None,
             customer: Optional[str] = None, escalation_level: Optional[int] = None,
             min_escalation_level: Optional[int] = None, limit: Optional[int] = None) -> List[str]:
        """Ids of the cases matching every given filter, in order of receipt (no filter: all).
        An unknown keyword is a TypeError (a typo never widens the query to every case); a bad
        value (a state the workflow does not have, a level outside 0..15, a negative limit) is
        InvalidArgument naming the parameter."""
        query: Dict[str, Any] = {}
        for key, v in (("state", state), ("owner", owner), ("department", department), ("customer", customer)):
            if v is not None:
                if not isinstance(v, str):
                    raise InvalidArgument(f"find: {key} must be a str, got {type(v).__name__}")
                query[key] = v
        for key, v in (("escalation_level", escalation_level), ("min_escalation_level", min_escalation_level),
                       ("limit", limit)):
            if v is not None:
                query[key] = c_int(v, _c.c_int64, f"find: {key}")
        out = _P()
        check(_find(self._h(), _json.dumps(query).encode("utf-8"), _c.byref(out)))
        return _json.loads(take_string(out))

    def due(self, before, limit: int = 1000, after: Optional[dict] = None) -> List[dict]:
        """A page of running clocks due before `before`, in (due, case, clock) order; pass the
        last item as `after` for the next page."""
        query: Dict[str, Any] = {"before": to_unix(before), "limit": limit}
        if after is not None:
            query["after"] = after
        out = _P()
        check(_due(self._h(), _json.dumps(query).encode("utf-8"), _c.byref(out)))
        return _json.loads(take_string(out))

    def due_before(self, t) -> List[dict]:
        """Every running clock due before `t`, earliest first (no limit: see `due`)."""
        out = _P()
        check(_due_before(self._h(), to_unix(t), _c.byref(out)))
        return _json.loads(take_string(out))

    def kpi(self, *, since=None, until=None, as_of=None, top_reasons: Optional[int] = None,
            targets: Optional[Dict[str, str]] = None, **legacy) -> dict:
        """The KPI report. since / until: the period of receipt (the C API's "from" / "to");
        as_of: the report's reference time; each an int of Unix seconds, an aware datetime or an
        RFC 3339 str. top_reasons: how many complaint reasons to list (0..1000). targets:
        {measure: ">0.95" | ">=1" | "maximise" | "minimise"} overriding the policy's kpi_targets
        (the report's "targets" lists the measures). The C API's own names ``to`` and
        ``**{"from": ...}`` are still accepted; any other keyword is a TypeError, a bad value
        InvalidArgument naming the parameter."""
        if "from" in legacy:
            if since is not None:
                raise TypeError("kpi() got both 'since' and 'from'")
            since = legacy.pop("from")
        if "to" in legacy:
            if until is not None:
                raise TypeError("kpi() got both 'until' and 'to'")
            until = legacy.pop("to")
        if legacy:
            raise TypeError(f"kpi() got an unexpected keyword argument {next(iter(legacy))!r} "
                            "(known: since, until, as_of, top_reasons, targets)")
        options: Dict[str, Any] = {}
        for key, name, v in (("from", "since", since), ("to", "until", until), ("as_of", "as_of", as_of)):
            if v is not None:
                try:
                    options[key] = to_unix(v)
                except (TypeError, InvalidArgument, ParseError) as e:
                    raise InvalidArgument(f"kpi: {name}: {e}") from None
        if top_reasons is not None:
            options["top_reasons"] = c_int(top_reasons, _c.c_int64, "kpi: top_reasons")
        if targets is not None:
            if not isinstance(targets, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in targets.items()):
                raise InvalidArgument("kpi: targets: expected a dict {measure: '>0.95' | '>=1' | 'maximise' | 'minimise'}")
            options["targets"] = targets
        out = _P()
        check(_kpi(self._h(), _json.dumps(options).encode("utf-8") if options else None, _c.byref(out)))
        return _json.loads(take_string(out))

    def stats(self) -> Dict[str, int]:
        cases, events, nbytes = _size(), _size(), _size()
        check(_stats(self._h(), _c.byref(cases), _c.byref(events), _c.byref(nbytes)))
        return {"cases": cases.value, "events": events.value, "bytes": nbytes.value}

    def __len__(self) -> int:
        return self.stats()["cases"]
