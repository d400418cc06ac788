"""``fintwin load``: Locust load tests of an integration layer and the cutover report.

Modules: ``profiles`` (vendor limits with sources), ``stackfile`` (what the Locust
processes are handed), ``setup`` (limits, tenants, the month-end book), ``sampler`` (the
SUT's backlog over time), ``analysis`` (from journals and flow samples to the verdict),
``charts`` and ``report`` (the cutover report), ``run`` (the command), ``cli`` (its
arguments). The Locust side lives in ``loadtests/`` and is never imported here.
"""
