# Two commands from a fresh clone (see README): `make ask` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
Q ?= Who is North Korea's ambassador to the United Nations?
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_VERBOSITY := error

.PHONY: install ask test bench-quality bench-speed bench-sync bench-cluster clean-index

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q torch==2.13.0
	$(BIN)/pip install --disable-pip-version-check -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

## Build the index from seeds/ on first use, then answer a question (Q="...").
ask: install
	$(BIN)/qa-bot ask "$(Q)"

## The test suite (what CI runs).
test: install
	$(BIN)/python -m pytest -q

## Retrieval-quality benchmarks (SciFact, SQuAD, abstention) -> benchmarks/results/.
bench-quality: install
	$(BIN)/python -m benchmarks.quality

## Speed benchmarks -> benchmarks/results/.
bench-speed: install
	$(BIN)/python -m benchmarks.speed

## Incremental sync benchmark (10,000 documents, one changed) -> benchmarks/results/.
bench-sync: install
	$(BIN)/python -m benchmarks.sync

## Embedding on a 2-worker Dask cluster vs locally, and random kills -> benchmarks/results/.
bench-cluster: install
	$(BIN)/python -m benchmarks.cluster

clean-index:
	rm -rf embeddings/CURRENT embeddings/gen-* embeddings/texts embeddings/cache.sqlite
