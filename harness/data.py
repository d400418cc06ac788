"""Seeded test data from faker: companies, contacts, a product catalog and deals.

Every generator owns its own ``Faker`` instances and ``random.Random``, seeded from the
run seed and a scope (a scenario or test id) through :func:`derive_seed`; nothing touches
the global ``random`` module, so the same (seed, scope) always gives the same data, in
any process and whatever else runs concurrently.

Legal entities follow the ERP fake's default subsidiaries (US/USD, GB/GBP, DE/EUR); FR/EUR
is the unmapped one the compensation scenario uses (no ERP subsidiary until a test adds it).
Money is ``Decimal`` in major units with the currency's ISO 4217 exponent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from faker import Faker

from harness import epoch as epochs

#: ISO 4217 minor-unit exponents of the currencies the fakes use.
EXPONENTS: Mapping[str, int] = MappingProxyType(
    {"USD": 2, "GBP": 2, "EUR": 2, "JPY": 0, "CAD": 2, "AUD": 2, "CHF": 2})


def exponent(currency: str) -> int:
    return EXPONENTS.get(currency.upper(), 2)


def to_minor(amount: Decimal, currency: str) -> int:
    """Major units to integer minor units, exactly (raises if not representable)."""
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} has more than {exponent(currency)} decimals")
    return int(scaled)


def from_minor(amount: int, currency: str) -> Decimal:
    """Integer minor units to a Decimal in major units with the currency's exponent."""
    places = exponent(currency)
    return Decimal(amount).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def derive_seed(run_seed: int, *scope: str) -> int:
    """A 64-bit seed from the run seed and a scope (scenario id, test id, purpose)."""
    text = ":".join([str(run_seed), *scope])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


@dataclass(frozen=True)
class LegalEntity:
    """A legal entity: the CRM Account's ``Legal_Entity__c`` country and its currency."""

    country: str
    currency: str
    locale: str
    mapped: bool  # True when the ERP fake has a subsidiary for it by default


LEGAL_ENTITIES: Mapping[str, LegalEntity] = MappingProxyType({
    "US": LegalEntity("US", "USD", "en_US", True),
    "GB": LegalEntity("GB", "GBP", "en_GB", True),
    "DE": LegalEntity("DE", "EUR", "de_DE", True),
    "FR": LegalEntity("FR", "EUR", "fr_FR", False),
})
MAPPED_ENTITIES: tuple[str, ...] = ("US", "GB", "DE")

#: Account.Industry picklist values of the CRM fake.
INDUSTRIES: tuple[str, ...] = (
    "Technology", "Finance", "Manufacturing", "Retail", "Healthcare", "Other")
_TITLES = ("Head of Finance", "Controller", "VP Procurement", "CFO", "IT Director",
           "Accounts Payable Lead", "Operations Manager")
_PRODUCTS = (  # (name, family, monthly USD list price)
    ("Platform", "Software", "49"), ("Analytics", "Software", "99"),
    ("Connect", "Software", "29"), ("Vault", "Software", "149"),
    ("Insights", "Software", "79"), ("Support Plus", "Services", "199"),
    ("Onboarding", "Services", "249"), ("Edge Gateway", "Hardware", "59"),
)
_TIERS = ("Starter", "Team", "Business", "Enterprise")
# List prices in other currencies: a price book's own round numbers, not FX conversions.
_FACTORS = {"USD": Decimal(1), "GBP": Decimal("0.8"), "EUR": Decimal("0.92")}


@dataclass(frozen=True)
class Address:
    street: str
    city: str
    state: str | None
    postal_code: str
    country: str


@dataclass(frozen=True)
class Company:
    name: str
    industry: str
    website: str
    phone: str
    address: Address
    entity: LegalEntity

    @property
    def currency(self) -> str:
        return self.entity.currency


@dataclass(frozen=True)
class Contact:
    first_name: str
    last_name: str
    email: str
    title: str
    phone: str


@dataclass(frozen=True)
class Product:
    """A catalog product: ``code`` is CRM ProductCode, ERP itemId, billing lookup key root."""

    code: str
    name: str
    family: str
    prices: Mapping[str, Decimal]  # monthly list price per currency, major units

    def price(self, currency: str) -> Decimal:
        return self.prices[currency.upper()]

    def price_minor(self, currency: str) -> int:
        return to_minor(self.price(currency), currency)

    def lookup_key(self, currency: str) -> str:
        """The billing price's ``lookup_key``: ``{ProductCode}:{CURRENCY}``."""
        return f"{self.code}:{currency.upper()}"


@dataclass(frozen=True)
class LineItem:
    product: Product
    quantity: int

    def amount(self, currency: str) -> Decimal:
        return self.product.price(currency) * self.quantity


@dataclass(frozen=True)
class Deal:
    """An opportunity to close: one account, its contacts, 1-3 lines in one currency."""

    key: str  # stable within the factory's scope, e.g. "deal-3"
    name: str
    company: Company
    contacts: tuple[Contact, ...]
    lines: tuple[LineItem, ...]
    close_date: dt.date

    @property
    def currency(self) -> str:
        return self.company.currency

    @property
    def entity(self) -> LegalEntity:
        return self.company.entity

    def monthly_total(self) -> Decimal:
        return sum((line.amount(self.currency) for line in self.lines), Decimal(0))

    def monthly_total_minor(self) -> int:
        return to_minor(self.monthly_total(), self.currency)

    def quantities(self) -> dict[str, int]:
        """Quantity per ProductCode."""
        return {line.product.code: line.quantity for line in self.lines}


