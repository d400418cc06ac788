"""The fintwin pytest plugin (entry point ``pytest11: fintwin = harness.plugin``).

Options: ``--fintwin-sut`` (manifest, default the reference SUT's), ``--fintwin-seed``
(default: a random seed, printed and written to the report), ``--fintwin-epoch`` (where
every tenant's business clock starts, frozen: :mod:`harness.epoch`; default a fixed
date, named in the report and every rerun command), ``--fintwin-chaos`` (a chaos
profile name, a plan file, or ``none``), ``--fintwin-stack`` (inprocess | local |
external | containers; by default inprocess for a manifest with an in-process factory,
else local; the containers mode reads ``FINTWIN_IMAGE``, ``FINTWIN_SUT_IMAGE`` and
``FINTWIN_CONTAINER_NETWORK``: :mod:`harness.stack.containers`) and
``--fintwin-report DIR`` (JSON + HTML report).

Fixtures:

- ``fintwin_stack`` (session): the started :class:`harness.stack.Stack`.
- ``tenant``: a fresh tenant in each fake for this test, registered with the SUT. Its ids
  derive from (seed, test id), so a rerun with the same seed meets the same faults.
- ``fault_plan``: a :class:`FaultPlanControl` for rules scoped to this test's tenant;
  the run's chaos plan is restored after the test.
- ``eventually``: :class:`Eventually`, wait for a condition with a deadline.
- ``fintwin_record``: attach flows and oracle violations to this test's report entry.
- ``q2c``: a :class:`harness.scenario.Q2CRunner` on this test's tenant (sell deals, wait
  for outcomes, check the oracle); what the suites in ``scenarios/`` use.

The plugin is inert unless a test uses one of these fixtures: no stack is started and
nothing is recorded for other tests.

Expected failures: a manifest's ``[expected_failures]`` names the suites its SUT fails on
purpose (it lacks the feature), each with why and the codes its failure shows. Those tests
are marked ``xfail(strict=True)``: a pass fails the run, and so does a failure that shows
none of the codes (the SUT or the stack broke in another way). The terminal summary lists
them with their reasons.

pytest-xdist: each worker is its own pytest session, so each worker starts its own stack
(in-process, local or containers) and its tests run serially on it; workers never share tenants, as
tenant ids derive from the test id. The controller picks the seed and hands it to every
worker, collects each test's record from the workers' reports and writes one report. In
external mode the workers share the one running SUT (a multi-tenant SUT keeps them apart
by connection); the fakes are shared too when their URLs are given in the environment
under the manifest's variable names or in its ``[fakes]`` table, else each worker starts
its own.
"""

from __future__ import annotations

import random
import shlex
from collections.abc import Awaitable, Callable, Generator, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest

import harness.report as reporting
from harness import epoch as epochs
from harness.manifest import (
    VENDORS,
    ExpectedFailure,
    ManifestError,
    load_manifest,
    reference_manifest_path,
)
from harness.scenario import SETTLE_TIMEOUT, Q2CRunner
from harness.stack import MODES, Stack, StackConfig, StackError, Tenant, create_stack, scoped_plan
from harness.verify import failure_codes
from harness.waiting import eventually as wait_for
from harness.waiting import until as wait_until

T = TypeVar("T")

FIXTURES = frozenset({"fintwin_stack", "tenant", "fault_plan", "eventually", "fintwin_record",
                      "q2c"})
