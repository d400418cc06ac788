"""engine.offload: a Deferred's work runs in the pool and its finish on the loop; a
tenant has at most PER_TENANT pieces of work at once; budgets stop work."""

from __future__ import annotations

import asyncio
import threading

import pytest

from simulators.engine import offload
from simulators.engine.offload import Budget, BudgetExceeded, Deferred, settle


def test_work_runs_off_the_loop_thread_and_finish_on_it() -> None:
    async def main() -> tuple[str, str, str]:
        loop_thread = threading.current_thread().name
        seen: dict[str, str] = {}

        def work() -> int:
            seen["work"] = threading.current_thread().name
            return 41

        def finish(n: int) -> int:
            seen["finish"] = threading.current_thread().name
            return n + 1

        assert await settle(Deferred(work, finish, "t")) == 42
        return loop_thread, seen["work"], seen["finish"]

    loop_thread, work_thread, finish_thread = asyncio.run(main())
    assert work_thread.startswith("fintwin-work") and finish_thread == loop_thread


def test_a_tenant_has_at_most_per_tenant_pieces_running() -> None:
    running = 0
    most = 0
    lock = threading.Lock()
    release = threading.Event()

    def work() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        release.wait(10)
        with lock:
            running -= 1

    async def main() -> None:
        tasks = [asyncio.ensure_future(Deferred(work, lambda r: r, "busy").run())
                 for _ in range(offload.PER_TENANT + 2)]
        # Another tenant is not held up by the busy one's queue.
        other = await asyncio.wait_for(Deferred(lambda: 1, lambda r: r, "other").run(), 10)
        assert other == 1
        release.set()
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert most <= offload.PER_TENANT + 0  # the busy tenant never had more at once


def test_gates_are_per_loop() -> None:
    for _ in range(3):  # each run a new loop: a gate of an old loop is never reused
        assert asyncio.run(settle(Deferred(lambda: 2, lambda r: r * 2, "t"))) == 4


def test_budgets_stop_work() -> None:
    budget = Budget(seconds=60, rows=10)
    budget.check(5)
    with pytest.raises(BudgetExceeded) as spent:
        budget.check(6)
    assert spent.value.what == "rows"
    timed = Budget(seconds=-1.0, rows=10).start()  # spent before it starts
    with pytest.raises(BudgetExceeded):
        timed.check()


def test_now_caps_the_time_of_work_run_in_place() -> None:
    budget = Budget(seconds=10.0)
    Deferred(lambda: None, lambda r: r, "t", budget).now(0.05)
    assert budget.seconds == 0.05
