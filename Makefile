# The two commands a newcomer needs:
#   make demo   set up .venv, load the demo data, build every model and test, say where results are
#   make test   set up .venv, then lint, build the demo with every dbt test, and run pytest
# Both are idempotent. Everything installs into .venv inside the repo; nothing global.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXPANSION_METRICS_DB ?= $(CURDIR)/data/expansion_metrics.duckdb
DEMO_AS_OF_DATE := 2026-10-31
export EXPANSION_METRICS_DB

.PHONY: demo test setup lint build-demo pytest lock clean

setup: $(STAMP)
	@mkdir -p data

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/expansion-metrics load seeds/demo
	$(BIN)/expansion-metrics build --as-of-date $(DEMO_AS_OF_DATE)
	$(BIN)/expansion-metrics report --out reports/dashboard.html
	@echo
	@echo "Done. Warehouse: $(EXPANSION_METRICS_DB)"
	@echo "  BI tools read schema marts; staging models are in schema staging."
	@echo "  Dashboard: $(CURDIR)/reports/dashboard.html (open it in any browser, works offline)"
	@echo "  Explore: $(BIN)/python -c \"import duckdb; print(duckdb.connect('$(EXPANSION_METRICS_DB)', read_only=True).sql('show all tables'))\""

lint: setup
	$(BIN)/ruff check expansion_metrics python_checks
	$(BIN)/ruff format --check expansion_metrics python_checks
	EXPANSION_METRICS_DB=$(CURDIR)/data/lint.duckdb $(BIN)/sqlfluff lint models tests macros analyses

build-demo: setup
	$(BIN)/expansion-metrics load seeds/demo
	$(BIN)/expansion-metrics build --as-of-date $(DEMO_AS_OF_DATE)
	$(BIN)/dbt docs generate --vars '{as_of_date: $(DEMO_AS_OF_DATE)}' --quiet
	DBT_PROFILES_DIR=. $(BIN)/mf validate-configs

pytest: setup
	$(BIN)/pytest python_checks

test: lint build-demo pytest

# Regenerate the lock after changing a pin in pyproject.toml.
lock: setup
	{ echo '# The lock: every package of the environment at an exact version (regenerate with `make lock`).'; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^expansion.metrics'; } > constraints.txt

clean:
	rm -rf target logs data
