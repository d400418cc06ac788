"""What every scenario suite does with one tenant: sell deals through the CRM as a sales
rep would, give customers cards, wait for the SUT's business effects with deadlines, and
check the three fakes with the oracle. The ``q2c`` fixture of the plugin hands one to a
test::

    def test_deals_are_posted(q2c):
        async def scenario(q: Q2C) -> None:
            deals = [await q.sell(d) for d in q.data.deals(3)]
            await q.settled_ok()          # the oracle is clean, or fail with its summary
        q2c.run(scenario)

Only the fakes are read; the SUT is a black box (its admin paths from the manifest are the
one exception: replay). Waits are deadlines on conditions, never sleeps.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from harness.data import Deal, LineItem, Product
from harness.deliveries import Delivered, delivered
from harness.drivers import CrmDeal, World
from harness.drivers.billing import CARD_FAILS, CARD_OK
from harness.oracle import Oracle, Report
from harness.settling import IDLE, Observation, Settled, settle
from harness.stack import Stack, Tenant, run_sync
from harness.waiting import NotYet
from harness.waiting import until as wait_until

if TYPE_CHECKING:
    from harness.plugin import Recorder

T = TypeVar("T")
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SETTLE_TIMEOUT = 60.0
#: Codes of the harness's own findings (beside the oracle's, harness.oracle.codes).
RETRY_BEFORE_RETRY_AFTER = "RETRY_BEFORE_RETRY_AFTER"
ERP_WRITE_REFUSED = "ERP_WRITE_REFUSED"
# The scenario needs a control surface the SUT's manifest does not name (a DLQ to read,
# a replay to ask for): the SUT lacks the feature the scenario exercises.
SUT_FEATURE_MISSING = "SUT_FEATURE_MISSING"
FINDINGS = frozenset({RETRY_BEFORE_RETRY_AFTER, ERP_WRITE_REFUSED, SUT_FEATURE_MISSING})


class FeatureMissing(Exception):
    """The SUT's manifest names no ``[admin]`` path the scenario needs. Not an
    AssertionError: a wait must not take it for "not yet"."""


@dataclass(frozen=True)
class EarlyRetry:
    """A request sent again before the Retry-After of the 429 it met allowed."""

    vendor: str
    refused: dict[str, Any]  # the 429's journal entry
    retry: dict[str, Any]  # a later request with the same fingerprint
    early_by: float  # seconds
    other_work: bool = False  # sent under another trace than the refused request

    @property
    def certain(self) -> bool:
        """Surely the refused request sent again: the same work (the same trace, or no
        trace to tell) sending the same idempotency key, or the same write (method, path,
        query and body digest). Counted but not certain: a bodiless read matched by
        method, path and query (two flows reading the same account), and the same request
        sent under another trace (another flow doing the same thing)."""
        if self.other_work:
            return False
        return bool(self.refused.get("idempotency_key")) or (
            self.refused["method"] in WRITES and bool(self.refused.get("body_digest")))

    def describe(self) -> str:
        how = ("sent by other work" if self.other_work
               else "same idempotency key" if self.refused.get("idempotency_key")
               else "same body" if self.certain else "same path, may be other work")
        return (f"{self.vendor}: {self.retry['method']} {self.retry['path']} "
                f"{self.early_by:.2f}s before Retry-After {self.refused['retry_after']}s "
                f"allowed ({how})")


def fingerprint(entry: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a request sent again has in common with the first one (a journal entry)."""
    return (entry["method"], entry["path"], entry.get("query") or "",
            entry.get("idempotency_key"), entry.get("body_digest"))


