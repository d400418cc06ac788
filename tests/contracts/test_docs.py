"""docs/contracts.md lists the provider-state vocabulary other teams write pacts against: it
must be the fakes' current one (``fintwin contracts states`` prints it)."""

from __future__ import annotations

import re
from pathlib import Path

from harness.contracts.cli import vocabulary_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "contracts.md"


def test_the_documented_vocabulary_is_the_fakes() -> None:
    found = re.search(r"<!-- states:begin \(fintwin contracts states\) -->\n(.*?)"
                      r"<!-- states:end -->", DOC.read_text(), re.S)
    assert found, "docs/contracts.md has lost its states markers"
    assert found.group(1) == vocabulary_markdown(), (
        "docs/contracts.md lists other states than the fakes have: put the output of "
        "`fintwin contracts states` between its states markers")