RECORD_KEY = pytest.StashKey[dict[str, Any]]()
COLLECTOR_KEY = pytest.StashKey["reporting.ResultCollector"]()
SEED_KEY = pytest.StashKey[int]()
EPOCH_KEY = pytest.StashKey[float]()
EXPECT_KEY = pytest.StashKey[ExpectedFailure]()
STACK_KEY = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fintwin", "fintwin: drive an integration layer through the fakes")
    group.addoption("--fintwin-sut", default=None, metavar="MANIFEST",
                    help="SUT manifest (TOML); default: the reference integration layer's")
    group.addoption("--fintwin-seed", type=int, default=None, metavar="N",
                    help="run seed for data, tenants and faults (default: random, reported)")
    group.addoption("--fintwin-epoch", default=None, metavar="INSTANT",
                    help=epochs.HELP)
    group.addoption("--fintwin-chaos", default="none", metavar="PROFILE",
                    help="chaos profile name (e.g. default-chaos), plan file, or none")
    group.addoption("--fintwin-stack", default=None, choices=sorted(MODES),
                    help="how to run the fakes and the SUT (default: inprocess when the "
                         "manifest names an [inprocess].factory, else local)")
    group.addoption("--fintwin-sut-option", action="append", default=[], metavar="KEY=VALUE",
                    help="a setting for the SUT, e.g. variant=no-dedupe (in-process: the "
                         "factory's config; local: its environment variable); repeatable")
    group.addoption("--fintwin-report", default=None, metavar="DIR",
                    help="write fintwin-results.json and fintwin-report.html here")
    group.addoption("--fintwin-traffic", action="store_true",
                    help="keep the bodies of the SUT's requests and of the webhooks it got "
                         "in the results (for fintwin contracts record)")
    group.addoption("--fintwin-deadline", type=float, default=None, metavar="SECONDS",
                    help="how long a scenario waits for an awaited outcome or for the "
                         "systems to settle (default 60; fintwin mutation shortens it)")
    group.addoption("--fintwin-vendor-version", action="append", default=[],
                    metavar="VENDOR=V",
                    help="the API version new tenants start on: billing=2025-03-31.basil "
                         "(the account's default), crm=62.0 (the SUT's); repeatable")


def pytest_configure(config: pytest.Config) -> None:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and "fintwin_seed" in workerinput:
        seed = int(workerinput["fintwin_seed"])
    elif config.getoption("--fintwin-seed") is not None:
        seed = int(config.getoption("--fintwin-seed"))
    else:
        seed = random.SystemRandom().randrange(1, 2**31)
    config.stash[SEED_KEY] = seed
    if workerinput is not None and "fintwin_epoch" in workerinput:
        epoch = float(workerinput["fintwin_epoch"])
    else:
        try:  # resolved once, by the controller: 'now' means one instant for every worker
            epoch = epochs.resolve(config.getoption("--fintwin-epoch"))
        except ValueError as exc:
            raise pytest.UsageError(f"--fintwin-epoch: {exc}") from exc
    config.stash[EPOCH_KEY] = epoch
    config.stash[COLLECTOR_KEY] = reporting.ResultCollector()
    config.pluginmanager.register(_Reporting(config), "fintwin-reporting")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist (controller): every worker runs with the controller's seed."""
    node.workerinput["fintwin_seed"] = node.config.stash[SEED_KEY]
    node.workerinput["fintwin_epoch"] = node.config.stash[EPOCH_KEY]


def run_info(config: pytest.Config) -> dict[str, Any]:
    """The run's settings, as the report and a rerun need them."""
    info: dict[str, Any] = {
        "seed": config.stash[SEED_KEY], "epoch": epochs.name(config.stash[EPOCH_KEY]),
        "stack": stack_mode(config),
        "chaos": config.getoption("--fintwin-chaos"), "sut": _manifest_path(config)}
    options = sut_options(config)
    if options:
        info["sut_options"] = options
    versions = _pairs(config, "--fintwin-vendor-version")
    if versions:
        info["vendor_versions"] = versions
    if config.getoption("--fintwin-traffic"):
        info["traffic"] = True
    return info


def stack_mode(config: pytest.Config) -> str:
    """``--fintwin-stack``; without it ``inprocess`` when the manifest names an in-process
    factory (a Python SUT), else ``local`` (the manifest's command, any language)."""
    given = config.getoption("--fintwin-stack")
    if given:
        return str(given)
    if STACK_KEY not in config.stash:
        try:
            factory = load_manifest(_manifest_path(config)).factory
        except ManifestError:  # reported as a usage error where the manifest is used
            factory = None
        config.stash[STACK_KEY] = "inprocess" if factory else "local"
    return config.stash[STACK_KEY]


