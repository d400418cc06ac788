"""Provider verification: each fake against the pacts that name it, with pact-python's
Verifier, offline (pact files only, no broker).

For each provider the fake is started in this process on a loopback port (or a running one
is used, ``url``). The Verifier replays every HTTP interaction and asks for every message
one; before each it posts the interaction's provider states to the fake's control plane
(``POST /_sim/provider-states?tenant=<a fresh credential>``), which sets the business
situation up in a tenant of its own and answers the credentials and ids the pact may
inject; after each it tears the tenant down. Messages are read from the fake (see
:mod:`harness.contracts.messages`). The outcome of every interaction is kept with the
mismatches pact_verifier found (path, expectation) and printed per provider.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import secrets
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from harness.contracts import messages
from harness.contracts.pactfiles import (
    PROVIDERS,
    PactFile,
    for_provider,
    pinned_version,
    states_of,
    write_prepared,
)
from harness.epoch import resolve as resolve_epoch
from harness.servers import ServerThread
from simulators.engine.settings import SimSettings

APP_MODULES = {"billing": "simulators.billing.app", "crm": "simulators.crm.app",
               "erp": "simulators.erp.app"}


class VerifyError(Exception):
    pass


@dataclass
class Check:
    """One interaction's outcome."""

    consumer: str
    description: str
    kind: str  # "http" or "message"
    states: list[str]
    ok: bool
    pinned: str | None = None  # the billing API version its states pin it to
    mismatches: list[dict[str, Any]] = field(default_factory=list)

    def fields(self) -> list[str]:
        """The JSON paths (or headers, statuses) the mismatches name."""
        return [str(m.get("path") or m.get("key") or m.get("type") or "")
                for m in self.mismatches]


@dataclass
class ProviderResult:
    provider: str
    url: str
    api_version: str | None
    pact_files: list[str]
    checks: list[Check]
    output: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["ok"] = self.ok
        return out


@dataclass
class Target:
    """Which fake to verify against and how: ``url`` None starts one here."""

    provider: str
    url: str | None = None
    api_version: str | None = None
    override_pins: bool = False  # billing: every interaction at api_version
    admin_token: str | None = None
    seed: int = 0
    # Business time of the fake started here (every tenant frozen at it): a pact's dates
    # meet the same periods and renewals on any day.
    epoch: float = field(default_factory=resolve_epoch)


def tenant_ref(provider: str) -> str:
    """A fresh credential naming the verification tenant (unguessable)."""
    token = secrets.token_hex(8)
    return f"sk_test_pactverify{token}" if provider == "billing" else f"pact-verifier-{token}"


@contextlib.contextmanager
def serving(target: Target) -> Iterator[str]:
    if target.url:
        yield target.url.rstrip("/")
        return
    module = importlib.import_module(APP_MODULES[target.provider])
    settings = SimSettings(seed=target.seed, limits=False, delivery_time_scale=0.0001,
                           admin_token=target.admin_token, epoch=target.epoch,
                           frozen_clock=True)
    with ServerThread(module.create_app(settings)) as server:
        yield server.url


