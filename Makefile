# Every target works on a fresh machine with only python3 and make: the virtual environment
# and the installs are file targets, and stamp files keep a second run from reinstalling.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
# README.md is collected only once it exists, so `make test` works while it is being written.
PYTEST_ARGS := tests $(wildcard README.md) src/wengert --doctest-modules --doctest-glob='*.md' -q -n 2

.PHONY: demo test bench lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml $(PY)
	$(PIP) install -e .
	touch $@

# The dev install includes the plain editable install, so it satisfies that stamp too.
$(VENV)/.dev-installed: pyproject.toml $(PY)
	$(PIP) install -e '.[dev]'
	touch $@ $(VENV)/.installed

$(VENV)/.bench-installed: pyproject.toml $(PY)
	$(PIP) install -e '.[bench]'
	touch $@

demo: $(VENV)/.installed
	$(PY) -m wengert demo

test: $(VENV)/.dev-installed
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.bench-installed
	$(PY) benchmarks/run_all.py

lint: $(VENV)/.dev-installed
	$(PY) -m ruff check src tests

clean:
	rm -rf build dist .pytest_cache .hypothesis .ruff_cache src/*.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
