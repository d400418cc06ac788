"""The generated pages of the documentation site are written from the code, and kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import api_docs, docsite
from harness.cli import build_parser, main

PARSER = build_parser()


def test_every_generated_page_is_up_to_date() -> None:
    stale = docsite.stale(PARSER)
    assert not stale, f"stale generated docs pages {stale}: run `make docs` and commit them"


def test_the_cli_page_has_every_subcommand_and_plugin_option() -> None:
    page = docsite.cli_page(PARSER)
    for command in ("sim", "serve", "demo", "verify-harness", "soak", "init", "contracts",
                    "upgrade-check", "docs"):
        assert f"## fintwin {command}\n" in page
    for option in ("--fintwin-sut", "--fintwin-seed", "--fintwin-epoch", "--fintwin-stack",
                   "--fintwin-chaos", "--fintwin-report"):
        assert f"`{option}`" in page
    assert "`2026-01-15T09:00:00Z`" in page, "an epoch default shown as an instant"
    assert "| `--deals` `DEALS` | flows to run (default 100) | `100` |" in page


def test_the_control_plane_comes_from_every_fakes_openapi_document() -> None:
    documents = docsite.openapi_documents()
    page = docsite.control_plane_page(documents)
    common = page.split("## On every fake")[1].split("##")[0]
    for route in ("/_sim/health", "/_sim/faults", "/_sim/journal", "/_sim/clock/advance"):
        assert docsite._path(route) in common
    assert "## billing (Stripe-shaped) only" in page
    billing_only = page.split("## billing (Stripe-shaped) only")[1].split("##")[0]
    assert docsite._path("/_sim/billing/account") in billing_only
    sim_paths = {p for d in documents.values() for p in d["paths"] if p.startswith("/_sim")}
    assert all(docsite._path(p) in page for p in sim_paths), "every /_sim/ path on the page"


def test_endpoint_tables_link_the_vendors_pages() -> None:
    documents = docsite.openapi_documents()
    billing = docsite.endpoints_snippet("billing", documents["billing"])
    assert (f"| POST | {docsite._path('/v1/customers')} | Create a customer | "
            "[Stripe](https://docs.stripe.com/api/customers) |") in billing
    crm = docsite.endpoints_snippet("crm", documents["crm"])
    assert "resources_query.htm" in crm and "fintwin's own" in crm  # /fintwin/changeEvents
    assert docsite.vendor_page("crm", "/services/data/v{version}/sobjects/{sobject}/{id}") \
        .endswith("resources_sobject_retrieve.htm")
    assert docsite.vendor_page("erp", "/services/rest/query/v1/suiteql") \
        .endswith("section_157909186990.html")
    assert docsite.vendor_page("billing", "/v1/test_helpers/test_clocks") \
        == "https://docs.stripe.com/api/test_clocks"


def test_write_and_stale_agree(tmp_path: Path) -> None:
    assert set(docsite.stale(PARSER, tmp_path)) == set(docsite.pages(PARSER))
    written = docsite.write(PARSER, tmp_path)
    assert len(written) == len(docsite.pages(PARSER)) and docsite.stale(PARSER, tmp_path) == []
    (tmp_path / "reference" / "cli.md").write_text("edited by hand\n")
    assert docsite.stale(PARSER, tmp_path) == ["reference/cli.md"]


def test_one_command_writes_every_generated_page_the_api_reference_included(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`fintwin docs` is the one writer of docs/'s generated pages: the fakes' API reference
    (harness.api_docs, from the operation declarations) is among them, the same text."""
    generated = docsite.pages(PARSER)
    assert {f"api/{fake}.md" for fake in api_docs.FAKES} <= set(generated)
    assert generated["api/billing.md"] == api_docs.page("billing")
    docs = tmp_path / "docs"
    assert docsite.main(PARSER, check=True, root=docs) == 1
    assert "docs/api/billing.md is out of date" in capsys.readouterr().err
    assert docsite.main(PARSER, root=docs) == 0
    assert "wrote docs/api/erp.md" in capsys.readouterr().out
    assert (docs / "api" / "erp.md").read_text() == api_docs.page("erp")
    assert docsite.main(PARSER, check=True, root=docs) == 0
    assert main(["docs", "--check"]) == 0, "the committed pages, through the command"


def test_the_codes_page_lists_every_check_of_the_oracle_with_its_codes() -> None:
    from harness.oracle.registry import REGISTRY

    page = docsite.codes_page().split("## The checks")[1]
    assert REGISTRY and all(f"| `{name}` |" in page for name in REGISTRY)
    assert "`INVOICE_TAX_RATE_MISMATCH`" in page.split("| `tax_rates_by_entity` |")[1]
