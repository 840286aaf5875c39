# Two entry points do all set-up on a fresh machine:
#   make run   installs, then serves API + GraphQL + explorer on the embedded store
#   make test  installs everything, starts a local Neo4j, runs every check and test
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NEO4J_PORT ?= 7687
NEO4J_DIR ?= $(CURDIR)/tools/neo4j/run
KAFKA_PORT ?= 9092
KAFKA_DIR ?= $(CURDIR)/tools/kafka/run

.PHONY: run test install lint typecheck pytest dbt-install neo4j-start neo4j-stop kafka-start kafka-stop bench clean web web-test chromium bench-web airflow-install spark-install feast-install

# Serving needs only the runtime dependencies; the test and development extras (MLflow,
# scikit-learn, Evidently, linters: most of a gigabyte) are installed by `make test` alone.
RUN_STAMP := $(VENV)/.installed-run

$(RUN_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(RUN_STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP) $(RUN_STAMP)

install: $(STAMP)

# The web explorer (web/), built into lineage/web/static, which `lineage serve` serves at /.
WEB_STAMP := web/node_modules/.installed
$(WEB_STAMP): web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $(WEB_STAMP)

# Built again only when the explorer's sources changed since the last build.
WEB_BUILT := lineage/web/static/index.html
WEB_SOURCES := $(shell find web/src -type f) $(wildcard web/*.html web/*.ts web/*.json)

$(WEB_BUILT): $(WEB_SOURCES) | $(WEB_STAMP)
	cd web && npm run --silent build

web: $(WEB_STAMP) $(WEB_BUILT)

web-test: web
	cd web && npm test --silent

# Debian's chromium for the browser tests; without root (and CI unset) they skip instead.
chromium:
	bash tools/chromium/install.sh || test -z "$$CI"

run: $(RUN_STAMP) $(WEB_BUILT)
	$(BIN)/lineage serve

dbt-install:
	bash tools/dbt/install.sh

airflow-install:
	bash tools/airflow/install.sh

# Feast with its native OpenLineage emitter, for the live feature-store tests (tools/feast).
feast-install:
	bash tools/feast/install.sh

# PySpark and the OpenLineage Spark listener, for the live Spark tests (tools/spark).
spark-install:
	bash tools/spark/install.sh

neo4j-start:
	bash tools/neo4j/neo4j.sh start --port $(NEO4J_PORT) --dir $(NEO4J_DIR)

neo4j-stop:
	bash tools/neo4j/neo4j.sh stop --dir $(NEO4J_DIR)

# Apache Kafka (KRaft, one node) from Maven Central, for `lineage consume` and its tests.
kafka-start:
	bash tools/kafka/kafka.sh start --port $(KAFKA_PORT) --dir $(KAFKA_DIR)

kafka-stop:
	bash tools/kafka/kafka.sh stop --dir $(KAFKA_DIR)

lint: install
	$(BIN)/ruff check lineage tests benchmarks
	$(BIN)/ruff format --check lineage
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy lineage

pytest: install
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# Neo4j and Kafka are started for the run and stopped afterwards, whatever the tests did.
test: install dbt-install airflow-install spark-install feast-install lint typecheck web-test chromium
	$(MAKE) neo4j-start
	$(MAKE) kafka-start || { $(MAKE) neo4j-stop; exit 1; }
	status=0; \
	LINEAGE_TEST_NEO4J=neo4j://127.0.0.1:$(NEO4J_PORT) \
	LINEAGE_TEST_KAFKA=127.0.0.1:$(KAFKA_PORT) $(MAKE) pytest || status=$$?; \
	$(MAKE) kafka-stop; \
	$(MAKE) neo4j-stop; \
	exit $$status

bench: install
	$(BIN)/python benchmarks/ingest.py

bench-web: install web chromium
	$(BIN)/python benchmarks/web.py

clean:
	rm -rf $(VENV) .lineage .pytest_cache .mypy_cache .ruff_cache
