# learnmech — `make test` and `make demo` create .venv when it is missing, install, and run.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo lint bench clean chromium docs

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m ruff check src tests benchmarks
	$(BIN)/python -m pytest -q

demo: $(STAMP)
	$(BIN)/python -m learnmech.demo

lint: $(STAMP)
	$(BIN)/python -m ruff check src tests benchmarks

# The docs site (mkdocs.yml) into site/, offline; strict: a warning fails the build.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict

bench: $(STAMP)
	$(BIN)/python benchmarks/neurashed_speed.py
	$(BIN)/python benchmarks/sweep_overhead.py

# The report's browser test needs Chromium: install Debian's when running as root (CI) and none
# is there; elsewhere the test skips with a message.
chromium:
	@if command -v chromium >/dev/null 2>&1; then echo "chromium: $$(command -v chromium)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	  || echo "chromium could not be installed: the browser test will skip"; \
	else echo "no chromium and not root: the browser test will skip"; fi

clean:
	rm -rf $(VENV) runs site .pytest_cache
