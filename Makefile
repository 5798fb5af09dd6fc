# The two commands: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test bench install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Migrate, seed the demo team once, then run the Procfile's web and worker (Ctrl-C stops both).
run: install
	$(BIN)/donebot migrate
	$(BIN)/donebot demo --if-empty
	@echo "donebot on http://127.0.0.1:$(PORT)  (outbox: http://127.0.0.1:$(PORT)/dev/outbox)"
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --port $(PORT) web worker

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# All benchmarks, on PostgreSQL and Redis (BENCH_DATABASE_URL / BENCH_REDIS_URL; the bench database is
# dropped and re-created). Results go to bench/results/*.json; bench/RESULTS.md explains them.
BENCH_RUNS ?= 3
bench: install-test
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/tick.py --members 1000000 --due 40000 --runs $(BENCH_RUNS)
	$(BIN)/python bench/dispatch.py --members 100000 --workers 2 --runs $(BENCH_RUNS) --name dispatch
	$(BIN)/python bench/dispatch.py --members 100000 --workers 1,2,4 --runs $(BENCH_RUNS) --sample 50 --name scaleout
	$(BIN)/python bench/chart.py scaleout.json
	$(BIN)/python bench/digest.py --teams 10000 --runs $(BENCH_RUNS)
	$(BIN)/python bench/inbound.py --requests 10000 --clients 32 --runs $(BENCH_RUNS)
	$(BIN)/python bench/slack.py --prompts 10000 --rate 150 --runs $(BENCH_RUNS)
	$(BIN)/python bench/web_digest.py

clean:
	rm -rf $(VENV) donebot.db* donebot-queue.db* *.egg-info
