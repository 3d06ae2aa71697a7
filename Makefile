# DDH Beredskab. Quick start: `make run` (serve the demo) and `make test` (the whole suite).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint bench install migrate demo-token clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/beredskab migrate

run: install
	$(BIN)/beredskab migrate
	$(BIN)/beredskab directory import data/ddh_directory.yaml
	@echo ""
	@echo "Admin token for this demo (paste into Authorization: Bearer …):"
	@$(BIN)/beredskab token demo --file .demo-token
	@echo "API docs: http://$(HOST):$(PORT)/docs"
	DEV_MODE=true SMS_GATEWAY=console $(BIN)/beredskab serve --host $(HOST) --port $(PORT)

# the demo's admin token: the one kept in .demo-token (git-ignored, mode 600) while it works
demo-token: migrate
	@$(BIN)/beredskab token demo --file .demo-token

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: install lint
	$(BIN)/pytest -q

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) beredskab.db beredskab.db-wal beredskab.db-shm .demo-token .pytest_cache \
		.import_linter_cache .grimp_cache
