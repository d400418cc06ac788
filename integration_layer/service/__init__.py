"""The reference integration layer as a service: inbox, workers, flows, admin API.

See docs/quote-to-cash.md for the canonical model and the flows, and
:mod:`integration_layer.service.parts` for how the service is composed (and how the
faulty variants swap one part each).
"""
