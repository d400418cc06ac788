"""A small keep-alive HTTP/1.1 load generator (asyncio streams, prebuilt requests).

Python HTTP clients (httpx, requests) are slower than the servers measured here,
so figures would be the client's; raw streams keep the client out of the way.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Result:
    requests: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(len(xs) * p))] * 1000 if xs else 0.0


async def _conn(host: str, port: int, make: Callable[[int], bytes], until: float,
                lat: list[float], statuses: dict[int, int], counter: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < until:
            counter[0] += 1
            req = make(counter[0])
            t0 = time.perf_counter()
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            lat.append(time.perf_counter() - t0)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def run(host: str, port: int, make: Callable[[int], bytes], *, seconds: float = 3.0,
              connections: int = 16) -> Result:
    lat: list[float] = []
    statuses: dict[int, int] = {}
    counter = [0]
    start = time.perf_counter()
    until = start + seconds
    await asyncio.gather(*(_conn(host, port, make, until, lat, statuses, counter)
                           for _ in range(connections)))
    return Result(len(lat), time.perf_counter() - start, lat, statuses)


def request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
        lines.append("Content-Type: application/x-www-form-urlencoded")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def merge(results: list[Result]) -> Result:
    """One figure from several rounds of the same load."""
    statuses: dict[int, int] = {}
    for r in results:
        for k, v in r.statuses.items():
            statuses[k] = statuses.get(k, 0) + v
    return Result(sum(r.requests for r in results), sum(r.seconds for r in results),
                  [x for r in results for x in r.latencies], statuses)


async def interleave(targets: list[tuple[int, Callable[[int], bytes]]], *, seconds: float,
                     rounds: int = 6, connections: int = 16,
                     host: str = "127.0.0.1") -> list[Result]:
    """Load each (port, request maker) for ``seconds`` in all, in short alternating rounds.

    Every target gets a slice of each round (in rotating order), so a change in
    the machine's background load during the run weighs on all of them alike
    and ratios between them stay fair.
    """
    slices: list[list[Result]] = [[] for _ in targets]
    for i in range(rounds):
        order = list(range(len(targets)))
        order = order[i % len(order):] + order[:i % len(order)]
        for t in order:
            port, make = targets[t]
            slices[t].append(await run(host, port, make, seconds=seconds / rounds,
                                       connections=connections))
    return [merge(s) for s in slices]
