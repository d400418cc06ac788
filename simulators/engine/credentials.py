"""Credentials and secrets: drawn from the operating system's cryptographic source.

Ids come from the run's seed (``engine.seed``): the same seed gives the same ids, which
is what makes a run reproducible. A credential or a secret must not be: anyone who knows
the seed (it is printed in every report and rerun command) and a client id could compute
another tenant's access token or webhook signing secret (issue 18). So access tokens,
client secrets the fake makes and webhook signing secrets come from :mod:`secrets`, and
nothing a verdict, a digest or a report compares may contain one.
"""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_secret(prefix: str = "", length: int = 32) -> str:
    """``prefix`` + ``length`` base62 characters (~5.95 bits each: 32 give 190 bits)."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))
