# Every target works on a fresh machine with only python3 and make: the virtual environment
# and the installs are file targets, and stamp files keep a second run from reinstalling.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
# README.md is collected only once it exists, so `make test` works while it is being written.
# The examples on the documentation pages (docs/*.md) run as doctests too.
PYTEST_ARGS := tests $(wildcard README.md) $(wildcard docs/*.md) src/wengert --doctest-modules --doctest-glob='*.md' -q -n 2

.PHONY: demo test bench lint docs clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# The plain install carries the tour's extras (matplotlib, tqdm): `make demo` draws pictures.
$(VENV)/.installed: pyproject.toml $(PY)
	$(PIP) install -e '.[tour]'
	touch $@

# The dev install includes the plain install and its extras, so it satisfies that stamp too.
$(VENV)/.dev-installed: pyproject.toml $(PY)
	$(PIP) install -e '.[dev]'
	touch $@ $(VENV)/.installed

$(VENV)/.bench-installed: pyproject.toml $(PY)
	$(PIP) install -e '.[bench]'
	touch $@

$(VENV)/.docs-installed: pyproject.toml $(PY)
	$(PIP) install -e '.[docs]'
	touch $@

# Writes the tour's pictures and index.html into wengert-tour/.
demo: $(VENV)/.installed
	$(PY) -m wengert demo --out wengert-tour

test: $(VENV)/.dev-installed
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.bench-installed
	$(PY) benchmarks/run_all.py

# Strict: any warning (a broken link, a docstring griffe cannot parse, a failing demo) fails
# the build. The variable silences mkdocs-material's banner about its own end of life.
docs: export NO_MKDOCS_2_WARNING := 1
docs: $(VENV)/.docs-installed
	$(PY) -m mkdocs build --strict

lint: $(VENV)/.dev-installed
	$(PY) -m ruff check src tests

clean:
	rm -rf build dist .pytest_cache .hypothesis .ruff_cache src/*.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
