# The two commands a newcomer needs:
#   make demo   set up .venv, load the demo data, build every model and data test, write the dashboard
#   make test   set up .venv, then lint, build the demo with every dbt test (docs, MetricFlow),
#               check the project's structure (dbt-bouncer), run pytest, and build the demo
#               on Spark comparing every mart with DuckDB
# Both are idempotent. Everything installs into .venv inside the repo; nothing global.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXPANSION_METRICS_DB ?= $(CURDIR)/data/expansion_metrics.duckdb
DEMO_AS_OF_DATE := 2026-10-31
DEMO_LAST_MONTH := 2026-10-01
export EXPANSION_METRICS_DB

.PHONY: demo test setup lint build-demo bouncer pytest docs lock lock-spark lock-bouncer spark-check spark-check-connectors \
	clean \
	system-packages

setup: $(STAMP)
	@mkdir -p data

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/expansion-metrics load seeds/demo
	@# --full-refresh: the demo is rebuilt whole, so a checkout upgraded since its last
	@# demo (incremental models whose columns changed) builds too.
	$(BIN)/expansion-metrics build --as-of-date $(DEMO_AS_OF_DATE) --full-refresh
	$(BIN)/expansion-metrics report --out reports/dashboard.html
	@echo
	@echo "Done. Warehouse: $(EXPANSION_METRICS_DB)"
	@echo "  BI tools read schema marts; staging models are in schema staging."
	@echo "  Dashboard: $(CURDIR)/reports/dashboard.html (open it in any browser, works offline)"
	@echo "  Explore: $(BIN)/python -c \"import duckdb; print(duckdb.connect('$(EXPANSION_METRICS_DB)', read_only=True).sql('show all tables'))\""

# The docs site: every model and column with its definition, and the lineage, served at
# http://localhost:8080 (after make demo, on the demo warehouse).
docs: setup
	$(BIN)/dbt docs generate --vars '{as_of_date: $(DEMO_AS_OF_DATE)}' --quiet
	$(BIN)/dbt docs serve --port 8080 --no-browser

lint: setup
	$(BIN)/ruff check expansion_metrics python_checks spark
	$(BIN)/ruff format --check expansion_metrics python_checks spark
	EXPANSION_METRICS_DB=$(CURDIR)/data/lint.duckdb DBT_TARGET_PATH=$(CURDIR)/data/lint/target \
		DBT_LOG_PATH=$(CURDIR)/data/lint/logs $(BIN)/sqlfluff lint models tests macros analyses
	@# The connector adapters are disabled unless selected: linted again with them selected.
	EXPANSION_METRICS_DB=$(CURDIR)/data/lint.duckdb DBT_TARGET_PATH=$(CURDIR)/data/lint/target \
		DBT_LOG_PATH=$(CURDIR)/data/lint/logs $(BIN)/sqlfluff lint models/sources/stripe \
		models/sources/salesforce --config models/sources/sqlfluff_stripe_salesforce.cfg
	EXPANSION_METRICS_DB=$(CURDIR)/data/lint.duckdb DBT_TARGET_PATH=$(CURDIR)/data/lint/target \
		DBT_LOG_PATH=$(CURDIR)/data/lint/logs $(BIN)/sqlfluff lint models/sources/hubspot \
		--config models/sources/sqlfluff_hubspot.cfg

build-demo: setup
	$(BIN)/expansion-metrics load seeds/demo
	$(BIN)/expansion-metrics build --as-of-date $(DEMO_AS_OF_DATE) --unit-tests --full-refresh
	$(BIN)/dbt docs generate --vars '{as_of_date: $(DEMO_AS_OF_DATE)}' --quiet
	DBT_PROFILES_DIR=. $(BIN)/mf validate-configs

