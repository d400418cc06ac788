"""Before the load: the vendor limits on the fakes, the tenants, and for the month-end the
book of business that renews.

Tenants are provisioned by the harness as the vendors' admins would (``Stack.anew_tenant``:
catalog, webhook endpoint and CRM subscription pointing at the SUT, the connection
registered with it). The month-end book is sold through the SUT itself: real deals closed
won in the CRM and taken to cash by the SUT, all at one frozen business instant, so that
every subscription renews at the same instant a month later. The harness closes those
deals as observer with the fakes' limits off (setting up is not what is measured); the
run's limits are put on afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import httpx

from harness.data import DataFactory, Deal, epoch_date
from harness.drivers import DriverError, World
from harness.load.profiles import LimitProfile
from harness.load.stackfile import LoadTenant
from harness.manifest import VENDORS
from harness.stack import Stack, StackError, Tenant
from harness.waiting import NotYet

ENTITIES = ("US", "GB", "DE")
STRIPE_DRAFT_HOUR = 3600  # a renewal invoice stays draft an hour before it is finalized


def apply_limits(stack: Stack, profile: LimitProfile, tenants: Iterable[Tenant]) -> None:
    """Put ``profile`` on the fakes: their own limit rules on or off, the profile's rules
    as the fault plan, and each tenant's CRM daily allocation."""
    for vendor in VENDORS:
        stack.control(vendor, "PUT", "/_sim/limits",
                      json={"enabled": profile.enforce == "defaults"})
        rules = profile.rules(vendor)
        stack.set_faults({"rules": rules} if rules else None, (vendor,))
    daily = profile.crm_daily()
    if daily is None:
        return
    for tenant in tenants:
        stack.control("crm", "PUT", "/_sim/crm/limits", tenant=tenant.ref("crm"),
                      json={"daily_api_requests": daily, "reset_usage": True})


def load_tenant(tenant: Tenant) -> LoadTenant:
    """What a Locust user needs of a provisioned tenant (the stack file's entry)."""
    catalog = tenant.crm_catalog
    if catalog is None:
        raise StackError(f"tenant {tenant.label} has no CRM catalog")
    return LoadTenant(
        label=tenant.label, credentials=tenant.credentials, catalog=tenant.catalog,
        pricebook_id=catalog.pricebook_id,
        entries={f"{code}:{cur}": entry for (code, cur), entry in catalog.entries.items()})


async def unwire(stack: Stack, tenant: Tenant) -> None:
    """Take the SUT's receivers off ``tenant`` (the billing webhook endpoint, the CRM
    change-event subscription): its load reaches the fakes only."""
    world = stack.world(tenant)
    try:
        if tenant.billing.endpoint_id:
            await world.billing.delete(f"/v1/webhook_endpoints/{tenant.billing.endpoint_id}")
        if tenant.crm.subscription_id:
            await world.crm.control("DELETE", f"/_sim/subscriptions/{tenant.crm.subscription_id}",
                                    expected=(200, 204))
    finally:
        await world.aclose()


async def provision(stack: Stack, count: int, prefix: str) -> list[Tenant]:
    """``count`` tenants, a few at a time."""
    gate = asyncio.Semaphore(4)

    async def one(n: int) -> Tenant:
        async with gate:
            return await stack.anew_tenant(f"{prefix}-{n + 1:02d}")

    return list(await asyncio.gather(*(one(n) for n in range(count))))


@dataclass(frozen=True)
class Book:
    """One tenant's subscriptions sold for the month-end, and when they renew."""

    tenant: str
    subscriptions: int
    renews_at: float  # the subscriptions' current_period_end (unix seconds)
    setup_s: float
    unsold: int = 0  # deals whose sale failed during setup (not in the book)

    @property
    def advance_to(self) -> float:
        """Past the renewal and Stripe's draft hour: every renewal invoice is drafted,
        finalized and charged in one advance of the billing clock."""
        return self.renews_at + STRIPE_DRAFT_HOUR + 60


def first_of_month(epoch: float) -> float:
    """The first 1st of a month at midnight UTC at or after ``epoch``: the month-end book
    is sold there, so that every subscription renews on the 1st of the next month."""
    at = dt.datetime.fromtimestamp(epoch, dt.UTC)
    start = at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if start < at:
        start = (start + dt.timedelta(days=32)).replace(day=1)
    return start.timestamp()


