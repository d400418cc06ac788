"""Consumer contract tests: the reference integration layer's real vendor clients and flows
against pact-python's mock servers; each passing test merges its interactions into the
pact files of its consumer (``--pact-dir``, default a temporary directory: ``make pacts``
writes the committed ones in pacts/).

``--contract-variant NAME`` runs the same tests with a faulty variant's parts
(``integration_layer/service/variants.py``): its pacts hold what that variant can
consume, and the tests of what it cannot consume fail.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from integration_layer.service.variants import VARIANTS
from tests.contracts.consumer.pacts import Contract


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contracts", "consumer contract tests")
    group.addoption("--pact-dir", default=None, metavar="DIR",
                    help="merge the consumer tests' pacts into DIR (default: a temp dir)")
    group.addoption("--contract-variant", default="reference", choices=sorted(VARIANTS),
                    help="the integration-layer variant whose contract is written")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[OUTCOME] = report.passed
        variant = item.config.getoption("--contract-variant")
        if report.failed and variant != "reference":
            # A variant's contract is what its code consumes: a consumer test it fails
            # names what it cannot (its interactions stay out of its pacts).
            report.outcome = "skipped"
            report.wasxfail = f"{variant} cannot consume this"
    return report


OUTCOME = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def pact_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = request.config.getoption("--pact-dir")
    return Path(given) if given else tmp_path_factory.mktemp("pacts")


@pytest.fixture
def contract(request: pytest.FixtureRequest, pact_dir: Path) -> Iterator[Contract]:
    """This test's pacts with the three providers; written (merged) when it passes."""
    variant = VARIANTS[request.config.getoption("--contract-variant")]
    contract = Contract(f"fintwin-{variant.name}", variant.parts)
    yield contract
    if request.node.stash.get(OUTCOME, False):
        contract.write(pact_dir)
