"""Stripe's metadata on update: keys merge into what is there; an empty value removes
its key, and ``metadata=""`` removes every key (Stripe API reference, "Metadata":
"You can unset an individual key by setting its value to an empty string ... you can
unset all keys by posting an empty value to metadata")."""

from __future__ import annotations

from collections.abc import Mapping

from simulators.engine.frozen import NO_METADATA, FrozenDict

# What ``metadata=""`` checks to (params.Metadata): empty like NO_METADATA, but its own
# object, so that an update can tell "remove all" from "nothing sent".
CLEAR_ALL = FrozenDict()


def updated_metadata(current: Mapping[str, str] | None, given: Mapping[str, str] | None
            ) -> FrozenDict:
    """The metadata after an update that sent ``given``."""
    if given is CLEAR_ALL:
        return NO_METADATA
    merged = {**(current or {}), **(given or {})}
    return FrozenDict({k: v for k, v in merged.items() if v != ""})
