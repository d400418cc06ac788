"""``fintwin docs``: each fake's API reference (``docs/api/<fake>.md``), written from
its operation declarations (``simulators.engine.reference``)."""

from __future__ import annotations

import importlib
from pathlib import Path

# fake -> (page title, what its request parameters travel in when not in the query)
FAKES = {
    "billing": ("Billing fake (Stripe-shaped): API reference", "form"),
    "crm": ("CRM fake (Salesforce-shaped): API reference", "body"),
    "erp": ("ERP fake (NetSuite-shaped): API reference", "body"),
}
ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "api"


def page(fake: str) -> str:
    from simulators.engine.reference import render

    title, body_in = FAKES[fake]
    app = importlib.import_module(f"simulators.{fake}.app")
    api = importlib.import_module(f"simulators.{fake}.api")
    intro = " ".join(str(app.DESCRIPTION).split())
    return render(title, intro, api.OPERATIONS, body_in=body_in)


def write(folder: Path = DOCS) -> list[Path]:
    """Write every page; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for fake in FAKES:
        path = folder / f"{fake}.md"
        path.write_text(page(fake))
        written.append(path)
    return written


def stale(folder: Path = DOCS) -> list[str]:
    """The fakes whose page differs from what their declarations say now."""
    return [fake for fake in FAKES
            if not (folder / f"{fake}.md").exists()
            or (folder / f"{fake}.md").read_text() != page(fake)]
