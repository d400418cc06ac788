"""FaultPlan: what goes wrong, where, and how often, as data.

A plan is loaded from YAML/JSON or set through ``PUT /_sim/faults``. Rules are
matched by middleware and by the delivery engine; behaviour code never checks
for faults. Example::

    seed: 42
    rules:
      - match: {method: POST, path: /v1/subscriptions, nth: [1]}
        fault: commit_then_fail
      - match: {path: "/services/rest/record/v1/invoice*"}
        fault: {outage: {for: 30s}}
      - match: {tenant: "*", probability: 0.1}
        fault: {latency: {p50: 40ms, p99: 400ms}}
    deliveries:
      duplicate: {probability: 0.3, copies: 3, spacing: 50ms}
      reorder: {window: 5}
      delay_events: {"invoice.finalized": 2s}   # this type (glob) always comes late
      drop_first_attempts: 1
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from simulators.engine.faults.durations import parse_duration

FAULT_KINDS = (
    "latency", "error", "rate_limit", "reset", "hang", "commit_then_fail",
    "outage", "concurrency", "quota", "rate",
)

# Hangs are bounded so a forgotten rule cannot pin a server connection forever.
MAX_HANG_SECONDS = 300.0


class PlanError(ValueError):
    """A fault plan that does not parse; the message names the offending field."""


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


@dataclass(frozen=True)
class Latency:
    """Fixed, or log-normal with the given median and 99th percentile."""

    fixed: float | None = None
    p50: float | None = None
    p99: float | None = None

    def sample(self, u: float) -> float:
        if self.fixed is not None:
            return self.fixed
        assert self.p50 is not None
        p99 = self.p99 if self.p99 is not None else self.p50
        if p99 <= self.p50 or self.p50 <= 0:
            return self.p50
        # log-normal: ln X ~ N(mu, sigma); the 99th percentile is mu + 2.3263 sigma.
        mu = math.log(self.p50)
        sigma = (math.log(p99) - mu) / 2.3263478740408408
        u = min(max(u, 1e-12), 1 - 1e-12)
        return math.exp(mu + sigma * _probit(u))


def _probit(p: float) -> float:
    """Inverse of the standard normal CDF (Acklam's rational approximation)."""
    a = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
         1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
    b = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
         6.680131188771972e01, -1.328068155288572e01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
         -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
         3.754408661907416e00)
    lo = 0.02425
    if p < lo:
        q = math.sqrt(-2 * math.log(p))
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    if p > 1 - lo:
        q = math.sqrt(-2 * math.log(1 - p))
        return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    q = p - 0.5
    r = q * q
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (
        ((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)


def _latency(spec: Any, where: str) -> Latency:
    if not isinstance(spec, dict):
        return Latency(fixed=parse_duration(spec, field=where))
    if "fixed" in spec:
        return Latency(fixed=parse_duration(spec["fixed"], field=f"{where}.fixed"))
    if "p50" not in spec:
        raise PlanError(f"{where}: give 'fixed' or 'p50' (and optionally 'p99')")
    p50 = parse_duration(spec["p50"], field=f"{where}.p50")
    p99 = parse_duration(spec["p99"], field=f"{where}.p99") if "p99" in spec else None
    return Latency(p50=p50, p99=p99)


@dataclass(frozen=True)
class Fault:
    """One fault kind and its parameters (all durations in seconds)."""

    kind: str
    latency: Latency | None = None
    status: int = 500
    code: str | None = None
    message: str | None = None
    retry_after: float = 1.0
    duration: float | None = None  # outage/hang length; None = until cleared
    start: float = 0.0  # outage start, seconds after the plan was installed
    mode: str = "reset"  # commit_then_fail / outage: reset | 502 | 503 ...
    limit: int = 0  # concurrency limit, daily quota, or rate per second
    burst: int = 0

    @classmethod
    def parse(cls, spec: Any, where: str) -> Fault:
        params: dict[str, Any]
        if isinstance(spec, str):
            kind, params = spec, {}
        elif isinstance(spec, dict) and len(spec) == 1:
            kind, raw = next(iter(spec.items()))
            params = raw if isinstance(raw, dict) else {"value": raw}
        else:
            raise PlanError(f"{where}: a fault is a kind name or a one-key mapping")
        if kind not in FAULT_KINDS:
            raise PlanError(f"{where}: unknown fault kind {kind!r}; "
                            f"one of {', '.join(FAULT_KINDS)}")
        w = f"{where}.{kind}"
        try:
            if kind == "latency":
                value = params.get("value", params)
                return cls(kind, latency=_latency(value, w))
            if kind == "error":
                status = int(params.get("status", params.get("value", 500)))
                if not 400 <= status <= 599:
                    raise PlanError(f"{w}.status: must be a 4xx or 5xx status")
                return cls(kind, status=status, code=params.get("code"),
                           message=params.get("message"))
            if kind == "rate_limit":
                return cls(kind, status=429, code=params.get("code"), retry_after=parse_duration(
                    params.get("retry_after", 1), field=f"{w}.retry_after"))
            if kind in ("reset",):
                return cls(kind)
            if kind == "hang":
                secs = parse_duration(params.get("for", params.get("value", 30)), field=f"{w}.for")
                return cls(kind, duration=min(secs, MAX_HANG_SECONDS))
            if kind == "commit_then_fail":
                mode = str(params.get("mode", params.get("value", "reset")))
                if mode not in ("reset", "500", "502", "503", "504"):
                    raise PlanError(f"{w}.mode: one of reset, 500, 502, 503, 504")
                return cls(kind, mode=mode)
            if kind == "outage":
                dur = params.get("for")
                return cls(kind,
                           duration=None if dur is None else parse_duration(dur, field=f"{w}.for"),
                           start=parse_duration(params.get("start", 0), field=f"{w}.start"),
                           status=int(params.get("status", 503)),
                           mode=str(params.get("mode", "error")),
                           retry_after=parse_duration(params.get("retry_after", 0),
                                                      field=f"{w}.retry_after"))
            if kind == "concurrency":
                return cls(kind, limit=int(params.get("limit", params.get("value", 1))))
            if kind == "quota":
                return cls(kind, limit=int(params.get("daily", params.get("value", 1000))))
            if kind == "rate":
                per_second = int(params.get("per_second", params.get("value", 25)))
                return cls(kind, limit=per_second, burst=int(params.get("burst", per_second)))
        except (TypeError, ValueError) as exc:
            if isinstance(exc, PlanError):
                raise
            raise PlanError(f"{w}: {exc}") from exc
        raise AssertionError(kind)  # pragma: no cover

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.latency:
            out["latency"] = {k: v for k, v in vars(self.latency).items() if v is not None}
        for name in ("status", "code", "message", "retry_after", "duration", "start", "mode",
                     "limit", "burst"):
            out[name] = getattr(self, name)
        return out


@dataclass(frozen=True)
class Match:
    simulator: str = "*"
    tenant: str = "*"
    methods: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    nth: tuple[int, ...] = ()
    every: int = 0
    first: int = 0
    after: int = 0
    probability: float | None = None

    @classmethod
    def parse(cls, spec: Any, where: str) -> Match:
        if spec is None:
            return cls()
        if not isinstance(spec, dict):
            raise PlanError(f"{where}: match must be a mapping")
        known = {"simulator", "tenant", "method", "path", "nth", "every", "first", "after",
                 "probability"}
        unknown = set(spec) - known
        if unknown:
            raise PlanError(f"{where}: unknown match field(s) {sorted(unknown)}")
        prob = spec.get("probability")
        if prob is not None and not 0 <= float(prob) <= 1:
            raise PlanError(f"{where}.probability: must be between 0 and 1")
        try:
            return cls(
                simulator=str(spec.get("simulator", "*")),
                tenant=str(spec.get("tenant", "*")),
                methods=tuple(str(m).upper() for m in _as_list(spec.get("method"))),
                paths=tuple(str(p) for p in _as_list(spec.get("path"))),
                nth=tuple(int(n) for n in _as_list(spec.get("nth"))),
                every=int(spec.get("every", 0)),
                first=int(spec.get("first", 0)),
                after=int(spec.get("after", 0)),
                probability=None if prob is None else float(prob),
            )
        except (TypeError, ValueError) as exc:
            raise PlanError(f"{where}: {exc}") from exc

    def matches_request(self, simulator: str, tenant: str, method: str, path: str) -> bool:
        if self.simulator != "*" and self.simulator != simulator:
            return False
        if self.tenant != "*" and not fnmatch.fnmatchcase(tenant, self.tenant):
            return False
        if self.methods and method not in self.methods:
            return False
        return not self.paths or any(fnmatch.fnmatchcase(path, p) for p in self.paths)

    def selects(self, ordinal: int, u: float) -> bool:
        """Whether the ordinal-th matching request (1-based) is hit; ``u`` is its seeded draw."""
        if self.nth and ordinal not in self.nth:
            return False
        if self.every and ordinal % self.every != 0:
            return False
        if self.first and ordinal > self.first:
            return False
        if self.after and ordinal <= self.after:
            return False
        return self.probability is None or u < self.probability

    def to_json(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(self).items()}


@dataclass(frozen=True)
class Rule:
    name: str
    match: Match
    fault: Fault

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "match": self.match.to_json(), "fault": self.fault.to_json()}


@dataclass(frozen=True)
class DeliveryFaults:
    """What the webhook delivery engine does wrong on purpose."""

    duplicate_probability: float = 0.0
    duplicate_copies: int = 1
    duplicate_spacing: float = 0.0
    reorder_window: int = 0
    delay: Latency | None = None
    drop_first_attempts: int = 0
    hold_for: float | None = None  # hold everything, then burst
    hold_start: float = 0.0
    # (event type glob, seconds): events of a matching type are sent that much
    # later than the others, so an order that is only likely becomes certain.
    delay_events: tuple[tuple[str, float], ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.duplicate_probability or self.reorder_window or self.delay
                    or self.drop_first_attempts or self.hold_for is not None
                    or self.delay_events)

    def event_delay(self, event_type: str) -> float:
        """Extra seconds before events of this type are sent (the first matching glob)."""
        for pattern, seconds in self.delay_events:
            if fnmatch.fnmatchcase(event_type, pattern):
                return seconds
        return 0.0

    @classmethod
    def parse(cls, spec: Any, where: str = "deliveries") -> DeliveryFaults:
        if spec is None:
            return cls()
        if not isinstance(spec, dict):
            raise PlanError(f"{where}: must be a mapping")
        known = {"duplicate", "reorder", "delay", "drop_first_attempts", "hold",
                 "delay_events"}
        unknown = set(spec) - known
        if unknown:
            raise PlanError(f"{where}: unknown field(s) {sorted(unknown)}")
        try:
            dup = spec.get("duplicate") or {}
            prob = float(dup.get("probability", 1.0 if dup else 0.0))
            if not 0 <= prob <= 1:
                raise PlanError(f"{where}.duplicate.probability: must be between 0 and 1")
            copies = int(dup.get("copies", 2))
            if copies < 1 or copies > 20:
                raise PlanError(f"{where}.duplicate.copies: between 1 and 20")
            reorder = spec.get("reorder") or {}
            hold = spec.get("hold")
            late = spec.get("delay_events") or {}
            if not isinstance(late, dict):
                raise PlanError(f"{where}.delay_events: must map event types to durations")
            return cls(
                duplicate_probability=prob,
                duplicate_copies=copies,
                duplicate_spacing=parse_duration(dup.get("spacing", 0),
                                                 field=f"{where}.duplicate.spacing"),
                reorder_window=int(reorder.get("window", 0)),
                delay=_latency(spec["delay"], f"{where}.delay") if spec.get("delay") else None,
                drop_first_attempts=int(spec.get("drop_first_attempts", 0)),
                hold_for=(None if hold is None else
                          parse_duration(hold.get("for", 0), field=f"{where}.hold.for")),
                hold_start=0.0 if not hold else parse_duration(hold.get("start", 0),
                                                               field=f"{where}.hold.start"),
                delay_events=tuple(
                    (str(pattern), parse_duration(seconds,
                                                  field=f"{where}.delay_events.{pattern}"))
                    for pattern, seconds in late.items()),
            )
        except (TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, PlanError):
                raise
            raise PlanError(f"{where}: {exc}") from exc

    def to_json(self) -> dict[str, Any]:
        out = dict(vars(self))
        out["delay"] = None if self.delay is None else {
            k: v for k, v in vars(self.delay).items() if v is not None}
        out["delay_events"] = dict(self.delay_events)
        return out


@dataclass(frozen=True)
class FaultPlan:
    rules: tuple[Rule, ...] = ()
    deliveries: DeliveryFaults = field(default_factory=DeliveryFaults)
    seed: int | None = None
    source: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def parse(cls, data: Any) -> FaultPlan:
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise PlanError("a fault plan is a mapping with 'rules' and/or 'deliveries'")
        unknown = set(data) - {"seed", "rules", "deliveries", "name", "description"}
        if unknown:
            raise PlanError(f"unknown top-level field(s) {sorted(unknown)}")
        rules: list[Rule] = []
        raw_rules = data.get("rules") or []
        if not isinstance(raw_rules, list):
            raise PlanError("rules: must be a list")
        for i, raw in enumerate(raw_rules):
            where = f"rules[{i}]"
            if not isinstance(raw, dict) or "fault" not in raw:
                raise PlanError(f"{where}: each rule needs 'fault' (and usually 'match')")
            rules.append(Rule(name=str(raw.get("name") or f"rule-{i}"),
                              match=Match.parse(raw.get("match"), f"{where}.match"),
                              fault=Fault.parse(raw["fault"], f"{where}.fault")))
        seed = data.get("seed")
        return cls(rules=tuple(rules), deliveries=DeliveryFaults.parse(data.get("deliveries")),
                   seed=None if seed is None else int(seed), source=data)

    @classmethod
    def load(cls, path: str | Path) -> FaultPlan:
        """Read a plan from a YAML or JSON file, or a named chaos profile."""
        p = Path(path)
        if not p.is_file():
            return cls.load_profile(str(path))
        return cls.parse(yaml.safe_load(p.read_text()))

    @classmethod
    def load_profile(cls, name: str) -> FaultPlan:
        """A chaos profile shipped with fintwin, by name only (never a path: the control
        plane must not read arbitrary files)."""
        if name not in profile_names():
            raise PlanError(f"profile: no chaos profile named {name!r}; one of "
                            f"{', '.join(profile_names())}")
        return cls.parse(yaml.safe_load((_PROFILES / f"{name}.yaml").read_text()))

    def to_json(self) -> dict[str, Any]:
        return {"seed": self.seed, "rules": [r.to_json() for r in self.rules],
                "deliveries": self.deliveries.to_json(), "source": self.source}


_PROFILES = Path(__file__).parent.parent / "profiles"


def profile_names() -> list[str]:
    """Names of the chaos profiles shipped with fintwin."""
    return sorted(p.stem for p in _PROFILES.glob("*.yaml"))
