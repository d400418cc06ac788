"""Durable state for ``--state-dir``: a snapshot plus a write-ahead log.

Every store mutation is appended to ``wal.jsonl`` (flushed to the OS per
write, so a killed process loses nothing); tenant headers (clock, id counters,
vendor meta) are appended after each write request. On start the snapshot is
loaded and the log replayed; on clean shutdown the log is folded into a new
snapshot. The webhook outbox lives in the tenant stores, so it survives too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

import orjson

from simulators.engine.store import Record


def _default(value: Any) -> Any:
    # Decimal money and similar: keep the exact text.
    return str(value)


class StateDir:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.snapshot_path = self.path / "snapshot.json"
        self.wal_path = self.path / "wal.jsonl"
        self._wal: IO[bytes] | None = None

    # -- writing ------------------------------------------------------------
    def _write(self, line: dict[str, Any]) -> None:
        if self._wal is None:
            self._wal = open(self.wal_path, "ab")  # noqa: SIM115 - kept open for appends
        self._wal.write(orjson.dumps(line, default=_default) + b"\n")
        self._wal.flush()

    def record_put(self, tenant: str, kind: str, obj: Record) -> None:
        self._write({"op": "put", "t": tenant, "k": kind, "o": obj})

    def record_delete(self, tenant: str, kind: str, obj_id: str) -> None:
        self._write({"op": "del", "t": tenant, "k": kind, "i": obj_id})

    def record_header(self, tenant: str, header: dict[str, Any]) -> None:
        self._write({"op": "hdr", "t": tenant, "h": header})

    def record_drop(self, tenant: str) -> None:
        self._write({"op": "drop", "t": tenant})

    def record_global(self, key: str, value: Any) -> None:
        self._write({"op": "global", "key": key, "v": value})

    # -- reading ------------------------------------------------------------
    def load(self) -> dict[str, Any]:
        """The state as of the last write: {"tenants": {id: snapshot}, "globals": {...}}."""
        state: dict[str, Any] = {"tenants": {}, "globals": {}}
        if self.snapshot_path.exists():
            state = orjson.loads(self.snapshot_path.read_bytes())
            state.setdefault("globals", {})
        tenants: dict[str, Any] = state["tenants"]
        # Replay into per-kind dicts keyed by id for O(1) updates, then back to lists.
        work: dict[str, dict[str, dict[str, Record]]] = {
            tid: {k: {o["id"]: o for o in recs} for k, recs in snap.get("store", {}).items()}
            for tid, snap in tenants.items()
        }
        if self.wal_path.exists():
            with open(self.wal_path, "rb") as wal:
                for raw in wal:
                    try:
                        line = orjson.loads(raw)
                    except orjson.JSONDecodeError:
                        break  # a torn last line from a crash: everything before it stands
                    op = line["op"]
                    if op == "global":
                        state["globals"][line["key"]] = line["v"]
                        continue
                    tid = line["t"]
                    if op == "drop":
                        tenants.pop(tid, None)
                        work.pop(tid, None)
                        continue
                    snap = tenants.setdefault(tid, {"id": tid})
                    kinds = work.setdefault(tid, {})
                    if op == "put":
                        kinds.setdefault(line["k"], {})[line["o"]["id"]] = line["o"]
                    elif op == "del":
                        kinds.get(line["k"], {}).pop(line["i"], None)
                    elif op == "hdr":
                        snap.update(line["h"])
        for tid, kinds in work.items():
            tenants[tid]["store"] = {k: list(v.values()) for k, v in kinds.items()}
        return state

    def compact(self, state: dict[str, Any]) -> None:
        """Write ``state`` as the new snapshot and start an empty log."""
        tmp = self.snapshot_path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps(state, default=_default))
        os.replace(tmp, self.snapshot_path)
        if self._wal is not None:
            self._wal.close()
            self._wal = None
        self.wal_path.write_bytes(b"")

    def close(self) -> None:
        if self._wal is not None:
            self._wal.close()
            self._wal = None
