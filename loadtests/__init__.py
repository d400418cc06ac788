"""Locust load tests of an integration layer through the fakes (docs/load.md).

Each ``loadtests/<scenario>.py`` is a locustfile: ``locust -f loadtests/q2c.py
--fintwin-stack .fintwin/load/q2c/stack.json`` (web UI) or ``fintwin load --scenario q2c``
(headless, with the cutover report). Nothing here is imported by the harness or by pytest:
Locust monkey-patches the process with gevent on import.
"""