@dataclass
class DataFactory:
    """Seeded generator of companies, contacts, products and deals for one scope.

    ``DataFactory(run_seed, "test_happy_path")``: same arguments, same data.
    """

    run_seed: int
    scope: str
    # Close dates start here: the date of the run's business epoch (harness.epoch).
    base_date: dt.date = field(default_factory=lambda: epoch_date(epochs.resolve()))
    _fakers: dict[str, Faker] = field(default_factory=dict, init=False, repr=False)
    _random: random.Random = field(init=False, repr=False)
    _catalog: tuple[Product, ...] | None = field(default=None, init=False, repr=False)
    _deals: int = field(default=0, init=False, repr=False)
    _names: set[str] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(derive_seed(self.run_seed, self.scope, "random"))

    @property
    def seed(self) -> int:
        return derive_seed(self.run_seed, self.scope)

    def faker(self, locale: str) -> Faker:
        found = self._fakers.get(locale)
        if found is None:
            found = Faker(locale)
            found.seed_instance(derive_seed(self.run_seed, self.scope, "faker", locale))
            self._fakers[locale] = found
        return found

    # --- catalog -----------------------------------------------------------------------

    def catalog(self, size: int = 5) -> tuple[Product, ...]:
        """The scope's product catalog (created once; later calls return the same one)."""
        if self._catalog is not None:
            return self._catalog
        rng = random.Random(derive_seed(self.run_seed, self.scope, "catalog"))
        picks = rng.sample(_PRODUCTS, min(size, len(_PRODUCTS)))
        products = []
        suffix = f"{rng.randrange(16 ** 4):04X}"
        for index, (base, family, usd) in enumerate(picks):
            tier = rng.choice(_TIERS)
            code = f"SKU-{base.upper().replace(' ', '')[:6]}-{suffix}{index}"
            multiplier = Decimal(rng.choice((1, 1, 2, 3)))
            list_usd = Decimal(usd) * multiplier
            prices = {cur: _list_price(list_usd * factor) for cur, factor in _FACTORS.items()}
            products.append(Product(code, f"{base} {tier}", family, prices))
        self._catalog = tuple(products)
        return self._catalog

    # --- companies and contacts --------------------------------------------------------

    def company(self, entity: str | LegalEntity = "US") -> Company:
        legal = entity if isinstance(entity, LegalEntity) else LEGAL_ENTITIES[entity]
        fake = self.faker(legal.locale)
        name = str(fake.company())
        while name in self._names:  # account names unique within the scope
            name = f"{fake.company()}"
            if name in self._names:
                name = f"{name} {fake.city()}"
        self._names.add(name)
        state = str(fake.state()) if legal.country == "US" else None
        address = Address(street=str(fake.street_address()), city=str(fake.city()),
                          state=state, postal_code=str(fake.postcode()), country=legal.country)
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:20] or "company"
        return Company(name=name, industry=self._random.choice(INDUSTRIES),
                       website=f"https://www.{slug}.example", phone=str(fake.phone_number()),
                       address=address, entity=legal)

    def contact(self, company: Company) -> Contact:
        fake = self.faker(company.entity.locale)
        first, last = str(fake.first_name()), str(fake.last_name())
        domain = company.website.removeprefix("https://www.")
        local = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
        return Contact(first_name=first, last_name=last, email=f"{local}@{domain}",
                       title=self._random.choice(_TITLES), phone=str(fake.phone_number()))

    # --- deals --------------------------------------------------------------------------

    def deal(self, entity: str | LegalEntity | None = None, *, lines: int | None = None,
             catalog: Sequence[Product] | None = None) -> Deal:
        """One deal: a new company (entity random among the mapped ones unless given),
        one or two contacts, 1-3 distinct products with quantities 1-20."""
        self._deals += 1
        products = list(catalog or self.catalog())
        legal = entity if entity is not None else self._random.choice(MAPPED_ENTITIES)
        company = self.company(legal)
        contacts = tuple(self.contact(company) for _ in range(self._random.randint(1, 2)))
        count = lines if lines is not None else self._random.randint(1, 3)
        chosen = self._random.sample(products, min(count, len(products)))
        items = tuple(LineItem(p, self._random.choice((1, 1, 2, 3, 5, 10, 20)))
                      for p in chosen)
        close = self.base_date + dt.timedelta(days=self._random.randint(0, 30))
        name = f"{company.name} - {' + '.join(i.product.name for i in items)}"[:120]
        return Deal(key=f"deal-{self._deals}", name=name, company=company, contacts=contacts,
                    lines=items, close_date=close)

    def deals(self, count: int, entities: Iterable[str] = MAPPED_ENTITIES) -> list[Deal]:
        """``count`` deals spread round-robin over ``entities`` (several currencies)."""
        order = list(entities)
        return [self.deal(order[i % len(order)]) for i in range(count)]


def epoch_date(seconds: float) -> dt.date:
    """The UTC date of an epoch (unix seconds)."""
    return dt.datetime.fromtimestamp(seconds, dt.UTC).date()


def _list_price(amount: Decimal) -> Decimal:
    """A list price: whole units ending in 9 for small amounts, else whole tens minus 1."""
    whole = amount.quantize(Decimal(1), ROUND_HALF_UP)
    if whole < 10:
        return whole.quantize(Decimal("0.01"))
    return (Decimal((int(whole) + 5) // 10 * 10) - 1).quantize(Decimal("0.01"))
