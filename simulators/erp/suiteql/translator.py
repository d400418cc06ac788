"""SuiteQL translation in a process of its own, and remembered.

Translating a query (sqlglot's parser, then the rewriter) is pure Python: in a thread of
the fake's process it holds the interpreter, and the event loop's thread waits for it at
every hand-over. A query of 500 ORs takes ~0.25 s to translate; repeated by one tenant it
raised another tenant's GET p99 to ~220 ms (benchmarks/canary_bench.py, issue 18). In a
separate process it costs the fake's process nothing but a round trip. The query runs in
a thread afterwards (SQLite releases the interpreter while it works).

A translation depends on the query text alone, so the last ``CACHE`` are kept: the
harness's oracle and a polling integration ask the same queries again and again.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import OrderedDict

# Both from the submodule: concurrent.futures caches ProcessPoolExecutor in its own
# namespace, so after the submodule is imported again (pytester runs in process and
# forgets the modules each run imported) the cached class pickles a _process_worker
# that is no longer the module's ("Can't pickle ... not the same object").
from concurrent.futures.process import BrokenProcessPool, ProcessPoolExecutor

from . import translate as local

CACHE = 512
WORKERS = 1

_cache: OrderedDict[tuple[str, bool], local.Translation] = OrderedDict()
_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def _processes() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            # spawn, not fork: the fake's process has threads (a fork could copy a held
            # lock into the child).
            _pool = ProcessPoolExecutor(max_workers=WORKERS,
                                        mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_leave_with, initargs=(os.getpid(),))
        return _pool


def _leave_with(parent: int) -> None:
    """In the translator process: exit when the fake's process is gone. A fake killed
    (SIGTERM, SIGKILL) runs no exit handler, and its pool's process would stay on."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="leave-with-parent").start()


def translate(query: str, *, allow_with: bool = False) -> local.Translation:
    """``translate.translate(query)``, computed in the translator process (or here, if
    that process is gone), and remembered."""
    key = (query, allow_with)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    try:
        result = _processes().submit(local.translate, query, allow_with=allow_with).result()
    except BrokenProcessPool:
        _reset()
        result = local.translate(query, allow_with=allow_with)
    with _lock:
        _cache[key] = result
        while len(_cache) > CACHE:
            _cache.popitem(last=False)
    return result


def _reset() -> None:
    global _pool
    with _lock:
        _pool = None
