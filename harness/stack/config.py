"""What every stack mode shares: its configuration and error, the names of the
estate's members, the headers and variables the harness uses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harness import epoch as epochs
from harness.manifest import VENDORS

MODES_HELP = "inprocess | local | external | containers"
SUT = "sut"
TARGETS = (*VENDORS, SUT)
APP_MODULES = {"crm": "simulators.crm.app", "billing": "simulators.billing.app",
               "erp": "simulators.erp.app"}
ADMIN_HEADER = "X-Sim-Admin-Token"
# The fakes' control-plane token: `fintwin sim` reads it when --admin-token is not given,
# the external mode when the fakes it uses are locked.
SIM_ADMIN_TOKEN_ENV = "FINTWIN_SIM_ADMIN_TOKEN"
SUT_URL_ENV = "FINTWIN_SUT_URL"  # external mode: the running SUT, over [start].url
OBSERVER_HEADER = "X-Fintwin-Observer"
# In-process host names: RoutingTransport routes by host, the scheme is cosmetic (the CRM
# is https because Salesforce clients build https URLs themselves).
INPROCESS_URLS = {"crm": "https://crm.fintwin.test", "billing": "http://billing.fintwin.test",
                  "erp": "http://erp.fintwin.test", SUT: "http://sut.fintwin.test"}


class StackError(RuntimeError):
    """The stack could not start, or a fake or the SUT refused a harness request."""


@dataclass(frozen=True)
class StackConfig:
    """What every mode shares. ``chaos`` is a profile name or a plan file (None: none)."""

    seed: int = 0
    chaos: str | None = None
    # Where every tenant's business clock starts, frozen (unix seconds; harness.epoch):
    # business dates never depend on the day the run happens.
    epoch: float = epochs.resolve()
    run_dir: Path | None = None  # logs, CA, SUT database; a temp dir when None
    delivery_time_scale: float = 0.01
    service_time: float = 0.0  # the fakes' modelled service time (SimSettings.service_time)
    limits: bool = True  # the vendors' own rate/concurrency limits
    lock_fakes: bool = False  # require the admin token on the fakes' /_sim/ routes
    tls: tuple[str, ...] = ("crm",)  # local mode: fakes served over HTTPS
    fakes: str = "process"  # local mode: "process" (fintwin sim) or "thread" (ServerThread)
    startup_timeout: float = 30.0
    sut_env: Mapping[str, str] = field(default_factory=dict)  # extra env for the SUT
    # Extra logical settings for the SUT (e.g. {"variant": "no-dedupe"}): merged into the
    # in-process factory's config; in local mode exported under the manifest's [env]
    # names, or as FINTWIN_<KEY> when the manifest names no variable for the key.
    sut_options: Mapping[str, str] = field(default_factory=dict)
    catalog_size: int = 5  # products seeded into each tenant (CRM, billing, ERP)
    # Keep the bodies of the SUT's requests and the webhooks delivered to it, per tenant
    # (the fakes' journal detail and outbox), for recording its contract from the run.
    traffic: bool = False
    # Vendor API versions a new tenant starts on: "billing" the account's default Stripe
    # version, "crm" the Salesforce API version the SUT is registered with.
    vendor_versions: Mapping[str, str] = field(default_factory=dict)


TRAFFIC_LIMIT = 20_000  # requests per tenant whose bodies the fakes keep (traffic mode)
DELIVERED = "/_sim/outbox?status=delivered"  # the webhooks the SUT acknowledged

