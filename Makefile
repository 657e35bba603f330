# Two entry points for a fresh machine: `make run` and `make test`.
# Every target installs what it needs into .venv first (torch CPU build before anything else).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: install run test test-fast lint corpus

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) app.py

test: install
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -m 'not slow'

lint: install
	$(VENV)/bin/ruff check .
