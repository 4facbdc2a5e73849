# Two commands on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON_BIN ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
DB_URL ?= sqlite:///var/redgrid.db
SPEED ?= 10

.PHONY: run test seed simulate serve clean-db bench

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@

# Seed the demo city once (skipped when the database has data), then run the
# simulator and the app together; Ctrl-C stops both.
run: $(VENV)/.installed
	$(PY) -m dashboard seed --db $(DB_URL) --scale demo --if-empty
	$(PY) -m dashboard migrate --db $(DB_URL)
	$(PY) -m dashboard users demo --db $(DB_URL)
	@echo "Sign in at http://127.0.0.1:8050/login with one of these demo accounts:"; \
	  sed 's/^/  /' var/demo-accounts.txt 2>/dev/null || true
	@trap 'kill $$sim 2>/dev/null' EXIT; \
	  $(PY) -m dashboard simulate --db $(DB_URL) --speed $(SPEED) & sim=$$!; \
	  WARNINGS_EVALUATE_SECONDS=60 $(PY) -m dashboard run --db $(DB_URL)

test: $(VENV)/.installed-test
	$(PY) -m pytest --headless -q -p no:cacheprovider tests

seed: $(VENV)/.installed
	$(PY) -m dashboard seed --db $(DB_URL) --scale demo

clean-db:
	rm -f var/redgrid.db var/redgrid.db-wal var/redgrid.db-shm

# Speed and scale (issue #6): the benchmarks that fit in 15 minutes against a seeded city
# (python -m dashboard seed --db $(BENCH_DB) --scale city); results in benchmarks/results/.
BENCH_DB ?= postgresql://postgres@127.0.0.1/redgrid_city
bench: $(VENV)/.installed
	$(PY) -m pip install -q -r benchmarks/requirements.txt
	$(PY) benchmarks/view_speed.py --db $(BENCH_DB) --runs 3 --ticks 100 --naive-runs 1 \
	  --views overview,incidents,patrols --levels city,county --out benchmarks/results/views.json
	$(PY) benchmarks/load_test.py --db $(BENCH_DB) --steps 10,300 --duration 30 --warm 15 --ramp 15 \
	  --out benchmarks/results/load.json
	$(PY) benchmarks/load_test.py --db $(BENCH_DB) --steps 20,80,150,300 --duration 20 --warm 10 --ramp 10 \
	  --out benchmarks/results/saturation.json
	$(PY) benchmarks/saturation.py benchmarks/results/saturation.json --png benchmarks/results/saturation.png