def same_work(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Both under one trace (W3C traceparent trace-id), or no trace to tell them apart."""
    return not a.get("trace_id") or not b.get("trace_id") or a["trace_id"] == b["trace_id"]


def _seconds(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def early_retries(vendor: str, journal: Iterable[Mapping[str, Any]],
                  slack: float = 0.05) -> list[EarlyRetry]:
    """From one tenant's journal (the SUT's requests only: the harness reads as an
    observer): each 429 with a Retry-After, and the next request with the same
    :func:`fingerprint` by the same work (:func:`same_work`: the retry) when it arrived
    more than ``slack`` seconds before the Retry-After allowed; also, not certain, those
    requests with the fingerprint that other work sent early before that retry
    (``other_work``). Requests with another fingerprint are other work, not retries.

    A journal entry's ``wall`` is when its response went out, ``duration_ms`` before that
    the request arrived: the 429's Retry-After counts from its ``wall``, a request is
    early by when it arrived."""
    entries = sorted(journal, key=lambda e: int(e["seq"]))
    found: list[EarlyRetry] = []
    for index, refused in enumerate(entries):
        wait = _seconds(refused.get("retry_after"))
        if int(refused["status"]) != 429 or not wait:
            continue
        allowed = float(refused["wall"]) + wait
        same = fingerprint(refused)
        for later in entries[index + 1:]:
            if fingerprint(later) != same:
                continue
            arrived = float(later["wall"]) - float(later.get("duration_ms") or 0) / 1000
            other = not same_work(refused, later)
            if allowed - arrived > slack:
                found.append(EarlyRetry(vendor, dict(refused), dict(later),
                                        allowed - arrived, other_work=other))
            if not other:
                break  # the retry: what came after it answers to its own 429, if any
    return found


def refused_writes(journal: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Writes a fake refused with a 4xx other than 401/429 (e.g. a duplicate externalId):
    what a SUT sends when it repeats a write it already made."""
    return [dict(e) for e in journal
            if e["method"] in WRITES and 400 <= int(e["status"]) < 500
            and int(e["status"]) not in (401, 429) and not e.get("faults")]


def odd_cents_product(code: str = "SKU-APIPACK") -> Product:
    """An add-on priced 0.29 in every currency: amounts a float conversion gets a cent
    wrong (0.29 * 100 truncates to 28)."""
    price = Decimal("0.29")
    return Product(code, "API calls 1k pack", "Software",
                   {"USD": price, "GBP": price, "EUR": price})


def with_line(deal: Deal, product: Product, quantity: int = 1) -> Deal:
    """``deal`` with one more line."""
    return replace(deal, lines=(*deal.lines, LineItem(product, quantity)))


