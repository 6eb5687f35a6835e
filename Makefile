# Two commands set up everything on a fresh machine: `make demo` and `make test`.
# `make check` is the fast tier to run while working: the linter and every test that needs no model.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_INDEX ?= demo-index
SHARED ?= ../shared

.PHONY: install demo serve lint check test browser-deps bench eval train docs clean

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

serve: install
	test -f $(DEMO_INDEX)/CURRENT || $(BIN)/akhbar build seeds/ --index $(DEMO_INDEX)
	$(BIN)/akhbar serve --index $(DEMO_INDEX)   # http://127.0.0.1:8000/article/000_2274472028061bc0

# The browser test needs Debian's chromium and an Arabic font; installed here when missing and
# we are root with apt-get (as on CI), else the test skips and says why.
browser-deps:
	@if [ -x /usr/bin/chromium ] && fc-list :lang=ar 2>/dev/null | grep -q Noto; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core; \
	else echo "note: chromium or fonts-noto-core missing and cannot be installed here: the browser test will skip"; fi

# mypy reads the package as `akhbar` through a link to the repository root (pyproject.toml [tool.mypy])
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@mkdir -p .mypy_cache/src && ln -sfn $(CURDIR) .mypy_cache/src/akhbar
	MYPYPATH=.mypy_cache/src $(BIN)/mypy -p akhbar

check: lint
	$(BIN)/python -m pytest -q -m "not model"

# two processes (pytest-xdist): a file's tests stay together (--dist loadfile), the model and the seed index
# are made once for both (tests/conftest.py); each holds ~2.5 GB, so on a machine short of memory:
# make test TEST_WORKERS=0 (one process)
TEST_WORKERS ?= 2
test: lint browser-deps
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# docs/cli.md from the code (tests/test_docs.py fails in `make check` when it is stale)
docs: install
	$(BIN)/python docs/make_cli_md.py > docs/cli.md

bench: install
	$(BIN)/python bench/embed_throughput.py $(SHARED)/data/saudinewsnet/articles.jsonl.gz

eval: install
	$(BIN)/python -m bench.eval_all $(SHARED)/data

# The default model's shipped tuning (index/embedding/e5-small-semeval.safetensors) from SemEval-2022
# Task 8's rated training pairs: seeded, repeatable, under an hour on 2 cores (train/finetune.py).
# A new file changes the model: update TUNING_SHA256 in index/embedding/tuning.py.
train: install
	$(BIN)/python -m akhbar.train.finetune $(SHARED)/data

clean:
	rm -rf $(VENV) $(DEMO_INDEX) *.egg-info
