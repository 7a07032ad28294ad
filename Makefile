# Everything runs from a fresh clone with only Python 3 and make: the first target that needs the
# virtual environment creates it (uv, pinned set from constraints/), later runs reuse it.

PYTHON ?= python3
AIRFLOW_VERSION ?= 3.3.2
# The versions CI tests beside $(AIRFLOW_VERSION): the unit suite and one end-to-end DAG each (newest first:
# make test starts the longest parts first).
MATRIX_VERSIONS ?= 3.2.2 3.1.8 3.0.6 2.11.2
# And the lowest leg: what the package needs at the floors pyproject.toml declares (Airflow 2.11.0, httpx 0.28.0,
# pydantic 2.6.0, ...: constraints/airflow-lowest.txt), the test tools as in the lock of LOWEST_TOOLS_FROM.
LOWEST_TOOLS_FROM := 2.11.2
# The lowest and the highest supported Python beside the main one, on Airflow $(AIRFLOW_VERSION): the same.
PYTHON_VERSIONS ?= 3.10 3.13
UV_VERSION := 0.13.9
PORT ?= 8080
SANDBOX_PORT ?= 8765

TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
CONSTRAINTS := constraints/airflow-$(AIRFLOW_VERSION).txt
# Bytecode is written as modules are first imported, here and in every process a test starts (where the
# environment sets PYTHONDONTWRITEBYTECODE, every process would compile Airflow again: +1.3 s each): cheaper than
# compiling every installed module up front (uv's --compile-bytecode: 7.7 s of CPU per environment; lazily,
# what a run imports: about 1.4 s, once).
unexport PYTHONDONTWRITEBYTECODE
UV_INSTALL := $(UV) pip install --quiet
# pytest-xdist workers per suite: the suites wait on servers and processes more than they compute (one worker
# keeps a core 38% busy through the unit suite), so more workers than cores pay. WORKERS=0: one process.
WORKERS ?= 4
# The matrix and Python legs run beside the other parts of make test: one process each (a leg's unit suite: 20 s
# of CPU in one process, 24 s on 2 workers; 57 s and 32 s of wall time: make test's other parts fill the waits).
LEG_WORKERS ?= 0
PYTEST := -m pytest -q -p no:cacheprovider

export AIRFLOW__CORE__LOAD_EXAMPLES := False

.PHONY: observability-tools browser-tools system-tools help setup coverage test test-distributed lint typecheck test-full test-matrix test-version test-python test-pythons generate dist check test-integration docs demo sandbox airflow bench reliability lock clean

help:
	@echo "make demo         the sandbox + Airflow on SQLite + three of the six example DAGs, end to end"
	@echo "make check        the edit-test loop: lint, types, the unit suite"
	@echo "make coverage     the unit suite's line coverage, per module"
	@echo "make test         check, the full suite on Airflow $(AIRFLOW_VERSION), the matrix ($(MATRIX_VERSIONS)), the lowest leg,"
	@echo "                  Python $(PYTHON_VERSIONS), the distributed deployment, dist, docs: $(TEST_JOBS) parts at a time"
	@echo "make sandbox      the TapTalent sandbox in the foreground (http://127.0.0.1:$(SANDBOX_PORT))"
	@echo "make airflow      airflow standalone with the provider, the example DAGs and the sandbox (PORT=, SANDBOX_PORT=)"
	@echo "make test-distributed  CeleryExecutor, PostgreSQL, Redis, two workers: kills and races, checked"
	@echo "make bench        benchmark scripts (print tables)"
	@echo "make generate     the method stubs and the docs' method table, after an endpoint is declared"
	@echo "make docs         the docs site into site/ (warnings are errors)"
	@echo "make dist         build the sdist and wheel, check them, install the wheel fresh and run a DAG from it"
	@echo "make reliability  fault-injection runs, with the report table"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# One environment per Airflow version: .venv for the main one, .venv-<version> for the matrix.
$(VENV)/.installed: $(UV) pyproject.toml $(CONSTRAINTS)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	VIRTUAL_ENV=$(VENV) $(UV_INSTALL) -c $(CONSTRAINTS) -e '.[sandbox]' --group dev --group integration
	touch $@

.venv-%/.installed: $(UV) pyproject.toml constraints/airflow-%.txt
	$(UV) venv --quiet --allow-existing --python $(PYTHON) .venv-$*
	VIRTUAL_ENV=.venv-$* $(UV_INSTALL) -c constraints/airflow-$*.txt -e '.[sandbox]' --group dev
	touch $@