def sut_options(config: pytest.Config) -> dict[str, str]:
    """``--fintwin-sut-option KEY=VALUE`` values as a mapping."""
    return _pairs(config, "--fintwin-sut-option")


def _pairs(config: pytest.Config, option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in config.getoption(option) or ():
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            raise pytest.UsageError(f"{option}: expected KEY=VALUE, not {item!r}")
        out[key.strip()] = value
    return out


def _manifest_path(config: pytest.Config) -> str:
    return str(config.getoption("--fintwin-sut") or reference_manifest_path())


def rerun_command(config: pytest.Config, nodeid: str) -> str:
    """The command that reruns one test with this run's seed and settings."""
    info = run_info(config)
    argv = ["pytest", nodeid, "--fintwin-seed", str(info["seed"]),
            "--fintwin-epoch", info["epoch"],
            "--fintwin-stack", info["stack"], "--fintwin-chaos", info["chaos"]]
    if config.getoption("--fintwin-sut"):
        argv += ["--fintwin-sut", info["sut"]]
    for key, value in info.get("sut_options", {}).items():
        argv += ["--fintwin-sut-option", f"{key}={value}"]
    for key, value in info.get("vendor_versions", {}).items():
        argv += ["--fintwin-vendor-version", f"{key}={value}"]
    return shlex.join(argv)


def _uses_fintwin(item: pytest.Item) -> bool:
    return bool(FIXTURES & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests the manifest expects its SUT to fail (``[expected_failures]``)."""
    ours = [item for item in items if _uses_fintwin(item)]
    if not ours:
        return
    try:
        manifest = load_manifest(_manifest_path(config))
    except ManifestError as exc:
        raise pytest.UsageError(f"--fintwin-sut: {exc}") from exc
    if not manifest.expected_failures:
        return
    for item in ours:
        name = str(getattr(item, "originalname", None) or item.name)
        expected = manifest.expected_failure(item.path.name, name)
        if expected is None:
            continue
        item.stash[EXPECT_KEY] = expected
        item.add_marker(pytest.mark.xfail(
            reason=f"{manifest.name} lacks this: {expected.why}", strict=True))


def _check_expected(item: pytest.Item, report: pytest.TestReport) -> None:
    """An xfailed test whose failure shows none of the expected codes is a failure."""
    expected = item.stash.get(EXPECT_KEY, None)
    if expected is None or getattr(report, "wasxfail", None) is None:
        return
    violations = item.stash.get(RECORD_KEY, {}).get("violations") or []
    shown = failure_codes({"violations": violations, "longrepr": report.longreprtext})
    report.fintwin_codes = shown  # type: ignore[attr-defined]
    if expected.codes & set(shown):
        return
    del report.wasxfail
    report.outcome = "failed"
    report.sections.append((
        "fintwin expected failure",
        f"expected to fail showing {' or '.join(sorted(expected.codes))} ({expected.why}); "
        f"it failed showing {', '.join(shown) or 'no code'}: not the expected failure"))


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def fintwin_stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    """The stack for this session (this xdist worker), started on first use."""
    config = request.config
    info = run_info(config)
    try:
        manifest = load_manifest(info["sut"])
    except ManifestError as exc:
        raise pytest.UsageError(f"--fintwin-sut: {exc}") from exc
    stack = create_stack(info["stack"], manifest,
                         StackConfig(seed=info["seed"], chaos=info["chaos"],
                                     epoch=config.stash[EPOCH_KEY],
                                     sut_options=info.get("sut_options", {}),
                                     traffic=bool(info.get("traffic")),
                                     vendor_versions=info.get("vendor_versions", {})))
    try:
        stack.start()
    except StackError as exc:
        pytest.fail(f"fintwin: the {info['stack']} stack did not start: {exc}", pytrace=False)
    yield stack
    stack.close()


@pytest.fixture
def tenant(fintwin_stack: Stack, request: pytest.FixtureRequest) -> Iterator[Tenant]:
    """A fresh tenant in each fake for this test (its ids derive from seed + test id)."""
    made = fintwin_stack.new_tenant(request.node.nodeid)
    record = _record(request.node)
    record["tenant"] = made.to_json()
    yield made
    try:
        record.update(fintwin_stack.collect(made))
    except Exception as exc:  # the report must not hide the test's own outcome
        record["collect_error"] = repr(exc)


class FaultPlanControl:
    """Fault rules for one test's tenant, on top of the run's chaos plan.

    Rules are FaultPlan rules (``{"match": {...}, "fault": ...}``); their ``match.tenant``
    is set to this tenant's id in the fake, and they come before the chaos rules. A
    ``deliveries`` section cannot be narrowed to a tenant: it replaces the plan's for the
    whole fake until :meth:`clear` (fine when tests run serially on a stack, as they do).
    """

    def __init__(self, stack: Stack, tenant: Tenant) -> None:
        self.stack = stack
        self.tenant = tenant
        self.rules: dict[str, list[Mapping[str, Any]]] = {v: [] for v in VENDORS}
        self.deliveries: dict[str, Mapping[str, Any]] = {}
        self.installed: set[str] = set()

    def add(self, vendor: str, *rules: Mapping[str, Any],
            deliveries: Mapping[str, Any] | None = None) -> None:
        """Add rules for ``vendor`` (crm, billing, erp) and install the result at once."""
        if vendor not in self.rules:
            raise ValueError(f"vendor must be one of {', '.join(VENDORS)}, not {vendor!r}")
        self.rules[vendor].extend(rules)
        if deliveries is not None:
            self.deliveries[vendor] = deliveries
        plan = scoped_plan(self.stack.base_plan, self.rules[vendor], self.tenant.ref(vendor))
        if vendor in self.deliveries:
            plan["deliveries"] = dict(self.deliveries[vendor])
        self.stack.set_faults(plan, vendors=(vendor,))
        self.installed.add(vendor)

    def clear_outages(self, vendor: str) -> None:
        """End outage windows now (``POST /_sim/faults/clear-outages``)."""
        self.stack.control(vendor, "POST", "/_sim/faults/clear-outages")

    def log(self, vendor: str) -> list[dict[str, Any]]:
        """Every fault this tenant met in ``vendor`` so far."""
        return self.stack.fault_log(vendor, self.tenant)

    def clear(self) -> None:
        """Back to the run's chaos plan on every fake this control changed."""
        if self.installed:
            self.stack.set_faults(self.stack.base_plan, vendors=tuple(sorted(self.installed)))
        self.installed.clear()
        self.rules = {v: [] for v in VENDORS}
        self.deliveries.clear()


@pytest.fixture
def fault_plan(fintwin_stack: Stack, tenant: Tenant) -> Iterator[FaultPlanControl]:
    control = FaultPlanControl(fintwin_stack, tenant)
    yield control
    control.clear()


class Eventually:
    """``eventually(probe, timeout=..., what=...)``: call until truthy or the deadline.
    ``await eventually.until(async_probe)`` does the same for coroutine probes."""

    def __init__(self, timeout: float = 30.0, interval: float = 0.02) -> None:
        self.timeout = timeout
        self.interval = interval

    def __call__(self, probe: Callable[[], T], *, timeout: float | None = None,
                 what: str = "condition") -> T:
        return wait_for(probe, timeout=self.timeout if timeout is None else timeout,
                        interval=self.interval, what=what)

    async def until(self, probe: Callable[[], Awaitable[T]], *, timeout: float | None = None,
                    what: str = "condition") -> T:
        return await wait_until(probe, timeout=self.timeout if timeout is None else timeout,
                                interval=self.interval, what=what)


@pytest.fixture
def eventually() -> Eventually:
    return Eventually()


class Recorder:
    """What a test adds to its report entry: flows (a timeline each) and violations."""

    def __init__(self, record: dict[str, Any]) -> None:
        self._record = record

    def flow(self, name: str, events: list[Mapping[str, Any]], *,
             latency_s: float | None = None) -> None:
        """A flow's timeline: events with ``system`` (crm, billing, erp, sut), ``t`` (unix
        wall seconds), ``label`` and optional ``kind`` (request, delivery, fault, note)."""
        self._record.setdefault("flows", []).append(
            {"name": name, "events": [dict(e) for e in events], "latency_s": latency_s})

    def violations(self, found: list[Any]) -> None:
        """Oracle violations (objects with ``to_dict()``, or dicts with code, severity,
        message and objects)."""
        self._record.setdefault("violations", []).extend(
            reporting.violation_to_dict(v) for v in found)

    def note(self, key: str, value: Any) -> None:
        self._record.setdefault("notes", {})[key] = value


@pytest.fixture
def fintwin_record(request: pytest.FixtureRequest) -> Recorder:
    return Recorder(_record(request.node))


@pytest.fixture
def q2c(request: pytest.FixtureRequest, fintwin_stack: Stack, tenant: Tenant,
        fintwin_record: Recorder) -> Q2CRunner:
    """This test's tenant driven through quote-to-cash (:mod:`harness.scenario`):
    ``q2c.run(async_scenario)``."""
    deadline = request.config.getoption("--fintwin-deadline")
    return Q2CRunner(fintwin_stack, tenant, fintwin_record,
                     timeout=SETTLE_TIMEOUT if deadline is None else float(deadline))


def _record(item: pytest.Item) -> dict[str, Any]:
    if RECORD_KEY not in item.stash:
        item.stash[RECORD_KEY] = {}
    return item.stash[RECORD_KEY]


# -- recording -----------------------------------------------------------------------------


# tryfirst: outside pytest's own xfail handling, so the report seen here is final.
@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if not _uses_fintwin(item):
        return report
    _check_expected(item, report)
    config = item.config
    info = run_info(config)
    if call.when == "setup":
        item.user_properties.append(("fintwin_seed", info["seed"]))
        item.user_properties.append(("fintwin_scenario", item.nodeid))
        report.user_properties = list(item.user_properties)
    data: dict[str, Any] = {"scenario": item.nodeid, **info}
    if call.when == "teardown":
        data.update(reporting.json_safe(item.stash.get(RECORD_KEY, {})))
    if getattr(report, "wasxfail", None) is not None:
        data["expected_failure"] = {"why": report.wasxfail,
                                    "codes": getattr(report, "fintwin_codes", [])}
    report.fintwin = data  # type: ignore[attr-defined]  # travels to the xdist controller
    if report.failed:
        report.sections.append(("fintwin rerun", rerun_command(config, item.nodeid)))
    return report


class _Reporting:
    """Per-run collection and output (registered in pytest_configure)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.collector = config.stash[COLLECTOR_KEY]
        self.paths: tuple[Path, Path] | None = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "fintwin", None)
        if isinstance(data, dict):
            self.collector.add(report, data)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        directory = self.config.getoption("--fintwin-report")
        if hasattr(self.config, "workerinput") or not directory or not self.collector.tests:
            return
        result = self.collector.result(run_info(self.config))
        self.paths = reporting.write_report(Path(directory), result)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.collector.tests or hasattr(self.config, "workerinput"):
            return
        info = run_info(self.config)
        terminalreporter.section("fintwin")
        terminalreporter.write_line(
            f"seed {info['seed']}  epoch {info['epoch']}  stack {info['stack']}  "
            f"chaos {info['chaos']}  "
            f"tests {len(self.collector.tests)}  faults injected {self.collector.fault_total()}")
        expected = [t for t in self.collector.tests.values() if t["outcome"] == "xfailed"]
        if expected:
            terminalreporter.write_line(f"expected failures ({len(expected)}, each showing "
                                        "a code the manifest names):")
            for test in expected:
                info = test.get("expected_failure") or {}
                terminalreporter.write_line(
                    f"  {test['nodeid']}: {', '.join(info.get('codes') or [])} - "
                    f"{info.get('why', '')}")
        for test in self.collector.tests.values():
            if test["outcome"] in ("failed", "error"):
                terminalreporter.write_line(
                    f"rerun: {rerun_command(self.config, test['nodeid'])}")
        if self.paths is not None:
            terminalreporter.write_line(f"report: {self.paths[1]}  (results: {self.paths[0]})")
