"""Consumer contracts (Pact) for the fakes: ``fintwin contracts`` and ``fintwin upgrade-check``.

- ``pactfiles``: pact files found, grouped by provider, prepared for a fake (credentials,
  the CRM API version, billing's API version pins).
- ``verify``: each fake verified as a Pact provider with pact-python's Verifier, offline;
  ``messages``: the messages a pact expects, produced from the fake.
- ``traffic``, ``shapes``, ``implied``, ``record``: contracts from a run's observed traffic.
- ``diff``: two sets of pacts compared interaction by interaction.
- ``upgrade``, ``upgrade_report``: the vendor-upgrade rehearsal and its report.
- ``cli``: the commands (registered by ``harness.cli``).

The provider-state vocabularies live next to each fake (``simulators/*/states.py``) and
the handler on the engine's control plane (``simulators/engine/provider_states.py``).
"""