# One environment per extra Python version, on the main Airflow: .pyvenv-<python>.
.pyvenv-%/.installed: $(UV) pyproject.toml constraints/airflow-$(AIRFLOW_VERSION)-py%.txt
	$(UV) venv --quiet --allow-existing --python "$$(scripts/find_python.sh $*)" .pyvenv-$*
	VIRTUAL_ENV=.pyvenv-$* $(UV_INSTALL) -c constraints/airflow-$(AIRFLOW_VERSION)-py$*.txt -e '.[sandbox]' --group dev
	touch $@

setup: $(VENV)/.installed

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python -m scripts.api_surface --check

# The typed method stubs and the docs' method table, from the endpoint declarations
generate: setup
	$(VENV)/bin/python -m scripts.api_surface

typecheck: setup
	$(VENV)/bin/mypy

# The edit-test loop: lint, types and the unit suite (no sandbox process, no Airflow DB)
check: lint typecheck
	$(VENV)/bin/python $(PYTEST) -n $(WORKERS) tests/unit -m "not e2e"

# The unit suite's line coverage of the package, per module (the integration suites run in other processes)
coverage: setup
	$(VENV)/bin/python $(PYTEST) -n $(WORKERS) --cov --cov-report=term tests/unit -m "not e2e"

# promtool (Debian package prometheus) runs the alert rules' tests: installed where this is Debian and root.
observability-tools:
	@command -v promtool >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		(apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends prometheus >/dev/null 2>&1) ; } || true
	@command -v promtool >/dev/null 2>&1 && echo "promtool: $$(command -v promtool)" || \
		echo "promtool is not available here: the alert-rule tests will be skipped"

# Debian's chromium and chromium-driver drive Airflow's real UI in tests/deployment: installed where this is
# Debian and root (the tests skip, saying so, where they are missing).
browser-tools:
	@{ command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } || \
		{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		(apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends chromium chromium-driver >/dev/null 2>&1) ; } || true
	@command -v chromedriver >/dev/null 2>&1 && echo "chromium: $$(command -v chromium), chromedriver: $$(command -v chromedriver)" || \
		echo "chromium/chromedriver are not available here: the browser tests will be skipped"

# Both of the above in one apt-get, beside make setup: make test's parts start after both
system-tools:
	@{ command -v promtool >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } || \
		{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		(apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends prometheus chromium chromium-driver >/dev/null 2>&1) ; } || true
	@$(MAKE) --no-print-directory observability-tools browser-tools

# Everything on this Airflow: the edit-test loop (check), then the sandbox, end-to-end, reliability and deployment suites
test-full: check test-integration

# The integration suites, one target each (make test runs them as parts of their own); a file's servers and
# processes stay in one pytest-xdist worker (--dist loadfile)
INTEGRATION_SUITES := sandbox e2e reliability deployment
INTEGRATION_WORKERS_sandbox := 2
INTEGRATION_WORKERS_e2e := 2
INTEGRATION_WORKERS_reliability := 2
INTEGRATION_WORKERS_deployment := 0
test-integration: $(addprefix integration-,$(INTEGRATION_SUITES))

integration-%: setup observability-tools browser-tools
	$(VENV)/bin/python $(PYTEST) -n $(INTEGRATION_WORKERS_$*) --dist loadfile tests/$*

# The docs site (docs/, mkdocs.yml) into site/, warnings as errors: open site/index.html
docs: setup
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

