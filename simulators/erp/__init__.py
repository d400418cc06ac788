"""The NetSuite-shaped ERP fake: general ledger posting model and SuiteQL engine.

This package holds pure-Python behaviour only; HTTP routes live elsewhere and
call :mod:`simulators.erp.suiteql` and :mod:`simulators.erp.ledger`.
"""
