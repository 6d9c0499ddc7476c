# `make demo` and `make test` work on a fresh machine with python3 and make: they create .venv
# and install the locked dependencies when it is missing or older than the project files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench lock clean

$(STAMP): pyproject.toml constraints.txt plugins/ssj-province-gd/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]' \
		-e plugins/ssj-province-gd
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ssj-bridge demo

lint: $(STAMP)
	$(BIN)/ruff check src adapters plugins tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q
	cd plugins/ssj-province-gd && ../../$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/permit_sync.py
	$(BIN)/python benchmarks/cycle.py $(if $(SSJ_TEST_POSTGRES_URL),--postgres) --commands

# Re-pin every dependency to what resolves today (then commit constraints.txt).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q -e '.[test]'
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^ssj' > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) demo-out .pytest_cache .mypy_cache .ruff_cache