# dbt-bouncer: the layers' promises (dbt-bouncer.yml) checked on the demo build's manifest.
# Its own virtual environment: dbt-bouncer needs duckdb < 2, the project runs 2.0.
BOUNCER_VENV := .venv-bouncer
$(BOUNCER_VENV)/.installed: constraints-bouncer.txt
	test -x $(BOUNCER_VENV)/bin/python || $(PYTHON) -m venv $(BOUNCER_VENV)
	$(BOUNCER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		-c constraints-bouncer.txt 'dbt-bouncer==4.3.0'
	touch $@

# The demo's manifest, then each connector path's (parsed into its own target folder).
BOUNCER_PATHS := stripe-salesforce stripe-hubspot
bouncer: build-demo $(BOUNCER_VENV)/.installed
	$(BOUNCER_VENV)/bin/dbt-bouncer --config-file dbt-bouncer.yml
	@for path in $(BOUNCER_PATHS); do \
		billing=$${path%%-*}; crm=$${path#*-}; target=$(CURDIR)/data/bouncer/$$path; \
		echo "dbt-bouncer: billing_source $$billing, crm_source $$crm"; \
		DBT_TARGET_PATH=$$target DBT_LOG_PATH=$(CURDIR)/data/bouncer/logs $(BIN)/dbt parse --quiet \
			--vars "{billing_source: $$billing, crm_source: $$crm}" || exit 1; \
		sed "s#^dbt_artifacts_dir: target#dbt_artifacts_dir: $$target#" dbt-bouncer.yml \
			> $$target/dbt-bouncer.yml || exit 1; \
		$(BOUNCER_VENV)/bin/dbt-bouncer --config-file $$target/dbt-bouncer.yml || exit 1; \
	done

# Two workers, one test file each at a time, handed out in the order named here: the
# longest files first (--no-loadscope-reorder: by default xdist reorders files by their
# number of tests, which sent the one-test refresh-fault and incremental checks last,
# running alone). A worker whose file has at most two tests left is handed the next file
# at once, so the many-test test_refresh goes first and the one-test files follow it.
LONGEST_CHECKS := python_checks/test_refresh.py python_checks/test_refresh_faults.py \
	python_checks/test_incremental.py python_checks/test_connector_equivalence.py \
	python_checks/test_refresh_windows.py python_checks/test_month_close.py \
	python_checks/test_calendar.py \
	python_checks/test_configuration.py python_checks/test_hardening.py \
	python_checks/test_properties.py
# Three workers on two cores: one worker's checks wait on sleeps, fsyncs and child
# processes often enough that two left about a fifth of the CPU idle (make test at
# bae9b4b: 27 CPU-minutes in 16.7 minutes).
PYTEST_WORKERS ?= 3
pytest: setup $(BOUNCER_VENV)/.installed
	EXPANSION_METRICS_DB=$(CURDIR)/data/pytest.duckdb $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=20 $(LONGEST_CHECKS) \
		$(filter-out $(LONGEST_CHECKS),$(sort $(wildcard python_checks/test_*.py)))

# Lint, the DuckDB build of the demo, and the downloads (.venv-spark, and Java and
# Chromium with apt when missing) followed by the first half of the Spark incremental step
# run side by side (lint keeps its own dbt target folder); then the rest of the Spark check
# (which compares Spark's marts with a copy of that DuckDB build instead of building it
# again) runs beside pytest: all CPU-bound, they share the two cores.
# The Spark build of the connector path (spark-check-connectors, about 5.5 minutes) runs
# in `make spark-check`, and in `make test` only with TEST_SPARK_CONNECTORS=1, to keep the
# test command under 15 minutes on 2 cores; the connector path's DuckDB equivalence
# (test_connector_equivalence.py) and the Spark contract build run in every `make test`.
# In `make test` the Spark build runs every model and the singular tests (bridge identity,
# totals, complete months), and leaves out the unit tests and the generic tests (keys,
# not-null, accepted values, relationships), which the DuckDB demo build runs; and it is a
# full build unless TEST_SPARK_INCREMENTAL=1 (the incremental step's first build adds
# about 1.5 minutes on 2 cores to a command already over 15). `make spark-check` runs the
# incremental step and every test on Spark.
TEST_SPARK_CONNECTORS ?= 0
TEST_SPARK_INCREMENTAL ?= 0
TEST_SPARK_EXCLUDE := resource_type:unit_test test_type:generic
SPARK_CHECK_LOG := data/spark-check.log
# No `setup` prerequisite here: the first make installs .venv and .venv-spark side by side.
# The Spark check then runs in the background beside pytest (its output follows pytest's).
test:
	$(MAKE) --no-print-directory -j3 --output-sync=target lint build-demo bouncer \
		$(if $(filter 1,$(TEST_SPARK_INCREMENTAL)),$(SPARK_PREVIOUS),$(SPARK_VENV)/.installed system-packages)
	$(MAKE) --no-print-directory spark-check SPARK_REFERENCE=$(EXPANSION_METRICS_DB) \
		SPARK_CONNECTORS=$(TEST_SPARK_CONNECTORS) SPARK_INCREMENTAL=$(TEST_SPARK_INCREMENTAL) \
		SPARK_EXCLUDE='$(TEST_SPARK_EXCLUDE)' > $(SPARK_CHECK_LOG) 2>&1 & spark=$$!; \
	$(MAKE) --no-print-directory pytest; tests=$$?; \
	wait $$spark; sparked=$$?; cat $(SPARK_CHECK_LOG); \
	[ $$sparked = 0 ] || echo "make test: the Spark check failed (above)"; \
	[ $$tests = 0 ] && [ $$sparked = 0 ]

# Java 17 for the Spark check and Chromium for the dashboard's browser check, in one apt
# run, when missing (root only, never fatal: spark-check and the browser check still
# install what is missing themselves, as before).
system-packages:
	@command -v java >/dev/null && command -v chromium >/dev/null || [ "$$(id -u)" != 0 ] || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		$$(command -v java >/dev/null || echo openjdk-17-jre-headless) \
		$$(command -v chromium >/dev/null || echo chromium) || echo "apt-get failed: see spark-check, test_dashboard"; }

# The same project on Apache Spark (dbt-spark, local PySpark session), every mart compared
# with the DuckDB build of the demo. Its own virtual environment; Java 17 from apt if missing.
SPARK_VENV := .venv-spark
SPARK_DIR := $(CURDIR)/data/spark
SPARK_ENV := EXPANSION_METRICS_SPARK_DIR=$(SPARK_DIR) EXPANSION_METRICS_TARGET=spark

$(SPARK_VENV)/.installed: constraints-spark.txt
	test -x $(SPARK_VENV)/bin/python || $(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -c constraints-spark.txt \
		'dbt-spark[session]==1.11.0' 'pyspark==4.3.0' 'dbt-core==1.11.16'
	touch $@

# SPARK_REFERENCE: a DuckDB warehouse of the demo already built with the default vars and
# as_of_date $(DEMO_AS_OF_DATE) (make test passes build-demo's), copied here; unset, the
# reference is built here.
SPARK_REFERENCE ?=
SPARK_CONNECTORS ?= 1
# What the Spark build leaves out (make test: the unit tests and dbt's own generic tests,
# see TEST_SPARK_EXCLUDE); empty, every model and test runs on Spark.
SPARK_EXCLUDE ?=
REFERENCE := $(SPARK_DIR)/reference.duckdb
LOADS := $(SPARK_DIR)/loads.duckdb
LOADS_ENV := EXPANSION_METRICS_DB=$(LOADS) EXPANSION_METRICS_TEMP_DIR=$(SPARK_DIR)/tmp

# One incremental step on Spark, first half: the load before (the demo without the items
# that start in its last month), loaded by the loader (its log goes to Spark too), and the
# chains built on Spark (models only). A target of its own (a stamp file, which spark-check
# removes when it starts, so each spark-check runs it afresh) so that `make test` can run
# it beside lint and the DuckDB demo build.
SPARK_PREVIOUS := $(SPARK_DIR)/previous.done
# Java 17 if missing, and an empty Spark folder: where each Spark check starts.
define spark_fresh
	command -v java >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless; }
	rm -rf $(SPARK_DIR) && mkdir -p $(SPARK_DIR)/tmp $(SPARK_DIR)/parquet
endef
$(SPARK_PREVIOUS): | setup $(SPARK_VENV)/.installed system-packages
	$(spark_fresh)
	$(BIN)/python spark/previous_load.py seeds/demo $(SPARK_DIR)/previous $(DEMO_LAST_MONTH)
	$(LOADS_ENV) $(BIN)/expansion-metrics load $(SPARK_DIR)/previous
	$(BIN)/python spark/export_raw.py $(LOADS) $(SPARK_DIR)/parquet_previous
	$(SPARK_ENV) $(SPARK_VENV)/bin/python spark/load_raw.py $(SPARK_DIR)/parquet_previous
	$(SPARK_ENV) $(SPARK_VENV)/bin/dbt build --project-dir . --profiles-dir . \
		--target-path $(SPARK_DIR)/target --log-path $(SPARK_DIR)/logs \
		--select +int_completed_refreshes --exclude resource_type:test resource_type:unit_test \
		--vars '{as_of_date: $(DEMO_AS_OF_DATE)}' --quiet
	touch $@

# SPARK_INCREMENTAL=0: no first build, so the Spark build below is a full build.
SPARK_INCREMENTAL ?= 1
# SPARK_VARS: more vars for both builds of the comparison, as YAML mapping entries, e.g.
# SPARK_VARS='fx_rate_policy: historical, past_due_churn_days: 30' (the billing
# policies on Spark; needs SPARK_INCREMENTAL=0 and no SPARK_REFERENCE).
SPARK_VARS ?=
comma := ,
spark-check: $(if $(filter 1,$(SPARK_INCREMENTAL)),$(SPARK_PREVIOUS),| setup $(SPARK_VENV)/.installed system-packages)
ifeq ($(SPARK_INCREMENTAL),1)
	rm -f $(SPARK_PREVIOUS)
else
	$(spark_fresh)
endif
ifeq ($(SPARK_REFERENCE),)
	EXPANSION_METRICS_DB=$(REFERENCE) $(BIN)/expansion-metrics load seeds/demo
	EXPANSION_METRICS_DB=$(REFERENCE) DBT_TARGET_PATH=$(SPARK_DIR)/duckdb_target \
		$(if $(SPARK_VARS),$(BIN)/dbt build --project-dir . --profiles-dir . --vars '{as_of_date: $(DEMO_AS_OF_DATE)$(comma) $(SPARK_VARS)}' --quiet,$(BIN)/expansion-metrics build --as-of-date $(DEMO_AS_OF_DATE))
else
	cp $(SPARK_REFERENCE) $(REFERENCE)
endif
	@# Then the whole demo, built on Spark (incremental after the first half: it must
	@# recompute from the last month only, which export_marts checks), every mart compared
	@# with the DuckDB full build.
	$(LOADS_ENV) $(BIN)/expansion-metrics load seeds/demo
	$(BIN)/python spark/export_raw.py $(LOADS) $(SPARK_DIR)/parquet
	$(SPARK_ENV) $(SPARK_VENV)/bin/python spark/load_raw.py $(SPARK_DIR)/parquet
	$(SPARK_ENV) $(SPARK_VENV)/bin/dbt build --project-dir . --profiles-dir . \
		--target-path $(SPARK_DIR)/target --log-path $(SPARK_DIR)/logs \
		--vars '{as_of_date: $(DEMO_AS_OF_DATE)$(if $(SPARK_VARS),$(comma) $(SPARK_VARS))}' \
		$(if $(SPARK_EXCLUDE),--exclude $(SPARK_EXCLUDE))
	$(SPARK_ENV) $(SPARK_VENV)/bin/python spark/export_marts.py $(SPARK_DIR)/marts \
		$(if $(filter 1,$(SPARK_INCREMENTAL)),$(DEMO_LAST_MONTH))
	$(BIN)/python spark/compare_marts.py $(REFERENCE) $(SPARK_DIR)/marts
ifeq ($(SPARK_CONNECTORS),1)
	$(MAKE) --no-print-directory spark-check-connectors
else
	@echo "spark-check: the connector path on Spark left out (make spark-check-connectors, or make test TEST_SPARK_CONNECTORS=1)"
endif

# The Stripe + Salesforce connector path on Spark: a generated business as Fivetran's
# tables (plus the contract tables no connector gives), built on DuckDB with every test
# and on Spark (models and seeds; the data tests ran on DuckDB), every mart compared. The
# project is copied so the generated customer_crosswalk seed can sit in it.
CONNECTORS_DIR := $(CURDIR)/data/spark-connectors
CONNECTORS_VARS := {billing_source: stripe, crm_source: salesforce, as_of_date: $(DEMO_AS_OF_DATE)}
CONNECTORS_ENV := EXPANSION_METRICS_DB=$(CONNECTORS_DIR)/reference.duckdb \
	EXPANSION_METRICS_TEMP_DIR=$(CONNECTORS_DIR)/tmp
CONNECTORS_SPARK_ENV := EXPANSION_METRICS_SPARK_DIR=$(CONNECTORS_DIR)/spark EXPANSION_METRICS_TARGET=spark

spark-check-connectors: setup $(SPARK_VENV)/.installed
	rm -rf $(CONNECTORS_DIR) && mkdir -p $(CONNECTORS_DIR)/raw $(CONNECTORS_DIR)/spark/tmp
	$(BIN)/expansion-metrics generate --customers 60 --months 24 --end-month 2026-10 --quiet \
		--format stripe,salesforce --out $(CONNECTORS_DIR)/generated
	cd $(CONNECTORS_DIR)/generated && cp expansion_targets.csv account_events.csv \
		nps_responses.csv product_usage.csv support_tickets.csv $(CONNECTORS_DIR)/raw/
	$(CONNECTORS_ENV) $(BIN)/expansion-metrics load $(CONNECTORS_DIR)/raw
	@# As a warehouse synced by Fivetran: no raw tables the connectors replace.
	$(BIN)/python -c "import duckdb, sys; con = duckdb.connect(sys.argv[1]); \
		[con.execute(f'drop table raw.{t}') for t in sys.argv[2:]]" $(CONNECTORS_DIR)/reference.duckdb \
		customers subscription_items invoices opportunities opportunity_stage_history fx_rates
	$(CONNECTORS_ENV) $(BIN)/expansion-metrics load --source stripe $(CONNECTORS_DIR)/generated/stripe
	$(CONNECTORS_ENV) $(BIN)/expansion-metrics load --source salesforce \
		$(CONNECTORS_DIR)/generated/salesforce
	mkdir -p $(CONNECTORS_DIR)/project
	cp -r dbt_project.yml profiles.yml models macros seeds tests analyses $(CONNECTORS_DIR)/project/
	cp $(CONNECTORS_DIR)/generated/customer_crosswalk.csv $(CONNECTORS_DIR)/project/seeds/reference/
	cd $(CONNECTORS_DIR)/project && $(CONNECTORS_ENV) $(CURDIR)/$(BIN)/dbt build --profiles-dir . \
		--target-path $(CONNECTORS_DIR)/duckdb_target --log-path $(CONNECTORS_DIR)/logs \
		--vars '$(CONNECTORS_VARS)' --quiet
	$(BIN)/python spark/export_raw.py $(CONNECTORS_DIR)/reference.duckdb $(CONNECTORS_DIR)/parquet
	$(CONNECTORS_SPARK_ENV) $(SPARK_VENV)/bin/python spark/load_raw.py $(CONNECTORS_DIR)/parquet
	cd $(CONNECTORS_DIR)/project && $(CONNECTORS_SPARK_ENV) $(CURDIR)/$(SPARK_VENV)/bin/dbt build \
		--profiles-dir . --target-path $(CONNECTORS_DIR)/spark_target \
		--log-path $(CONNECTORS_DIR)/spark_logs --exclude resource_type:test resource_type:unit_test \
		--vars '$(CONNECTORS_VARS)'
	$(CONNECTORS_SPARK_ENV) $(SPARK_VENV)/bin/python spark/export_marts.py $(CONNECTORS_DIR)/marts
	$(BIN)/python spark/compare_marts.py $(CONNECTORS_DIR)/reference.duckdb $(CONNECTORS_DIR)/marts

# Regenerate the lock after changing a pin in pyproject.toml.
lock: setup
	{ echo '# The lock: every package of the environment at an exact version (regenerate with `make lock`).'; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^expansion.metrics'; } > constraints.txt

lock-spark: $(SPARK_VENV)/.installed
	{ echo '# The Spark toolchain lock for .venv-spark (make spark-check); regenerate with `make lock-spark`.'; \
	  $(SPARK_VENV)/bin/python -m pip freeze; } > constraints-spark.txt

lock-bouncer: $(BOUNCER_VENV)/.installed
	{ echo '# The dbt-bouncer toolchain lock for .venv-bouncer (make bouncer); regenerate with `make lock-bouncer`.'; \
	  $(BOUNCER_VENV)/bin/python -m pip freeze; } > constraints-bouncer.txt

clean:
	rm -rf target logs data