class Q2C:
    """One test's tenant, driven from the outside (see the module docstring)."""

    def __init__(self, stack: Stack, tenant: Tenant, world: World, *,
                 record: Recorder | None = None, timeout: float = SETTLE_TIMEOUT) -> None:
        self.stack = stack
        self.tenant = tenant
        self.world = world
        self.crm = world.crm
        self.billing = world.billing
        self.erp = world.erp
        self.clock = world.clock
        self.data = stack.data(tenant.label)
        self.catalog = tenant.catalog or self.data.catalog()
        self.record = record
        self.timeout = timeout
        # The oracle reads the SUT's parked events too when the manifest names its DLQ.
        self.oracle = Oracle(world, dlq=self._parked if stack.manifest.admin.dlq else None)
        self.last: Report | None = None
        self.last_settle: Settled | None = None

    # -- waiting -------------------------------------------------------------------------

    async def until(self, probe: Callable[[], Awaitable[T | None]], *, what: str,
                    timeout: float | None = None, interval: float = 0.05) -> T:
        """Call ``probe`` until it returns something truthy; at the deadline NotYet, which
        also says what the oracle finds wrong in the fakes by then (and records it)."""
        try:
            return await wait_until(probe, timeout=self.timeout if timeout is None else timeout,
                                    interval=interval, what=what)
        except NotYet as exc:
            raise NotYet(await self.explain(str(exc))) from exc

    async def explain(self, message: str) -> str:
        """``message`` and the business effects that went wrong so far (the oracle's
        summary, recorded as this test's violations)."""
        try:
            report = await self.check()
        except Exception as exc:  # the failure at hand must not be hidden by this one
            return f"{message}\n(the oracle could not check the fakes: {exc!r})"
        self.note_report(report)
        said = (f"{message}\nthe oracle finds no business effect wrong so far" if report.ok
                else f"{message}\nbusiness effects wrong so far:\n{report.summary()}")
        parked = self.parked_summary()
        return f"{said}\n{parked}" if parked else said

    def parked_summary(self, most: int = 5) -> str | None:
        """What the SUT says it parked for this tenant (manifest ``[admin].dlq``), if
        anything: why an awaited effect never came is often there."""
        if not self.stack.manifest.admin.dlq:
            return None
        try:
            items = self.parked()
        except Exception:  # an explanation, not a check
            return None
        if not items:
            return None
        lines = [f"  {i.get('type', '?')} {i.get('event_id', '')}: {i.get('reason', '?')} "
                 f"{str(i.get('detail') or '')[:160]}" if isinstance(i, dict) else f"  {i}"
                 for i in items[:most]]
        return f"the SUT parked {len(items)} events:\n" + "\n".join(lines)

    # -- a sales rep's and a customer's work -------------------------------------------

    def deals(self, count: int, entities: Iterable[str] = ("US", "GB", "DE")) -> list[Deal]:
        """Seeded deals over the tenant's catalog, round-robin over ``entities``."""
        order = list(entities)
        return [self.data.deal(order[i % len(order)], catalog=self.catalog)
                for i in range(count)]

    async def open(self, deal: Deal, *, card: str | None = CARD_OK) -> CrmDeal:
        """Account, contacts, opportunity and synced quote in the CRM; once the SUT has
        made the billing customer, the customer enters ``card`` (None: no card)."""
        made = await self.crm.create_deal(deal)
        if card is not None:
            customer = await self.billing_customer(made.account_id)
            await self.billing.set_card(customer, fails=card == CARD_FAILS)
        return made

    async def sell(self, deal: Deal, *, card: str | None = CARD_OK) -> CrmDeal:
        """:meth:`open`, then close the opportunity won."""
        made = await self.open(deal, card=card)
        await self.crm.close_won(made.opportunity_id)
        return made

    async def sell_another(self, account_id: str, deal: Deal) -> CrmDeal:
        """A further deal on an account the customer already has (another opportunity with
        its synced quote, closed won): a second subscription for the same customer."""
        opportunity, lines = await self.crm.create_opportunity(deal, account_id)
        quote = await self.crm.create_quote(deal, opportunity, lines)
        await self.crm.close_won(opportunity)
        return CrmDeal(deal, account_id, [], opportunity, lines, quote)

    async def invoice_of(self, subscription_id: str, *, status: str | Iterable[str],
                         reason: str | None = None, what: str | None = None
                         ) -> dict[str, Any]:
        """The first invoice of a subscription in ``status`` (and of ``reason``), waited
        for."""
        wanted = {status} if isinstance(status, str) else set(status)

        async def probe() -> dict[str, Any] | None:
            for inv in reversed(await self.invoices(subscription_id)):
                if inv["status"] in wanted and reason in (None, inv["billing_reason"]):
                    return inv
            return None

        return await self.until(probe, what=what or f"a {'/'.join(sorted(wanted))} invoice "
                                f"{reason or ''} of {subscription_id}")

    async def advance_to(self, instant: float) -> None:
        """Move every fake's business clock on to ``instant`` (unix seconds)."""
        now = (await self.clock.now())["billing"]
        if instant > now:
            await self.clock.advance(instant - now)

    async def billing_customer(self, account_id: str, timeout: float | None = None) -> str:
        """The billing customer id the SUT wrote back to the Account."""
        async def probe() -> str | None:
            acct = await self.crm.get("Account", account_id, ["Billing_Customer_Id__c"])
            return acct.get("Billing_Customer_Id__c") or None
        return await self.until(probe, what=f"account sync of {account_id} "
                                "(Account.Billing_Customer_Id__c written back)",
                                timeout=timeout)

    async def subscription(self, opportunity_id: str, timeout: float | None = None) -> str:
        """The billing subscription id the SUT wrote back to the opportunity."""
        async def probe() -> str | None:
            opp = await self.crm.get("Opportunity", opportunity_id,
                                     ["Billing_Subscription_Id__c"])
            return opp.get("Billing_Subscription_Id__c") or None
        return await self.until(probe, what=f"subscription for opportunity {opportunity_id} "
                                "(Opportunity.Billing_Subscription_Id__c)", timeout=timeout)

    async def contract(self, opportunity_id: str, timeout: float | None = None
                       ) -> dict[str, Any]:
        """The activated CRM Contract the SUT made for the opportunity's subscription."""
        async def probe() -> dict[str, Any] | None:
            found = await self.crm.contract_for(opportunity_id)
            return found if found and found.get("Status") == "Activated" else None
        return await self.until(probe, what=f"activated contract for {opportunity_id}",
                                timeout=timeout)

    async def add_product(self, product: Product, *, erp: bool = True) -> None:
        """A catalog product in the CRM and billing, and (unless ``erp=False``: an ERP
        mapping left missing on purpose) an ERP item."""
        await self.crm.seed_catalog([product], tuple(product.prices))
        await self.billing.seed_catalog([product], tuple(product.prices))
        if erp:
            await self.erp.seed_items([product])

    async def set_billing_api_version(self, version: str) -> None:
        """The billing account's default API version (``PUT /_sim/billing/account``): the
        version its webhook events are rendered in, as a Stripe account upgrade does."""
        await self.billing.control("PUT", "/_sim/billing/account",
                                   json={"api_version": version})

    async def invoices(self, subscription_id: str) -> list[dict[str, Any]]:
        return await self.billing.all("/v1/invoices", {"subscription": subscription_id})

    async def account_field(self, account_id: str, field: str) -> Any:
        return (await self.crm.get("Account", account_id, [field])).get(field)

    # -- the fakes' records of the SUT ----------------------------------------------------

    def journal(self, vendor: str) -> list[dict[str, Any]]:
        """The SUT's requests to ``vendor`` for this tenant (``GET /_sim/journal``)."""
        return self.stack.journal(vendor, self.tenant)

    def early_retries(self, vendors: Iterable[str] = ("crm", "billing", "erp")
                      ) -> list[EarlyRetry]:
        """Requests sent again before Retry-After allowed (see :attr:`EarlyRetry.certain`)."""
        return [e for v in vendors for e in early_retries(v, self.journal(v))]

    def refused_writes(self, vendor: str) -> list[dict[str, Any]]:
        return refused_writes(self.journal(vendor))

    def fault_count(self, vendor: str, kind: str | None = None) -> int:
        return sum(1 for f in self.stack.fault_log(vendor, self.tenant)
                   if kind is None or f.get("kind") == kind)

    def delivered(self, vendor: str) -> list[Delivered]:
        """The events ``vendor`` owed the SUT and what became of them (its outbox and
        delivery log): what a chaos scenario asserts its chaos from."""
        outbox = self.stack.control(vendor, "GET", "/_sim/outbox",
                                    tenant=self.tenant.ref(vendor)).json()["data"]
        return delivered(outbox, self.stack.deliveries(vendor, self.tenant))

    def chaos_happened(self, happened: bool, what: str) -> None:
        """Fail unless the scenario's chaos happened: a run where the delivery rules or
        faults did not apply tested nothing, whatever the oracle says."""
        assert happened, f"the scenario's chaos did not happen (nothing was tested): {what}"

    def outbox_pending(self) -> int:
        total = 0
        for vendor in ("crm", "billing"):
            body = self.stack.control(vendor, "GET", "/_sim/outbox",
                                      tenant=self.tenant.ref(vendor)).json()
            total += int(body.get("pending") or 0)
        return total

    def activity(self) -> tuple[int, ...]:
        """A fingerprint of what has happened so far: the SUT's writes to each fake (its
        reads include idle polling) and the fakes' delivery attempts to it."""
        return (*(sum(1 for e in self.journal(v) if e["method"] in WRITES)
                  for v in ("crm", "billing", "erp")),
                *(len(self.stack.deliveries(v, self.tenant)) for v in ("crm", "billing")))

    # -- the oracle ----------------------------------------------------------------------

    async def check(self) -> Report:
        self.last = await self.oracle.check()
        return self.last

    async def observe(self) -> Observation:
        """One look at this tenant's run (:mod:`harness.settling`): the webhooks the fakes
        still owe the SUT, the SUT's idle probe for this connection, and a fingerprint of
        what happened (the SUT's writes to each fake, the fakes' delivery attempts)."""
        return Observation(outbox=self.outbox_pending(),
                           sut_pending=self.stack.sut_pending(self.tenant),
                           activity=self.activity())

    async def settled(self, *, timeout: float | None = None, quiet: float | None = None
                      ) -> Report:
        """Wait until the run is observed idle (:func:`harness.settling.settle`: the fakes'
        outboxes empty and the SUT's idle probe at 0, twice with nothing in between; a SUT
        without a probe: nothing new for ``quiet`` seconds, the manifest's
        ``[settle].quiet`` by default), then check the oracle. The deadline bounds the
        wait; how it ended is :attr:`last_settle` (recorded in the report). Returns the
        oracle's report (not asserted)."""
        limit = self.timeout if timeout is None else timeout
        wait = self.stack.manifest.settle.quiet if quiet is None else quiet
        self.last_settle = await settle(self.observe, timeout=limit, quiet=wait)
        if self.record is not None:
            self.record.note("settled", self.last_settle.to_dict())
        return await self.check()

    async def settled_ok(self, what: str = "quote-to-cash", **kwargs: Any) -> Report:
        """:meth:`settled`, then assert that it settled and the oracle is clean, naming
        every violation."""
        report = await self.settled(**kwargs)
        self.note_report(report)
        done = self.last_settle
        assert done is None or done.ok, (
            f"{what}: {done.describe()}\nbusiness effects wrong so far:\n{report.summary()}"
            if not report.ok else f"{what}: {done.describe()}")
        caveat = f" ({done.describe()})" if done is not None and done.how != IDLE else ""
        if not report.ok:
            parked = self.parked_summary()
            raise AssertionError(f"{what}: business effects went wrong{caveat}:\n"
                                 f"{report.summary()}" + (f"\n{parked}" if parked else ""))
        return report

    def finding(self, code: str, message: str, severity: str = "revenue") -> str:
        """Record a harness finding (not an oracle check, e.g. RETRY_BEFORE_RETRY_AFTER)
        as a violation of this test; returns ``code: message`` for the assertion."""
        if self.record is not None:
            self.record.violations([{"code": code, "severity": severity, "message": message,
                                     "objects": {}}])
        return f"{code}: {message}"

    def note_report(self, report: Report) -> None:
        if self.record is not None:
            self.record.violations(report.violations)
            self.record.note("oracle_counts", report.counts)

    # -- the SUT's control surface (manifest [admin]) ----------------------------------

    def needs(self, path: str, feature: str) -> None:
        """Fail at once, with SUT_FEATURE_MISSING, unless the manifest names ``[admin].path``."""
        if getattr(self.stack.manifest.admin, path) is None:
            raise FeatureMissing(self.finding(
                SUT_FEATURE_MISSING, f"the SUT's manifest names no [admin].{path}: this "
                f"scenario needs {feature}", severity="compliance"))

    def dlq(self) -> Any:
        """The SUT's parked events for this connection (manifest ``[admin].dlq``)."""
        self.needs("dlq", "a dead-letter queue to read what the SUT parked")
        response = self.stack.dlq(self.tenant)
        assert response.status_code < 300, \
            f"DLQ read refused: {response.status_code} {response.text[:300]}"
        return response.json()

    def parked(self) -> list[Any]:
        """The SUT's parked events as a list (a bare list or a ``{"data": [...]}`` page)."""
        body = self.dlq()
        items = body.get("data", body) if isinstance(body, dict) else body
        return items if isinstance(items, list) else []

    async def _parked(self) -> list[Any]:
        return self.parked()

    def replay(self) -> dict[str, Any]:
        """``POST`` the manifest's replay path for this tenant's connection."""
        self.needs("replay", "a way to replay what the SUT parked")
        response = self.stack.replay(self.tenant)
        assert response.status_code < 300, \
            f"replay refused: {response.status_code} {response.text[:300]}"
        return response.json() if response.content else {}

    async def aclose(self) -> None:
        await self.oracle.aclose()
        await self.world.aclose()


class Q2CRunner:
    """The ``q2c`` fixture: ``q2c.run(scenario)`` runs ``async def scenario(q: Q2C)`` on a
    fresh event loop with this test's tenant."""

    def __init__(self, stack: Stack, tenant: Tenant, record: Recorder | None = None, *,
                 timeout: float = SETTLE_TIMEOUT) -> None:
        self.stack = stack
        self.tenant = tenant
        self.record = record
        self.timeout = timeout

    def run(self, scenario: Callable[[Q2C], Awaitable[T]], *,
            timeout: float | None = None) -> T:
        """``timeout``: the scenario's deadline for each wait (default: the run's,
        ``--fintwin-deadline``)."""
        async def main() -> T:
            q = Q2C(self.stack, self.tenant, self.stack.world(self.tenant),
                    record=self.record, timeout=self.timeout if timeout is None else timeout)
            try:
                return await scenario(q)
            finally:
                await q.aclose()

        return run_sync(main())


__all__ = ["CARD_FAILS", "CARD_OK", "Q2C", "EarlyRetry", "FeatureMissing", "Q2CRunner",
           "early_retries", "fingerprint", "odd_cents_product", "refused_writes", "same_work",
           "with_line"]