# The distributions a user installs: sdist and wheel built, their metadata (twine), their contents, and the wheel
# installed (not editable) in a fresh environment, where Airflow lists the provider and an example DAG runs
dist: setup
	rm -rf dist
	$(UV) build --quiet --out-dir dist
	$(VENV)/bin/twine check --strict dist/*
	$(VENV)/bin/python $(PYTEST) tests/release

# A CeleryExecutor deployment started by the test: PostgreSQL and Redis from wheels, 2 workers (~2 minutes)
test-distributed: setup
	$(VENV)/bin/python $(PYTEST) tests/distributed

# The unit suite and the smoke end-to-end DAG on one more Airflow version: make test-version V=2.11.2
# (the sandbox's own suite too on Airflow 2, where FastAPI and uvicorn come from the [sandbox] extra; on
# WATCHER_LEGS, the oldest and the newest Airflow that need watermark_path, the AssetWatcher on a real
# triggerer: about 30 s of CPU each, where make test is bound by its 2 cores)
WATCHER_LEGS := 3.0.6 3.2.2
test-version: .venv-$(V)/.installed
	.venv-$(V)/bin/python $(PYTEST) -n $(LEG_WORKERS) tests/unit $(if $(filter 2.%,$(V)),tests/sandbox) -m "not e2e"
	.venv-$(V)/bin/python $(PYTEST) tests/e2e -m "smoke$(if $(filter $(V),$(WATCHER_LEGS)), or watcher)"

test-matrix:
	@for v in $(MATRIX_VERSIONS); do echo "== Airflow $$v"; $(MAKE) --no-print-directory test-version V=$$v || exit 1; done

# The unit suite and the smoke end-to-end DAG on another Python: make test-python P=3.10
test-python: .pyvenv-$(P)/.installed
	.pyvenv-$(P)/bin/python $(PYTEST) -n $(LEG_WORKERS) tests/unit -m "not e2e"
	.pyvenv-$(P)/bin/python $(PYTEST) tests/e2e -m smoke

test-pythons:
	@for p in $(PYTHON_VERSIONS); do echo "== Python $$p, Airflow $(AIRFLOW_VERSION)"; $(MAKE) --no-print-directory test-python P=$$p || exit 1; done

# make test: every part at once, TEST_JOBS at a time, scheduled by make's own job server in the order of
# TEST_PARTS (the longest first). Most parts wait on servers and processes more than they compute (a leg's unit
# suite keeps a core 35% busy), so more parts than cores keep both cores busy. Each part's output is printed
# whole when it ends, with its time (--output-sync); every part runs to its end (-k) and any failing fails the run.
TEST_JOBS ?= 4
TEST_PARTS := integration-e2e test-distributed integration-reliability integration-deployment \
	$(addprefix test-version-,$(MATRIX_VERSIONS)) $(addprefix test-python-,$(PYTHON_VERSIONS)) \
	test-version-lowest check integration-sandbox dist docs

test:
	@start=$$(date +%s); $(MAKE) --no-print-directory -j2 setup system-tools && \
	$(MAKE) --no-print-directory -k -j$(TEST_JOBS) --output-sync=recurse $(addprefix part-,$(TEST_PARTS)); \
	rc=$$?; echo "make test: $$([ $$rc = 0 ] && echo passed || echo FAILED) in $$(( $$(date +%s) - start )) s"; exit $$rc

# One part of make test, timed
part-%:
	@start=$$(date +%s); $(MAKE) --no-print-directory $*; rc=$$?; \
	echo "== $*: $$([ $$rc = 0 ] && echo passed || echo FAILED) in $$(( $$(date +%s) - start )) s"; exit $$rc

test-version-%:
	@$(MAKE) --no-print-directory test-version V=$*

test-python-%:
	@$(MAKE) --no-print-directory test-python P=$*

demo: setup
	$(VENV)/bin/python scripts/demo.py

sandbox: setup
	$(VENV)/bin/taptalent-sandbox --host 127.0.0.1 --port $(SANDBOX_PORT)

# make airflow PORT=8081 SANDBOX_PORT=8766: both ports settable (the tasks' execution API follows PORT)
airflow: setup
	PORT=$(PORT) SANDBOX_PORT=$(SANDBOX_PORT) $(VENV)/bin/python scripts/standalone.py

bench: setup
	$(VENV)/bin/python benchmarks/run_all.py

# The issue's sizes (300 source jobs, 20,000 resume URLs) and the report table; `make test` runs a CI size.
reliability: setup
	TAPTALENT_RELIABILITY_SCALE=full $(VENV)/bin/python $(PYTEST) -o timeout=1800 tests/reliability -m reliability

# Re-pin every Airflow version's environment (needs PyPI); constraints/pins/ adds per-version pins.
lock: $(UV) setup
	@for v in $(AIRFLOW_VERSION) $(MATRIX_VERSIONS); do \
		echo "apache-airflow==$$v" > .lock-pin.txt; \
		if [ -f constraints/pins/airflow-$$v.in ]; then cat constraints/pins/airflow-$$v.in >> .lock-pin.txt; fi; \
		$(UV) pip compile --quiet --no-header --annotation-style line --python-version 3.11 \
			--group dev --extra sandbox $$([ $$v = $(AIRFLOW_VERSION) ] && echo --group integration) \
			-c .lock-pin.txt -o constraints/airflow-$$v.txt pyproject.toml || exit 1; \
	done
	@$(VENV)/bin/python -m scripts.lowest_pins constraints/airflow-$(LOWEST_TOOLS_FROM).txt > .lock-pin.txt
	$(UV) pip compile --quiet --no-header --annotation-style line --python-version 3.11 --resolution lowest-direct \
		--group dev --extra sandbox -c .lock-pin.txt -c constraints/pins/lowest.in -o constraints/airflow-lowest.txt pyproject.toml
	@for p in $(PYTHON_VERSIONS); do \
		echo "apache-airflow==$(AIRFLOW_VERSION)" > .lock-pin.txt; \
		$(UV) pip compile --quiet --no-header --annotation-style line --python-version $$p \
			--group dev --extra sandbox -c .lock-pin.txt -o constraints/airflow-$(AIRFLOW_VERSION)-py$$p.txt pyproject.toml || exit 1; \
	done; rm -f .lock-pin.txt

clean:
	rm -rf $(TOOLS) .venv .venv-* .pyvenv-* .airflow-* build dist *.egg-info
