# Wenda: `make run` serves the web app, `make test` runs the tests. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT := $(or $(GRADIO_SERVER_PORT),7860)

.PHONY: install index run test browser-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# the CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

index: install
	$(BIN)/python -m bot index --if-stale --corpus corpus --index index

run: index
	GRADIO_SERVER_PORT=$(PORT) GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 $(BIN)/python app.py

# Chromium and a CJK font for the browser tests, from Debian's packages (never `playwright install`).
browser-deps:
	@{ command -v chromium >/dev/null 2>&1 && fc-list | grep -qi "Noto Sans CJK"; } || { \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-liberation) >/dev/null 2>&1 \
	  || echo "chromium could not be installed: browser tests will be skipped"; }

test: install browser-deps
	GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q

clean:
	rm -rf index .index.building-* .pytest_cache
