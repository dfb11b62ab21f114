# Two commands do all set-up: `make demo` and `make test`. Each creates .venv and installs
# what it needs; a stamp file per install keeps repeat runs fast.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PLUGINS := $(wildcard tests/plugins/*/pyproject.toml)
PHOENIX := build/phoenix

.PHONY: demo test bench lint clean

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

test: $(VENV)/.dev $(PHOENIX)/.installed
	SPYGLASS_REQUIRE_PHOENIX=1 SPYGLASS_PHOENIX=$(PHOENIX)/bin/phoenix $(PY) -m pytest

# Arize Phoenix, the real trace back-end of tests/otel/test_phoenix.py, in a venv of its own:
# it requires SQLAlchemy >= 2.1, which spyglass's store pins below (a TruLens-found break).
# The test starts it as a server on a loopback port; spyglass never imports it.
$(PHOENIX)/.installed:
	$(PYTHON) -m venv $(PHOENIX)
	$(PHOENIX)/bin/python -m pip install --quiet 'arize-phoenix>=12,<21'
	touch $@

bench: $(VENV)/.dev
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

# mypy checks `core/` as the package `spyglass.core`, through the same mapping the install uses.
TYPECHECK := build/typecheck
lint: $(VENV)/.dev
	$(PY) -m ruff check core adapters testing providers feedback otel tests bench examples
	$(PY) -m ruff format --check core adapters testing providers feedback otel tests bench examples
	mkdir -p $(TYPECHECK)/spyglass && ln -sfn ../../../core $(TYPECHECK)/spyglass/core
	cd $(TYPECHECK) && ../../$(PY) -m mypy --config-file ../../pyproject.toml -p spyglass.core
	ln -sfn ../../../providers $(TYPECHECK)/spyglass/providers
	ln -sfn ../../../feedback $(TYPECHECK)/spyglass/feedback
	cd $(TYPECHECK) && ../../$(PY) -m mypy --config-file ../../pyproject.toml -p spyglass.providers -p spyglass.feedback
	ln -sfn ../../../otel $(TYPECHECK)/spyglass/otel
	cd $(TYPECHECK) && ../../$(PY) -m mypy --config-file ../../pyproject.toml -p spyglass.otel

clean:
	rm -rf $(VENV) build *.egg-info
