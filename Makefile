# Jiayuan — `make run` to try it, `make test` to check it.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PORT ?= 5000
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: install translations browser run serve test test-sqlite test-postgres test-plugins lint bench docs clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip "setuptools>=77" wheel
	$(PY) -m pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed translations

# .po files are the source; .mo files are built, never committed
translations: $(VENV)/.installed
	@for d in core/translations plugins/*/translations examples/*/*/translations; do \
	  if [ -d "$$d" ] && ls $$d/*/LC_MESSAGES/*.po >/dev/null 2>&1; then $(BIN)/pybabel compile -f -d $$d >/dev/null 2>&1 || exit 1; fi; \
	done

# Debian's chromium for the browser tests (Playwright cannot download its own here), and a CJK font
browser:
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi wqy || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

run: install
	$(BIN)/jiayuan db upgrade
	$(BIN)/jiayuan demo --if-empty
	@echo ""
	@echo "  Jiayuan is at http://127.0.0.1:$(PORT)/login   (owner portal: /portal, API docs: /api/v1/docs)"
	@echo "  Log in with any demo account above; password: jiayuan-demo-2026"
	@echo ""
	@$(BIN)/jiayuan jobs run --loop --interval 60 > instance/jobs.log 2>&1 & echo $$! > instance/jobs.pid; \
	  trap 'kill $$(cat instance/jobs.pid) 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/jiayuan serve --port $(PORT)

lint: install
	$(BIN)/ruff check .

test: install browser lint test-sqlite test-postgres test-plugins

test-sqlite: install
	@echo "== tests on SQLite =="
	JIAYUAN_TEST_DATABASE_URL= $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install
	@bash scripts/ensure-postgres.sh "$(PG_TEST_URL)"; rc=$$?; \
	if [ $$rc -eq 0 ]; then \
	  echo "== tests on PostgreSQL =="; \
	  JIAYUAN_TEST_DATABASE_URL="$(PG_TEST_URL)" $(BIN)/pytest $(PYTEST_ARGS) || exit 1; \
	elif [ "$$CI" = "true" ]; then \
	  echo "PostgreSQL is not reachable and CI=true: failing"; exit 1; \
	else \
	  echo "== PostgreSQL not reachable: PostgreSQL pass SKIPPED (set PG_TEST_URL or start PostgreSQL) =="; \
	fi

# the plugin author's path: scaffold, install, test, serve; and the example plugin on both databases
test-plugins: install
	@if bash scripts/ensure-postgres.sh "$(PG_TEST_URL)"; then bash scripts/check-plugins.sh "$(PG_TEST_URL)"; \
	else bash scripts/check-plugins.sh; fi

bench: install
	@for f in bench/*.py; do [ -f "$$f" ] || continue; echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) instance build *.egg-info
