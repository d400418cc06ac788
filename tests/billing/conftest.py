from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from harness.servers import ServerThread
from simulators.billing.app import create_app
from simulators.engine.app import SimApp
from simulators.engine.settings import SimSettings


@pytest.fixture(scope="module")
def billing() -> Iterator[tuple[SimApp, str]]:
    app = create_app(SimSettings(seed=7, limits=False, delivery_time_scale=0.0001))
    with ServerThread(app) as server:
        yield app, server.url


@pytest.fixture
def client(billing: tuple[SimApp, str], api_key: str) -> stripe.StripeClient:
    _, url = billing
    return stripe.StripeClient(api_key, base_addresses={"api": url}, max_network_retries=0)
