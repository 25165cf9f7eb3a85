# One place for every command. `make run` and `make test` are the README's quick start.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
STAMP := $(VENV)/.installed

.PHONY: install run test lint format bench demo-db clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

install: $(STAMP)

# Creates and fills the demo county when the configured SQLite file is missing or empty;
# otherwise only brings the schema up to date.
demo-db: install
	$(BIN)/python -m data_access ensure-demo

run: demo-db
	@echo "衔接督导看板: http://localhost:$(PORT)"
	$(BIN)/streamlit run dashboard/server.py --server.port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The database and AppTest layers on both cores; the browser layer on its own (it starts one
# server and twenty browsers of its own, and measures the wall's timing).
test: lint
	$(BIN)/python -m pytest -n 2 -m "not browser"
	$(BIN)/python -m pytest -m browser

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts
