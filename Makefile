# Two commands set up everything on a fresh machine: `make demo` and `make test`.
# `make check` is the fast tier to run while working: the linter and every test that needs no model.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_INDEX ?= demo-index
SHARED ?= ../shared

.PHONY: install demo lint check test bench eval clean

$(BIN)/akhbar: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# CPU torch from local disk first, or pip resolves a multi-GB CUDA build
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test,ray,export,fast]'
	touch $@

install: $(BIN)/akhbar

demo: install
	$(BIN)/akhbar build seeds/ --index $(DEMO_INDEX)
	$(BIN)/akhbar similar 000_2274472028061bc0 --index $(DEMO_INDEX)
	$(BIN)/akhbar coverage ar-nato-01 --index $(DEMO_INDEX)

lint: install
	$(BIN)/ruff check .

check: lint
	$(BIN)/python -m pytest -q -m "not model"

test: lint
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/embed_throughput.py $(SHARED)/data/saudinewsnet/articles.jsonl.gz

eval: install
	$(BIN)/python bench/eval_all.py $(SHARED)/data

clean:
	rm -rf $(VENV) $(DEMO_INDEX) *.egg-info
