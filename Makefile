# resourcemap — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
DB ?= data/resourcemap.db
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench venv clean system-deps

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

## run: build the default catalogue from seeds/ if missing, then serve API + pages on 127.0.0.1:8000
run: venv
	@mkdir -p $(dir $(DB))
	@if [ ! -f "$(DB)" ]; then $(VENV)/bin/resourcemap --db $(DB) init --seed all; fi
	$(VENV)/bin/resourcemap --db $(DB) serve --host $(HOST) --port $(PORT)

## system-deps: Debian packages the browser tests need (headless chromium) and the spreadsheet test (LibreOffice Calc)
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-ipafont-gothic >/dev/null) \
	  || echo "warning: could not install chromium; browser tests will fail"; }
	@command -v soffice >/dev/null 2>&1 || { \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	     libreoffice-calc-nogui >/dev/null) \
	  || echo "warning: could not install LibreOffice; the spreadsheet test will fail"; }

## test: install, start the real servers the tests need on loopback, run everything, stop them
test: venv system-deps
	$(PY) scripts/run_tests.py

bench: venv
	$(PY) bench/match.py
	$(PY) bench/gaps.py
	$(PY) bench/api.py
	$(PY) bench/hsds.py
	$(PY) bench/store.py
	$(PY) bench/auth.py
	$(PY) bench/geo_national.py
	$(PY) bench/opendata.py
	$(PY) bench/pages.py --write-docs
	$(PY) bench/memory.py

clean:
	rm -rf $(VENV) data test-artifacts
