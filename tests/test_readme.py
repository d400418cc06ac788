"""The README is the newcomer's one screen: what fintwin is, the two quick-start commands,
testing your own SUT, links into the docs. Everything else lives in docs/, where
``mkdocs build --strict`` checks the links; the README's own links are checked here."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    # Python-Markdown's toc slugify, which mkdocs uses: drop what is not a word character,
    # a space or a hyphen, lower-case, spaces to hyphens.
    text = re.sub(r"[^\w\s-]", "", heading.replace("`", "")).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {_slug(m) for m in re.findall(r"^#+\s+(.+?)\s*$", text, flags=re.M)}


def _links(page: Path) -> list[str]:
    return [t for t in LINK.findall(page.read_text()) if not re.match(r"^[a-z]+:", t)]


def test_the_readme_fits_on_one_screen_with_the_two_quick_start_commands() -> None:
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 90, "the README is one screen: move detail into docs/"
    quick = text.split("## Quick start")[1].split("\n## ")[0]
    assert "make demo" in quick and "make test" in quick
    assert "fintwin init" in text and "--fintwin-sut" in text, "testing your own SUT"


def test_the_readme_links_the_node_sut_figures() -> None:
    text = (ROOT / "README.md").read_text()
    assert "docs/node-sut.md#figures" in text
    figures = (ROOT / "docs" / "node-sut.md").read_text().split("## Figures")[1]
    assert "make pytest-node" in figures, "figures recorded with the command that made them"


def test_every_relative_link_of_the_readme_and_architecture_resolves() -> None:
    broken = []
    for page in (ROOT / "README.md", ROOT / "ARCHITECTURE.md"):
        for target in _links(page):
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert not broken, broken
