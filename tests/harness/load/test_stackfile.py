"""The stack file handed to the Locust processes: a faithful round trip, kept private."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from harness.data import Product
from harness.drivers import TenantCredentials
from harness.load.stackfile import LoadStack, LoadTenant


def _stack() -> LoadStack:
    creds = TenantCredentials.derive(7, "load-q2c-01")
    tenant = LoadTenant("load-q2c-01", creds,
                        (Product("SKU-A", "Analytics Pro", "Software",
                                 {"USD": Decimal("49.00"), "EUR": Decimal("0.29")}),),
                        "01s000000000001", {"SKU-A:USD": "01u000000000001"})
    return LoadStack("q2c", 7, 1768467600.0, {"crm": "https://127.0.0.1:1"}, (tenant,),
                     ca_pem="-----BEGIN CERTIFICATE-----", settings={"pace_s": 2.5})


def test_round_trip_keeps_money_exact_and_credentials(tmp_path: Path) -> None:
    path = _stack().write(tmp_path / "stack.json")
    back = LoadStack.read(path)
    assert back == _stack()
    assert back.tenants[0].catalog[0].prices["EUR"] == Decimal("0.29")
    assert back.tenants[0].entry("SKU-A", "usd") == "01u000000000001"
    assert path.stat().st_mode & 0o077 == 0  # client secrets: the owner only


def test_another_version_is_refused(tmp_path: Path) -> None:
    data = _stack().to_json()
    data["version"] = 1
    with pytest.raises(ValueError, match="version"):
        LoadStack.from_json(data)
