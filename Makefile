# geoquartier — the two jobs a new user runs:
#   make demo   set up, import the model quartiers, build their maps, start the server
#   make test   set up, run the whole test suite
#   make lint   check the Python (ruff) and the page scripts (ESLint)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: setup demo test bench lint clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: setup
	$(VENV)/bin/geoquartier demo

test: setup
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || { \
	  echo "The browser tests need Debian's chromium package: sudo apt-get install chromium"; exit 2; }
	$(PY) -m pytest

bench: setup
	$(PY) -m pip install -q -e ".[bench]" || echo "pandana not installable: its column is left out"
	$(PY) benchmarks/accessibility.py
	$(PY) benchmarks/api_load.py
	$(PY) benchmarks/zensus_csv.py

# Python with ruff (rules in pyproject.toml), the page scripts with ESLint (eslint.config.js)
JS_DIRS := geoquartier/maps/static api/participation/static

lint: setup
	$(VENV)/bin/ruff check geoquartier api tests benchmarks
	npx --no-install eslint $(JS_DIRS) eslint.config.js

clean:
	rm -rf $(VENV) node_modules .cache workspace maps/*.html
