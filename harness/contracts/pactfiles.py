"""Pact files as fintwin reads them: found, grouped by provider, and prepared for a fake.

Preparing a pact for verification changes only what the fake must own, in a copy:

- credentials: a request's ``Authorization: Bearer ...`` is the consumer's example, which no
  fake knows; it gets the provider-state generator ``${authorization}`` (the credential of
  the verification tenant the state handler answers) unless it already has a generator;
- the CRM API version: ``--api-version`` moves every ``/services/data/vXX.X/`` path to it;
- billing's API version pins: the state "the billing account is on API version V" keeps
  an interaction at V; an upgrade rehearsal can override the pins with one version.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROVIDERS = ("billing", "crm", "erp")
# Other names a team may give the providers in its pacts.
ALIASES = {"stripe": "billing", "salesforce": "crm", "sfdc": "crm", "netsuite": "erp"}
VERSION_STATE = "the billing account is on API version {version}"
_VERSION_STATE = re.compile(r"^the billing account is on API version (?P<v>\S+)$", re.I)
_DATA_PATH = re.compile(r"/services/data/v\d+\.\d+(?=/|$)")
_VERSION_IN_REGEX = re.compile(r"v\d+(\\)?\.\d+")
AUTH_GENERATOR = {"type": "ProviderState", "expression": "${authorization}"}


class PactFileError(Exception):
    pass


@dataclass
class PactFile:
    path: Path
    data: dict[str, Any]

    @property
    def consumer(self) -> str:
        return str((self.data.get("consumer") or {}).get("name") or "?")

    @property
    def provider(self) -> str:
        name = str((self.data.get("provider") or {}).get("name") or "")
        return ALIASES.get(name.lower(), name.lower())

    @property
    def interactions(self) -> list[dict[str, Any]]:
        found = self.data.get("interactions") or self.data.get("messages") or []
        return list(found)

    def interaction(self, description: str) -> dict[str, Any] | None:
        for item in self.interactions:
            if item.get("description") == description:
                return item
        return None


def find(sources: Sequence[str | Path]) -> list[PactFile]:
    """The pact files named, or found (``*.json``) in the directories named (not in their
    subdirectories)."""
    files: list[Path] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            files += sorted(p for p in path.glob("*.json") if p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise PactFileError(f"no such pact file or directory: {path}")
    out = []
    for path in files:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise PactFileError(f"{path}: not a pact file ({exc})") from exc
        if not isinstance(data, dict) or "provider" not in data:
            continue  # some other JSON lying next to the pacts
        out.append(PactFile(path, data))
    if not out:
        raise PactFileError("no pact files in " + ", ".join(str(s) for s in sources))
    return out


def for_provider(pacts: Iterable[PactFile], provider: str) -> list[PactFile]:
    return [p for p in pacts if p.provider == provider]


def states_of(interaction: Mapping[str, Any]) -> list[dict[str, Any]]:
    states = interaction.get("providerStates")
    if states is None and interaction.get("providerState"):
        states = [{"name": interaction["providerState"]}]
    return list(states or [])


def pinned_version(interaction: Mapping[str, Any]) -> str | None:
    """The billing API version an interaction's states pin it to, if any."""
    for state in states_of(interaction):
        name = str(state.get("name") or "")
        if name.lower() == VERSION_STATE.lower():
            version = (state.get("params") or {}).get("version")
            return str(version) if version else None
        found = _VERSION_STATE.match(name)
        if found:
            return found.group("v")
    return None


def _requests(interaction: dict[str, Any]) -> Iterator[dict[str, Any]]:
    request = interaction.get("request")
    if isinstance(request, dict):
        yield request


def _with_auth_generator(request: dict[str, Any]) -> None:
    headers = request.get("headers") or {}
    name = next((k for k in headers if k.lower() == "authorization"), None)
    if name is None:
        return
    value = headers[name]
    value = value[0] if isinstance(value, list) and value else value
    if not str(value).lower().startswith(("bearer ", "oauth ")):
        return  # Basic client credentials of a token request: the consumer's own
    generators = request.setdefault("generators", {}).setdefault("header", {})
    if not any(k.lower() == "authorization" for k in generators):
        generators[name] = dict(AUTH_GENERATOR)


def _crm_version(request: dict[str, Any], version: str) -> None:
    target = f"/services/data/v{version.removeprefix('v')}"
    if isinstance(request.get("path"), str):
        request["path"] = _DATA_PATH.sub(target, request["path"])
    path_gen = (request.get("generators") or {}).get("path")
    if isinstance(path_gen, dict) and isinstance(path_gen.get("expression"), str):
        path_gen["expression"] = _DATA_PATH.sub(target, path_gen["expression"])
    rules = (request.get("matchingRules") or {}).get("path")
    escaped = "v" + re.escape(version.removeprefix("v"))
    for matcher in (rules or {}).get("matchers", []) if isinstance(rules, dict) else []:
        if isinstance(matcher.get("regex"), str):  # v59\.0 (escaped) or v59.0
            matcher["regex"] = _VERSION_IN_REGEX.sub(lambda _: escaped, matcher["regex"])


def _override_pin(interaction: dict[str, Any], version: str) -> None:
    for state in states_of(interaction):
        name = str(state.get("name") or "")
        if name.lower() == VERSION_STATE.lower() or _VERSION_STATE.match(name):
            state["name"] = VERSION_STATE
            state["params"] = {**(state.get("params") or {}), "version": version}


def prepared(pact: PactFile, *, crm_version: str | None = None,
             billing_version: str | None = None) -> dict[str, Any]:
    """A copy of the pact as fintwin verifies it (see the module docstring);
    ``billing_version`` overrides every interaction's API version pin."""
    data = copy.deepcopy(pact.data)
    items = data.get("interactions") or data.get("messages") or []
    for interaction in items:
        for request in _requests(interaction):
            _with_auth_generator(request)
            if crm_version and pact.provider == "crm":
                _crm_version(request, crm_version)
        if billing_version and pact.provider == "billing":
            _override_pin(interaction, billing_version)
    return data


def write_prepared(pacts: Iterable[PactFile], directory: Path, **options: str | None
                   ) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for n, pact in enumerate(pacts):
        path = directory / f"{n:03d}-{pact.path.name}"
        path.write_text(json.dumps(prepared(pact, **options), indent=2))
        out.append(path)
    return out
