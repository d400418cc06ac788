"""Finding the stack file from a Locust process: ``$FINTWIN_LOAD_STACK`` first (a worker
on another machine names its own copy), else ``--fintwin-stack`` (a worker on the same
machine gets the master's value with the spawn message)."""

from __future__ import annotations

import os
from typing import Any

from locust import events
from locust.env import Environment

from harness.load.stackfile import ENV, LoadStack

_LOADED: dict[str, LoadStack] = {}


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--fintwin-stack", default="", env_var=ENV,
                        help="the stack file written by `fintwin load` (or `fintwin load "
                             "--serve`): the fakes, tenants and scenario settings")


def stack_path(environment: Environment) -> str:
    path = os.environ.get(ENV) or str(getattr(environment.parsed_options,
                                              "fintwin_stack", "") or "")
    if not path:
        raise RuntimeError("no stack file: start the stack with `fintwin load --serve "
                           "--scenario <name>` and pass --fintwin-stack <its stack.json>")
    return path


def load_stack(environment: Environment) -> LoadStack:
    path = stack_path(environment)
    found = _LOADED.get(path)
    if found is None:
        found = _LOADED[path] = LoadStack.read(path)
    return found