@contextlib.contextmanager
def _captured(log: Path) -> Iterator[None]:
    """pact_verifier prints its report on the process's stdout and its message relay logs
    each request on stderr; fintwin prints its own report (the verifier's is kept in the
    result's ``output``, and everything in ``log``)."""
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(log, "w") as sink, contextlib.redirect_stdout(sink), \
                contextlib.redirect_stderr(sink):
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            yield
    finally:
        for fd, copy in zip((1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)


def verify_provider(target: Target, pacts: Sequence[PactFile]) -> ProviderResult:
    from pact import Verifier

    provider = target.provider
    pacts = for_provider(pacts, provider)
    if not pacts:
        raise VerifyError(f"no pact names the provider {provider!r}")
    crm_version = target.api_version if provider == "crm" else None
    billing_version = target.api_version if provider == "billing" and target.override_pins \
        else None
    ref = tenant_ref(provider)
    control = {"X-Sim-Admin-Token": target.admin_token} if target.admin_token else {}
    with tempfile.TemporaryDirectory(prefix="fintwin-pacts-") as tmp, \
            serving(target) as url, httpx.Client(base_url=url, timeout=30) as client:
        files = write_prepared(pacts, Path(tmp), crm_version=crm_version,
                               billing_version=billing_version)
        query = {"tenant": ref}
        if provider == "billing" and target.api_version:
            query["api_version"] = target.api_version
        verifier = (Verifier(provider, host="127.0.0.1")
                    .add_transport(url=url.replace("localhost", "127.0.0.1"))
                    .state_handler(f"{url}/_sim/provider-states?{urlencode(query)}",
                                   teardown=True, body=True)
                    .set_coloured_output(enabled=False)
                    .set_request_timeout(30_000))
        unproduced: dict[str, str] = {}
        if any(_is_message(i) for p in pacts for i in p.interactions):
            verifier.message_handler(messages.producer(provider, pacts, client, ref, control,
                                                       unproduced))
        for name, value in control.items():
            verifier.add_custom_header(name, value)
        for path in files:
            verifier.add_source(path)
        os.environ.setdefault("PACT_DO_NOT_TRACK", "true")  # offline: no usage pings
        with _captured(Path(tmp) / "verifier.log"), contextlib.suppress(RuntimeError):
            verifier.verify()  # a failure raises: the results say which and why
        results = verifier.results
        output = str(verifier.output(strip_ansi=True))  # a plain str, not the FFI's
        checks = _checks(results, pacts)
        _explain_state_failures(checks, pacts, client, query, control)
        for check in checks:
            if not check.ok and check.description in unproduced:
                check.mismatches = [{"type": "message", "path": "message",
                                     "mismatch": unproduced[check.description]}]
    return ProviderResult(provider, url if target.url else "(started here)", target.api_version,
                          [str(p.path) for p in pacts], checks, output)


def _is_message(interaction: Mapping[str, Any]) -> bool:
    kind = str(interaction.get("type") or "")
    return "Message" in kind or ("request" not in interaction and "contents" in interaction)


def _checks(results: Mapping[str, Any], pacts: Sequence[PactFile]) -> list[Check]:
    by_key = {(p.consumer, i.get("description")): i for p in pacts for i in p.interactions}
    out = []
    for row in results.get("interactionResults") or []:
        consumer, description = str(row.get("consumer")), str(row.get("description"))
        interaction = by_key.get((consumer, description), {})
        mismatch = row.get("mismatch") or {}
        found = list(mismatch.get("mismatches") or [])
        if not found and mismatch:
            found = [{"type": mismatch.get("type") or "error",
                      "mismatch": mismatch.get("message") or str(mismatch)}]
        out.append(Check(consumer, description,
                         "message" if _is_message(interaction) else "http",
                         [str(s.get("name")) for s in states_of(interaction)]
                         or [str(s) for s in row.get("providerStates") or []],
                         row.get("result") == "OK", pinned_version(interaction), found))
    seen = {(c.consumer, c.description) for c in out}
    for (who, what), interaction in by_key.items():
        if (who, what) not in seen:  # the verifier never got to it
            out.append(Check(who, str(what),
                             "message" if _is_message(interaction) else "http",
                             [str(s.get("name")) for s in states_of(interaction)], False,
                             pinned_version(interaction),
                             [{"type": "error", "mismatch": "not verified (see the output)"}]))
    return out


def _explain_state_failures(checks: list[Check], pacts: Sequence[PactFile],
                            client: httpx.Client, query: Mapping[str, str],
                            control: Mapping[str, str]) -> None:
    """pact_verifier says only that a state change failed: set the states up again to
    learn which one, and the fake's reason."""
    by_key = {(p.consumer, i.get("description")): i for p in pacts for i in p.interactions}
    for check in checks:
        if check.ok or not any("state change" in str(m.get("mismatch")) for m in check.mismatches):
            continue
        for state in states_of(by_key.get((check.consumer, check.description), {})):
            response = client.post("/_sim/provider-states", params=dict(query),
                                   headers=dict(control),
                                   json={"state": state.get("name") or "", "action": "setup",
                                         "params": state.get("params") or {}})
            if response.status_code != 200:
                error = (response.json().get("error") or {}) if response.content else {}
                check.mismatches.append({"type": "providerState",
                                         "path": f"state {state.get('name')!r}",
                                         "mismatch": error.get("message") or response.text})
                break
        client.post("/_sim/provider-states", params=dict(query), headers=dict(control),
                    json={"state": "", "action": "teardown"})


def verify(pacts: Sequence[PactFile], targets: Sequence[Target]) -> list[ProviderResult]:
    return [verify_provider(t, pacts) for t in targets]


def providers_of(pacts: Sequence[PactFile], wanted: str) -> list[str]:
    if wanted != "all":
        return [wanted]
    named = {p.provider for p in pacts}
    unknown = sorted(named - set(PROVIDERS))
    if unknown:
        raise VerifyError(f"pacts name providers fintwin does not fake: {', '.join(unknown)} "
                          f"(the fakes are {', '.join(PROVIDERS)})")
    return [p for p in PROVIDERS if p in named]


def render(results: Sequence[ProviderResult], *, verbose: bool = False) -> str:
    lines: list[str] = []
    for result in results:
        passed = sum(c.ok for c in result.checks)
        version = f", API version {result.api_version}" if result.api_version else ""
        lines.append(f"{result.provider}: {passed}/{len(result.checks)} interactions verified"
                     f"{version} ({', '.join(result.pact_files)})")
        for check in sorted(result.checks, key=lambda c: (c.ok, c.consumer, c.description)):
            if check.ok and not verbose:
                continue
            pin = f" [pinned to {check.pinned}]" if check.pinned else ""
            mark = "ok  " if check.ok else "FAIL"
            lines.append(f"  {mark} {check.consumer}: {check.description}{pin}")
            if check.states:
                lines.append(f"         given {' and '.join(check.states)}")
            for m in check.mismatches:
                where = m.get("path") or m.get("key") or ""
                lines.append(f"         {where + ': ' if where else ''}{m.get('mismatch')}")
    failed = [r.provider for r in results if not r.ok]
    lines.append("VERIFIED" if not failed else f"FAILED: {', '.join(failed)}")
    return "\n".join(lines)
