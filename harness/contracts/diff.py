"""Two sets of pact files compared interaction by interaction: what a changed contract
changes, to review it (CI fails when the regenerated reference pacts differ from the
committed ones).

Interactions are matched by (consumer, provider, description); the pact's metadata (the
pact library's version) is not part of the contract and is ignored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.contracts.pactfiles import PactFile, find

Key = tuple[str, str, str]


def _index(pacts: Sequence[PactFile]) -> dict[Key, dict[str, Any]]:
    return {(p.consumer, p.provider, str(i.get("description"))): i
            for p in pacts for i in p.interactions}


def _changes(old: Any, new: Any, path: str = "$") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            where = f"{path}.{key}"
            if key not in new:
                out.append(f"{where}: removed")
            elif key not in old:
                out.append(f"{where}: added {json.dumps(new[key])[:120]}")
            else:
                out += _changes(old[key], new[key], where)
        return out
    if old != new:
        return [f"{path}: {json.dumps(old)[:80]} -> {json.dumps(new)[:80]}"]
    return []


def compare(old: Sequence[PactFile], new: Sequence[PactFile]) -> list[str]:
    """Lines describing each interaction added, removed or changed (empty: the same)."""
    before, after = _index(old), _index(new)
    lines = []
    for key in sorted(set(before) | set(after)):
        consumer, provider, description = key
        name = f"{consumer} -> {provider}: {description}"
        if key not in after:
            lines.append(f"- removed  {name}")
        elif key not in before:
            lines.append(f"+ added    {name}")
        else:
            changed = _changes(before[key], after[key])
            if changed:
                lines.append(f"~ changed  {name}")
                lines += [f"      {c}" for c in changed]
    return lines


def compare_paths(old: Sequence[str | Path], new: Sequence[str | Path]) -> list[str]:
    return compare(find(old), find(new))
