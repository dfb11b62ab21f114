# Two commands do all set-up: `make demo` and `make test`. Each creates .venv and installs
# what it needs; a stamp file per install keeps repeat runs fast.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PLUGINS := $(wildcard tests/plugins/*/pyproject.toml)
PHOENIX := build/phoenix

.PHONY: demo test bench lint clean postgres-server

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.all: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[all]'
	touch $@

# The test plugins (a toy third-party adapter, a deliberately broken one) go to their own
# folder, which only the test session puts on sys.path: `make demo` never sees them.
TEST_PLUGINS := build/test-plugins
$(VENV)/.dev: pyproject.toml $(PLUGINS) | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -rf $(TEST_PLUGINS)
	$(PY) -m pip install --quiet --no-deps --target $(TEST_PLUGINS) $(foreach p,$(PLUGINS),./$(dir $(p)))
	touch $@ $(VENV)/.all

demo: $(VENV)/.all
	$(PY) examples/demo.py

# The store's tests start a throwaway PostgreSQL server from the machine's initdb/pg_ctl;
# installed from the OS packages when missing (as root, as CI runs), and required: with
# SPYGLASS_REQUIRE_POSTGRES=1 those tests fail rather than skip.
postgres-server:
	@if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else \
		echo "PostgreSQL server binaries (initdb, pg_ctl) are missing and this is not root:"; \
		echo "install PostgreSQL (apt-get install postgresql) for the store's PostgreSQL tests."; \
	fi

# The dashboard's browser tests drive the Chromium of the OS packages through Playwright
# (never `playwright install`, which downloads a browser build).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
		|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium); \
	else echo "chromium is missing: run 'sudo apt-get install chromium'" >&2; exit 1; fi

test: $(VENV)/.dev postgres-server $(CHROMIUM) $(PHOENIX)/.installed
	SPYGLASS_REQUIRE_POSTGRES=1 SPYGLASS_REQUIRE_BROWSER=1 SPYGLASS_REQUIRE_PHOENIX=1 \
	SPYGLASS_PHOENIX=$(PHOENIX)/bin/phoenix $(PY) -m pytest

# Arize Phoenix, the real trace back-end of tests/otel/test_phoenix.py, in a venv of its own:
# it requires SQLAlchemy >= 2.1, which spyglass's store pins below (a TruLens-found break).
# The test starts it as a server on a loopback port; spyglass never imports it.
$(PHOENIX)/.installed:
	$(PYTHON) -m venv $(PHOENIX)
	$(PHOENIX)/bin/python -m pip install --quiet 'arize-phoenix>=12,<21'
	touch $@

bench: $(VENV)/.dev
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

# mypy checks each folder as its package (`core/` as `spyglass.core`), through the same
# mapping the install uses.
TYPECHECK := build/typecheck
lint: $(VENV)/.dev
	$(PY) -m ruff check core adapters testing providers feedback otel store dashboard cli tests bench examples
	$(PY) -m ruff format --check core adapters testing providers feedback otel store dashboard cli tests bench examples
	mkdir -p $(TYPECHECK)/spyglass && ln -sfn ../../../core $(TYPECHECK)/spyglass/core
	cd $(TYPECHECK) && ../../$(PY) -m mypy --config-file ../../pyproject.toml -p spyglass.core
	ln -sfn ../../../providers $(TYPECHECK)/spyglass/providers
	ln -sfn ../../../feedback $(TYPECHECK)/spyglass/feedback
	cd $(TYPECHECK) && ../../$(PY) -m mypy --config-file ../../pyproject.toml -p spyglass.providers -p spyglass.feedback
	ln -sfn ../../../otel $(TYPECHECK)/spyglass/otel
	cd $(TYPECHECK) && ../../$(PY) -m mypy --config-file ../../pyproject.toml -p spyglass.otel
	ln -sfn ../../../adapters $(TYPECHECK)/spyglass/adapters
	ln -sfn ../../../testing $(TYPECHECK)/spyglass/testing
	cd $(TYPECHECK) && ../../$(PY) -m mypy --config-file ../../pyproject.toml -p spyglass.adapters -p spyglass.testing
	ln -sfn ../../../store $(TYPECHECK)/spyglass/store
	ln -sfn ../../../dashboard $(TYPECHECK)/spyglass/dashboard
	ln -sfn ../../../cli $(TYPECHECK)/spyglass/cli
	cd $(TYPECHECK) && ../../$(PY) -m mypy --config-file ../../pyproject.toml -p spyglass.store -p spyglass.dashboard -p spyglass.cli

clean:
	rm -rf $(VENV) build *.egg-info
