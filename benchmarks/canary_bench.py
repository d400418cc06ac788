"""Canary benchmark (issue 18): one tenant's GET latency while another tenant runs each
worst case the hardening issue found, against a baseline measured in the same run.

    .venv/bin/python benchmarks/canary_bench.py [--seconds 6] [--cases NAME,...]

Each fake runs as ``fintwin sim <fake>`` (its own process: uvicorn, one event loop, as a
team runs it). A canary tenant sends GETs one after another (a record it made) for
``--seconds``; meanwhile, from another thread, an attacker tenant of the same fake
repeats one worst case as fast as the fake answers it. The first row of each fake is the
canary alone (the baseline); each other row prints the canary's p50, p99 and max, its
p99 against the baseline's, how many attacker requests finished and with which statuses.
The machine's load average is printed, since other work on the machine moves the
figures. Printed figures only: this is not a timed test.

Issue 18's bar: no worst case raises the canary's p99 above 100 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness.processes import SimProcess

CRM = "/services/data/v59.0"
SUITEQL = "/services/rest/query/v1/suiteql"
ERP_TOKEN = "/services/rest/auth/oauth2/v1/token"


@dataclass
class Tenant:
    """A signed-in client of one fake: its headers, and a record to GET."""

    client: httpx.Client
    headers: dict[str, str]
    get: str = ""


@dataclass
class Case:
    name: str
    fake: str
    prepare: Callable[[Tenant], None]  # the attacker's own data (not measured)
    attack: Callable[[Tenant], int]  # one worst-case request; its status


@dataclass
class Row:
    name: str
    latencies: list[float]
    attacks: Counter[int] = field(default_factory=Counter)

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


# --- signing in -------------------------------------------------------------------------


def billing_tenant(base: str, key: str) -> Tenant:
    client = httpx.Client(base_url=base, trust_env=False, timeout=120)
    headers = {"Authorization": f"Bearer {key}"}
    customer = client.post("/v1/customers", data={"name": "canary"}, headers=headers).json()
    return Tenant(client, headers, f"/v1/customers/{customer['id']}")


def crm_tenant(base: str, client_id: str) -> Tenant:
    client = httpx.Client(base_url=base, trust_env=False, timeout=120)
    token = client.post("/services/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": client_id,
        "client_secret": "bench"}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    made = client.post(f"{CRM}/sobjects/Account", json={"Name": "canary"}, headers=headers)
    return Tenant(client, headers, f"{CRM}/sobjects/Account/{made.json()['id']}")


def erp_tenant(base: str, client_id: str) -> Tenant:
    client = httpx.Client(base_url=base, trust_env=False, timeout=120)
    token = client.post(ERP_TOKEN, data={"grant_type": "client_credentials"},
                        auth=(client_id, "bench")).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    made = client.post("/services/rest/record/v1/customer", headers=headers,
                       json={"companyName": "canary", "subsidiary": {"id": "1"}})
    location = made.headers["location"]
    return Tenant(client, headers, location[location.index("/services"):])


# --- the worst cases --------------------------------------------------------------------


def nothing(t: Tenant) -> None:
    return None


def post_json(path: str, body: object) -> Callable[[Tenant], int]:
    def run(t: Tenant) -> int:
        return t.client.post(path, json=body, headers=t.headers).status_code
    return run


def soql(q: str) -> Callable[[Tenant], int]:
    def run(t: Tenant) -> int:
        return t.client.get(f"{CRM}/query", params={"q": q}, headers=t.headers).status_code
    return run


def accounts(names: list[str]) -> Callable[[Tenant], None]:
    def run(t: Tenant) -> None:
        for start in range(0, len(names), 200):
            batch = [{"attributes": {"type": "Account"}, "Name": n}
                     for n in names[start:start + 200]]
            r = t.client.post(f"{CRM}/composite/sobjects", headers=t.headers,
                              json={"allOrNone": False, "records": batch})
            r.raise_for_status()
    return run


def form(body: str | bytes) -> Callable[[Tenant], int]:
    def run(t: Tenant) -> int:
        return t.client.post("/v1/customers", content=body, headers={
            **t.headers, "Content-Type": "application/x-www-form-urlencoded"}).status_code
    return run


DAY = 86400
START = 1_800_000_000


def clock_with_daily_subscriptions(t: Tenant) -> None:
    clock = t.client.post("/v1/test_helpers/test_clocks", headers=t.headers,
                          data={"frozen_time": START}).json()
    price = t.client.post("/v1/prices", headers=t.headers, data={
        "currency": "usd", "unit_amount": 100, "recurring[interval]": "day",
        "product_data[name]": "daily"}).json()
    for _ in range(3):
        customer = t.client.post("/v1/customers", headers=t.headers, data={
            "test_clock": clock["id"], "payment_method": "pm_card_visa",
            "invoice_settings[default_payment_method]": "pm_card_visa"}).json()
        t.client.post("/v1/subscriptions", headers=t.headers, data={
            "customer": customer["id"], "items[0][price]": price["id"]}).raise_for_status()
    t.get = clock["id"]  # the attack advances this clock


def advance(years: float) -> Callable[[Tenant], int]:
    state = {"at": START}

    def run(t: Tenant) -> int:
        target = state["at"] + int(years * 365 * DAY)
        r = t.client.post(f"/v1/test_helpers/test_clocks/{t.get}/advance",
                          data={"frozen_time": target}, headers=t.headers)
        if r.status_code == 200:
            state["at"] = target
        return r.status_code
    return run


_ors = iter(range(10**9))


def many_ors(t: Tenant) -> int:
    # A different query each time: the fake remembers translations of the same text.
    first = next(_ors)
    q = "SELECT id FROM account WHERE " + " OR ".join(
        f"id = {i}" for i in range(first, first + 500))
    return t.client.post(SUITEQL, json={"q": q}, headers=t.headers).status_code


CROSS_JOIN = "SELECT COUNT(*) AS n FROM " + ", ".join(f"account a{i}" for i in range(8))
CASES = [
    Case("erp: 8-way cross join", "erp", nothing, post_json(SUITEQL, {"q": CROSS_JOIN})),
    Case("erp: randomblob(50000000)", "erp", nothing, post_json(SUITEQL, {
        "q": "SELECT randomblob(50000000) AS b FROM account WHERE ROWNUM <= 3"})),
    Case("erp: 60 nested parentheses", "erp", nothing, post_json(SUITEQL, {
        "q": "SELECT id FROM account WHERE " + "(" * 60 + "id = 1" + ")" * 60})),
    Case("erp: 500 ORs, each query new", "erp", nothing, lambda t: many_ors(t)),
    Case("crm: LIKE '%a%a%a%a%a%a%b'", "crm",
         accounts(["a" * n for n in range(20, 81)]),
         soql("SELECT Id FROM Account WHERE Name LIKE '%a%a%a%a%a%a%b'")),
    Case("crm: scan of 20,000 accounts", "crm",
         accounts([f"account {n}" for n in range(20_000)]),
         soql("SELECT Id, Name FROM Account WHERE Name LIKE '%9%9%' ORDER BY Name")),
    Case("crm: JSON nested 100,000 deep", "crm", nothing,
         post_json(f"{CRM}/sobjects/Account", {"Name": "x"})),  # replaced below
    Case("billing: clock +20 years, daily subs", "billing", clock_with_daily_subscriptions,
         advance(20)),
    Case("billing: clock +2 days, daily subs", "billing", clock_with_daily_subscriptions,
         advance(2 / 365)),
    Case("billing: form key nested 600 deep", "billing", nothing,
         form("metadata" + "[b]" * 600 + "=1")),
]


def deep_json(t: Tenant) -> int:
    body = b'{"Name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    return t.client.post(f"{CRM}/sobjects/Account", content=body, headers={
        **t.headers, "Content-Type": "application/json"}).status_code


CASES[6].attack = deep_json


# --- measuring --------------------------------------------------------------------------


def canary_run(canary: Tenant, seconds: float, attack: Callable[[], int] | None) -> Row:
    stop = threading.Event()
    statuses: Counter[int] = Counter()

    def attacker() -> None:
        assert attack is not None
        while not stop.is_set():
            try:
                statuses[attack()] += 1
            except httpx.HTTPError as exc:
                statuses[-1] += 1
                print(f"    attacker: {type(exc).__name__}", file=sys.stderr)

    thread = threading.Thread(target=attacker, daemon=True) if attack else None
    if thread:
        thread.start()
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        response = canary.client.get(canary.get, headers=canary.headers)
        latencies.append(time.perf_counter() - started)
        response.raise_for_status()
    stop.set()
    if thread:
        thread.join()
    return Row("", latencies, statuses)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--cases", default="", help="comma-separated name prefixes")
    args = parser.parse_args()
    wanted = [c for c in CASES if not args.cases
              or any(c.name.startswith(p.strip()) for p in args.cases.split(","))]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores; {args.seconds:.0f} s per row")
    print(f"{'case':40} {'GETs':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'p99/base':>8}  attacker statuses")
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for fake in ("erp", "crm", "billing"):
            cases = [c for c in wanted if c.fake == fake]
            if not cases:
                continue
            # --no-limits: the vendors' rate limits would answer the canary 429 (Stripe's
            # test mode allows 25 requests a second); they are fault rules, not the subject.
            with SimProcess(fake, Path(tmp), "--seed", "7", "--no-limits") as sim:
                sim.ready()
                make = {"billing": lambda n: billing_tenant(sim.url, f"sk_test_canary_{n}"),
                        "crm": lambda n: crm_tenant(sim.url, f"canary-{n}"),
                        "erp": lambda n: erp_tenant(sim.url, f"canary-{n}")}[fake]
                canary = make("canary")
                base = canary_run(canary, args.seconds, None)
                base.name = f"{fake}: canary alone (baseline)"
                show(base, base)
                for n, case in enumerate(cases):
                    attacker = make(f"attacker{n}")
                    case.prepare(attacker)
                    row = canary_run(canary, args.seconds,
                                     lambda a=attacker, c=case: c.attack(a))
                    row.name = case.name
                    show(row, base)
                    worst = max(worst, row.p(0.99))
                    attacker.client.close()
                canary.client.close()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"worst canary p99 under attack: {worst:.1f} ms (issue 18's bar: 100 ms)")
    return 0


def show(row: Row, base: Row) -> None:
    ratio = row.p(0.99) / base.p(0.99) if base.latencies else 0.0
    statuses = ", ".join(f"{k}x{v}" for k, v in sorted(row.attacks.items())) or "-"
    print(f"{row.name:40} {len(row.latencies):6d} {row.p(0.5):8.1f} {row.p(0.99):8.1f} "
          f"{max(row.latencies) * 1000:8.1f} {ratio:8.2f}  {statuses}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
