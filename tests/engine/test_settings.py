"""A fake's settings: frozen once built, from defaults, a TOML file, FINTWIN_SIM_*
variables and the command line, later layers winning."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from simulators.engine.settings import SimSettings


def test_settings_cannot_change_once_built() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        SimSettings().seed = 3  # type: ignore[misc]


def test_layers_in_their_documented_order(tmp_path: Path) -> None:
    file = tmp_path / "sim.toml"
    file.write_text('seed = 1\nadmin_token = "from-file"\ndelivery_time_scale = 0.5\n')
    env = {"FINTWIN_SIM_SEED": "2", "FINTWIN_SIM_LIMITS": "false", "UNRELATED": "x"}
    loaded = SimSettings.load(file=file, env=env, overrides={"seed": 3})
    assert (loaded.seed, loaded.admin_token, loaded.limits, loaded.delivery_time_scale) == (
        3, "from-file", False, 0.5)
    assert SimSettings.load(file=file, env=env).seed == 2
    assert SimSettings.load().seed == 0
    # An empty variable is unset: compose's ${FINTWIN_SIM_ADMIN_TOKEN:-} leaves it unlocked.
    assert SimSettings.load(env={"FINTWIN_SIM_ADMIN_TOKEN": ""}).admin_token is None


@pytest.mark.parametrize(("env", "message"), [
    ({"FINTWIN_SIM_SEED": "seven"}, "FINTWIN_SIM_SEED: a number"),
    ({"FINTWIN_SIM_LIMITS": "maybe"}, "FINTWIN_SIM_LIMITS: true or false"),
    ({"FINTWIN_SIM_SEEDS": "1"}, "unknown fake settings: \\['seeds'\\]"),
])
def test_a_bad_value_names_its_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SimSettings.load(env=env)
