"""NetSuite's collection envelope around a SuiteQL page.

Shape ``{links, count, hasMore, items, offset, totalResults}``: Oracle,
"Collection Paging" (docs.oracle.com ... section_156414087576.html) and a
sample SuiteQL response in public notes (kinuski-dev/misc-python). Oracle's
example lists links ``next``, ``last`` and ``self``; ``previous`` and
``first`` links on later pages are unverified.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from .engine import SuiteQLPage


def paging_envelope(base_url: str, page: SuiteQLPage, limit: int, offset: int) -> dict[str, Any]:
    """The response body for ``page``, fetched with ``limit`` and ``offset``."""

    def href(at: int) -> str:
        return f"{base_url}?{urlencode({'limit': limit, 'offset': at})}"

    links: list[dict[str, str]] = []
    if offset > 0:
        links.append({"rel": "first", "href": href(0)})
        links.append({"rel": "previous", "href": href(max(offset - limit, 0))})
    if page.has_more:
        links.append({"rel": "next", "href": href(offset + limit)})
    if page.total_results > 0:
        last = ((page.total_results - 1) // limit) * limit
        links.append({"rel": "last", "href": href(last)})
    links.append({"rel": "self", "href": href(offset)})
    return {
        "links": links,
        "count": len(page.items),
        "hasMore": page.has_more,
        "items": page.items,
        "offset": offset,
        "totalResults": page.total_results,
    }
