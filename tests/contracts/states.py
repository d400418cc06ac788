"""Driving a fake's provider states the way a Pact verifier does (tests of the vocabularies)."""

from __future__ import annotations

from typing import Any

import httpx


class States:
    """``POST /_sim/provider-states`` for one tenant reference, and the fake's API with the
    credentials the setup answered."""

    def __init__(self, client: httpx.Client, ref: str) -> None:
        self.client = client
        self.ref = ref
        self.values: dict[str, Any] = {}

    def setup(self, state: str, params: dict[str, Any] | None = None,
              **query: str) -> httpx.Response:
        response = self.client.post(
            "/_sim/provider-states", params={"tenant": self.ref, **query},
            json={"state": state, "params": params or {}, "action": "setup"})
        if response.status_code == 200:
            self.values = response.json()
        return response

    def given(self, state: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.setup(state, params)
        assert response.status_code == 200, response.text
        return self.values

    def teardown(self) -> None:
        self.client.post("/_sim/provider-states", params={"tenant": self.ref},
                         json={"state": "", "action": "teardown"}).raise_for_status()

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get(path, params=params,
                               headers={"Authorization": self.values["authorization"]})

    def post(self, path: str, headers: dict[str, str] | None = None,
             **kwargs: Any) -> httpx.Response:
        return self.client.post(path, headers={
            "Authorization": self.values["authorization"], **(headers or {})}, **kwargs)
