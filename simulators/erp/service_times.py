"""How long NetSuite takes to answer each REST operation, at its own pace
(``engine.service_time``; scaled by ``SimSettings.service_time``, off by default).

Oracle publishes no service times for REST web services; these medians and 99th
percentiles are the fake's assumption (unverified), in the range integrators commonly
report: a record read in a few hundred milliseconds, a write about a second (a
transaction's more: it posts to the ledger), a SuiteQL query under a second with a long
tail. What matters for concurrency governance is their order of magnitude: a request
holds one of the account's slots (5 on the lowest tier) for this long, so a client that
sends more at once than the limit meets NetSuite's 429 (Oracle, "Concurrency Governance
and Session Management": each REST request counts toward the account limit).
"""

from __future__ import annotations

from simulators.engine.service_time import ServiceTime

SOURCE = "fintwin's assumption (Oracle publishes none; unverified)"

READ = ServiceTime(p50=0.25, p99=1.2, source=SOURCE)
LIST = ServiceTime(p50=0.35, p99=1.8, source=SOURCE)
WRITE = ServiceTime(p50=0.9, p99=4.0, source=SOURCE)
DELETE = ServiceTime(p50=0.6, p99=3.0, source=SOURCE)
SUITEQL = ServiceTime(p50=0.45, p99=3.0, source=SOURCE)
SYSTEM = ServiceTime(p50=0.08, p99=0.3, source=SOURCE)