async def _count(world: World, record_type: str) -> int:
    rows = await world.erp.suiteql(f"SELECT COUNT(*) AS n FROM transaction "
                                   f"WHERE type = '{record_type}'")
    return int(rows[0]["n"]) if rows else 0


async def _customer_of(world: World, account_id: str, timeout: float) -> str:
    """The billing customer the SUT wrote back to the account. A read the fake drops
    (a keep-alive connection closed under load) is read again: waiting is observation."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            found = await world.crm.get("Account", account_id, ["Billing_Customer_Id__c"])
            if found.get("Billing_Customer_Id__c"):
                return str(found["Billing_Customer_Id__c"])
        await asyncio.sleep(0.2)  # between probes of a condition with a deadline
    raise NotYet(f"account {account_id}: no billing customer after {timeout:.0f} s")


async def _sell(world: World, deal: Deal, timeout: float) -> None:
    """A lean deal (one contact, one line, no quote: the SUT takes the opportunity's
    lines), the customer's card once the SUT has made the customer, then closed won."""
    made = await world.crm.create_deal(replace(deal, contacts=deal.contacts[:1]), quote=False)
    customer = await _customer_of(world, made.account_id, timeout)
    await world.billing.set_card(customer, fails=False)
    await world.crm.close_won(made.opportunity_id)


async def sell_book(stack: Stack, tenant: Tenant, subscriptions: int, epoch: float, *,
                    concurrency: int = 32, timeout: float = 1800.0,
                    progress: Callable[[int, int], None] | None = None) -> Book:
    """Sell ``subscriptions`` deals for ``tenant`` at :func:`first_of_month` of the epoch
    (the tenant's clocks moved there from the epoch, frozen) and wait
    until the SUT has taken every subscription it made to cash (ERP invoice and payment).
    The book is what the CRM holds closed won, counted at the end."""
    started = time.monotonic()
    world = stack.world(tenant)
    book_at = first_of_month(epoch)
    data = DataFactory(stack.seed, f"{tenant.label}/book", base_date=epoch_date(book_at))
    try:
        await world.clock.freeze(book_at)
        gate = asyncio.Semaphore(concurrency)
        done = failed = 0

        async def one(index: int) -> None:
            nonlocal done, failed
            deal = data.deal(ENTITIES[index % len(ENTITIES)], lines=1, catalog=tenant.catalog)
            async with gate:
                try:
                    await _sell(world, deal, timeout=300.0)
                except (httpx.HTTPError, DriverError, NotYet) as exc:
                    failed += 1
                    say(f"  book: deal {index + 1} not sold ({type(exc).__name__}: "
                        f"{str(exc)[:160]}); another takes its place")
                    return
            done += 1
            if progress is not None:
                progress(done, subscriptions)

        # A deal whose sale failed (a write the fake dropped under load) is replaced by a
        # new one until the book is full, a few rounds at most.
        sold_before, index = 0, 0
        for _ in range(5):
            wanted = subscriptions - done
            if wanted <= 0:
                break
            await asyncio.gather(*(one(i) for i in range(index, index + wanted)))
            index += wanted
            if done == sold_before:
                break
            sold_before = done
        # The book is what was closed won: the SUT makes the subscriptions after that,
        # so wait until billing holds them all and the ERP has each one's payment.
        won = len(await world.crm.query("SELECT Id FROM Opportunity WHERE IsWon = true"))
        deadline = time.monotonic() + timeout
        while len(await world.billing.subscriptions()) < won or \
                await _count(world, "CustPymt") < won:
            if time.monotonic() > deadline:
                raise NotYet(f"{tenant.label}: the book's {won} subscriptions are not all "
                             f"in billing with their first payment in the ERP after "
                             f"{timeout:.0f} s")
            await asyncio.sleep(1.0)  # between probes of a condition with a deadline
        sold = won
        subs = await world.billing.get("/v1/subscriptions", {"limit": 1})
        renews_at = float(subs["data"][0]["current_period_end"])
    finally:
        await world.aclose()
    return Book(tenant.label, sold, renews_at, round(time.monotonic() - started, 1), failed)


def say(message: str) -> None:
    print(f"fintwin load: {message}", file=sys.stderr, flush=True)


