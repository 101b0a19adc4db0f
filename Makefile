# Two entry points on a fresh machine: `make demo` and `make test`. Both create .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# torch, pinned, when .venv has none, before the extras (whose `torch>=2.4` would otherwise pull
# the newest build). CPU-only machines: make TORCH="torch==2.13.0 --index-url
# https://download.pytorch.org/whl/cpu". Users with a GPU install their own build first.
TORCH ?= torch==2.13.0

.PHONY: venv demo test lint format clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

venv: $(BIN)/activate
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e ".[play,agents,dev,ray]"

demo: venv
	SDL_VIDEODRIVER=dummy $(BIN)/scoregames quickstart

test: venv
	SDL_VIDEODRIVER=dummy $(BIN)/ruff check .
	SDL_VIDEODRIVER=dummy $(BIN)/ruff format --check .
	$(BIN)/mypy
	SDL_VIDEODRIVER=dummy $(BIN)/python -m pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
