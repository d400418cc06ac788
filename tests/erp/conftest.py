from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.erp.support import Erp


@pytest.fixture
def erp() -> Iterator[Erp]:
    session = Erp()
    yield session
    session.close()
