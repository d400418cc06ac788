"""The three fakes of a run: their settings and apps in process, their command line
as a process or a container."""

from __future__ import annotations

import importlib
from typing import Any

from harness import epoch as epochs
from harness.stack.config import APP_MODULES, StackConfig
from simulators.engine.settings import SimSettings


def fake_settings(config: StackConfig, **kwargs: Any) -> SimSettings:
    return SimSettings(seed=config.seed, limits=config.limits,
                       delivery_time_scale=config.delivery_time_scale,
                       service_time=config.service_time, epoch=config.epoch,
                       frozen_clock=True, **kwargs)


def create_fake(vendor: str, settings: SimSettings) -> Any:
    return importlib.import_module(APP_MODULES[vendor]).create_app(settings)


def fake_arguments(config: StackConfig, vendor: str, *, port: int, host: str = "127.0.0.1",
                   tls: bool = False, tls_hostnames: tuple[str, ...] = ()) -> list[str]:
    """The ``fintwin sim`` arguments of one fake of this run (a process or a container);
    the control-plane token is not among them (an argument or the environment)."""
    args = ["sim", vendor, "--host", host, "--port", str(port), "--seed", str(config.seed),
            "--epoch", epochs.name(config.epoch), "--freeze-clock",
            "--delivery-time-scale", repr(config.delivery_time_scale)]
    if config.service_time:
        args += ["--service-time", repr(config.service_time)]
    if tls:
        args.append("--tls")
        for name in tls_hostnames:
            args += ["--tls-hostname", name]
    if not config.limits:
        args.append("--no-limits")
    return args

