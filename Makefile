# fintwin: `make demo` runs the main job (quote-to-cash under chaos, checked),
# `make test` runs every check, `make sim` serves the billing fake.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test lint typecheck pytest pytest-local pytest-edges pytest-node verify contracts pacts docs soak sim demo bench load clean mutation drift

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q -n 2 -p no:cacheprovider tests scenarios --fintwin-seed 1

# One suite in local-process mode: the fakes as `fintwin sim` processes on loopback ports
# (the CRM over TLS with the local CA), the SUT as `fintwin serve integration-layer`.
pytest-local: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider scenarios/test_quote_to_cash.py \
		--fintwin-stack local --fintwin-seed 1

# The scenario suites again at each calendar edge of harness/epoch.py (New Year's Eve, the
# leap day and its eve, an anchor on the 31st, the EU DST switch): every tenant's business
# clock starts there, so a verdict that depends on the calendar fails here.
EDGES := year-end leap-eve leap-day month-end-31 dst-eu
pytest-edges: $(STAMP)
	@for edge in $(EDGES); do \
		echo "== scenarios at the $$edge epoch"; \
		$(BIN)/pytest -q -n 2 -p no:cacheprovider scenarios --fintwin-seed 1 \
			--fintwin-epoch $$edge || exit 1; \
	done

# An integration layer written in Node.js (examples/node-sut: stripe-node, jsforce, fetch),
# tested through its manifest: npm ci, its own tests, every suite in local mode and a few
# in external mode, its expected failures checked. Needs Node.js 20+ (skipped loudly
# without it, unless FINTWIN_REQUIRE_NODE=1).
pytest-node: $(STAMP)
	$(BIN)/python examples/node-sut/check.py

# Detection power: each faulty variant of the reference against the suite its defect
# predicts (the full matrix is `fintwin verify-harness`, docs/scenarios.md).
verify: $(STAMP)
	$(BIN)/fintwin verify-harness --quick --seed 3

# Consumer contracts: regenerate the reference SUT's pacts from the consumer tests, fail
# when they differ from the committed pacts/ (a changed contract is a reviewed diff: run
# `make pacts` and commit it), then verify the three fakes against pacts/.
contracts: $(STAMP)
	$(MAKE) --no-print-directory pacts PACTS=.fintwin/pacts
	$(BIN)/fintwin contracts diff pacts .fintwin/pacts
	$(BIN)/fintwin contracts diff pacts/variants/pre-basil-only \
		.fintwin/pacts/variants/pre-basil-only
	$(BIN)/fintwin contracts verify --pacts pacts pacts/variants/pre-basil-only

# Write the reference SUT's pacts into pacts/ (then review and commit the diff), and those
# of the basil-blind variant in pacts/variants/ (its consumer tests of basil shapes xfail:
# what it cannot consume stays out of its contract).
PACTS ?= pacts
pacts: $(STAMP)
	rm -rf $(PACTS)/*.json $(PACTS)/variants
	$(BIN)/pytest -q -p no:cacheprovider tests/contracts/consumer --pact-dir $(PACTS)
	$(BIN)/pytest -q -p no:cacheprovider tests/contracts/consumer -rx \
		--pact-dir $(PACTS)/variants/pre-basil-only --contract-variant pre-basil-only

# The documentation site (docs/, mkdocs with the material theme): the generated pages
# (each fake's API reference, CLI, control plane, endpoint tables, oracle codes, chaos
# profiles) written from the code by `fintwin docs`, then built with --strict so a broken
# link or anchor fails; the site is in .fintwin/site. tests/harness/test_docsite.py fails
# when a committed page is stale.
docs: $(STAMP)
	$(BIN)/fintwin docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

test: lint typecheck pytest pytest-local pytest-edges pytest-node verify contracts drift docs

# The billing fake's objects against the stripe SDK's typed classes, every served API
# version (harness/drift.py): printed in CI, and any unexplained difference fails.
drift: $(STAMP)
	$(BIN)/fintwin drift --strict

# The flake hunt (not part of `make test`: ~1-2 hours): the suites and the quick matrix 20
# times under CPU load, the epochs taken in turn from the default and the edges.
soak: $(STAMP)
	$(BIN)/fintwin soak --runs $(or $(RUNS),20)

# The mutation score of the suites (not part of `make test`: ~1 hour on 2 busy cores for the
# default sample): mutmut over the reference's main flow modules, each mutant judged by the
# scenario tests that reach its function (docs/mutation.md). SAMPLE=none judges every
# mutant (hours); MODULES=all adds dispatch and context.
SAMPLE ?= 25
MODULES ?= main
mutation: $(STAMP)
	$(BIN)/fintwin mutation --modules $(MODULES) $(if $(filter none,$(SAMPLE)),,--sample $(SAMPLE)) \
		--json .fintwin/mutation.json

bench: $(STAMP)
	$(BIN)/python benchmarks/billing_bench.py
	$(BIN)/python benchmarks/demo_bench.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

sim: $(STAMP)
	$(BIN)/fintwin sim billing --port 8002

demo: $(STAMP)
	$(BIN)/fintwin demo

# A cutover load test: 20 sales reps closing deals for a minute against the reference SUT,
# with the cutover report in .fintwin/load/q2c (docs/load.md).
load: $(STAMP)
	$(BIN)/fintwin load --scenario q2c --users 20 --duration 60s
