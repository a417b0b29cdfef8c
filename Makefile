# Two commands for a newcomer: `make run` runs the notebook end to end, `make test` tests it.
# Both create the virtual environment in .venv on first use. Python 3.10 or newer.
# `make test-colab` runs the same tests on Google Colab's versions, in .venv-colab.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
NOTEBOOK := mnist_digit_recognition.ipynb
PIP := python -m pip --disable-pip-version-check

# Google Colab's versions (constraints-colab.txt), in an environment of their own, on Colab's
# Python 3.13: pyenv's 3.13 if there is one, else python3.13 on the PATH (as actions/setup-python
# puts it), else $(PYTHON), with a warning. The stamp names the Python, so a change rebuilds it.
COLAB_PYTHON ?= $(firstword $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.13*/bin/python3.13) \
	$(shell command -v python3.13 2>/dev/null) $(PYTHON))
COLAB_VENV ?= .venv-colab
COLAB_BIN := $(COLAB_VENV)/bin
COLAB_STAMP := $(COLAB_BIN)/.installed-$(notdir $(COLAB_PYTHON))

.PHONY: run test test-fast coverage test-colab lint export notebook figures lab bench mutants clean

# What `make run` needs: the notebook's requirements and papermill (both in requirements.txt).
$(BIN)/.installed-run: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/$(PIP) install --quiet --upgrade pip
	$(BIN)/$(PIP) install --quiet -r requirements.txt
	touch $@

# Everything else as well: the test and development tools of requirements-dev.txt.
$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/$(PIP) install --quiet --upgrade pip
	$(BIN)/$(PIP) install --quiet -r requirements-dev.txt
	touch $@ $(BIN)/.installed-run

# A variable's text as one shell word, exactly as typed (with $, quotes or spaces): single-quoted, unexpanded.
quoted = '$(subst ','\'',$(value $(1)))'

## Run the notebook headless, with a progress bar and a summary at the end (tools/run.py); the
## executed copy goes to build/, the model files next to the notebook.
## Recognize your own digits with: make run OWN_IMAGES=path/to/folder (and EPOCHS=3 trains less).
run: $(BIN)/.installed-run
	$(BIN)/python tools/run.py $(NOTEBOOK) build/$(NOTEBOOK) \
		$(if $(value OWN_IMAGES),-r OWN_IMAGES $(call quoted,OWN_IMAGES)) \
		$(if $(value EPOCHS),-p EPOCHS $(call quoted,EPOCHS))

## Unit tests, the notebook re-executed and compared with its stored outputs (nbval), and lint;
## then the coverage of the helpers (mnist_helpers.py) by the tests that import them.
test: $(BIN)/.installed
	$(BIN)/python -m coverage run -m pytest
	$(BIN)/python -m coverage report

## The quick loop: the unit tests alone, without running the notebook whole or the browser.
test-fast: $(BIN)/.installed
	$(BIN)/python -m pytest -o addopts="-ra -p no:cacheprovider" tests -m "not notebook and not browser"

## How much of the helpers the quick tests run: the report, its TOTAL line last.
coverage: $(BIN)/.installed
	$(BIN)/python -m coverage run -m pytest -o addopts="-ra -p no:cacheprovider" tests -m "not notebook and not browser"
	$(BIN)/python -m coverage report

# Colab's environment, built anew whenever a requirements or constraints file changes:
#  1. exactly Colab's versions (constraints-colab.txt installed as requirements);
#  2. a dry run of `pip install -r requirements.txt` over them must change none of them;
#  3. the test tools on top, held to Colab's versions by the constraints.
$(COLAB_STAMP): requirements.txt requirements-dev.txt constraints-colab.txt
	@$(COLAB_PYTHON) -c 'import sys; sys.version_info[:2] == (3, 13) or print("Warning: Colab runs \
	Python 3.13; building $(COLAB_VENV) with", sys.version.split()[0], "(set COLAB_PYTHON)")'
	rm -rf $(COLAB_VENV)
	$(COLAB_PYTHON) -m venv $(COLAB_VENV)
	echo '*' > $(COLAB_VENV)/.gitignore
	$(COLAB_BIN)/$(PIP) install --quiet --upgrade pip
	$(COLAB_BIN)/$(PIP) install --quiet -r constraints-colab.txt
	$(COLAB_BIN)/$(PIP) install --quiet --dry-run --report $(COLAB_VENV)/requirements-over-colab.json \
		-r requirements.txt
	$(COLAB_BIN)/python tests/test_versions.py $(COLAB_VENV)/requirements-over-colab.json
	$(COLAB_BIN)/$(PIP) install --quiet -c constraints-colab.txt -r requirements-dev.txt
	touch $@

## The same tests on Google Colab's versions (constraints-colab.txt), in .venv-colab.
## (Colab's ipykernel starts kernels without -Xfrozen_modules=off, so debugpy warns on every kernel
## start that breakpoints may be missed; no test debugs, and PYDEVD_DISABLE_FILE_VALIDATION hushes it.)
test-colab: $(COLAB_STAMP)
	TEST_CONSTRAINTS=constraints-colab.txt PYDEVD_DISABLE_FILE_VALIDATION=1 $(COLAB_BIN)/python -m pytest

## The lint checks on their own: ruff on the code and the notebook, and the notebook's JSON form.
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/python tools/nbnormalize.py --check $(NOTEBOOK)
	$(BIN)/python tools/export.py --check

## Write the notebook's helper cells to mnist_helpers.py, the module tests and benchmarks import.
export: $(BIN)/.installed
	$(BIN)/python tools/export.py

## Re-run the notebook in place and normalize it, export its helpers, then copy the README's figures
## from it: what you commit after changing it.
notebook: $(BIN)/.installed
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace $(NOTEBOOK)
	$(BIN)/python tools/nbnormalize.py $(NOTEBOOK)
	$(BIN)/python tools/export.py
	$(BIN)/python tools/figures.py $(NOTEBOOK)

## The README's figures (figures/*.png), copied from the figures the committed notebook's run holds.
figures: $(BIN)/.installed
	$(BIN)/python tools/figures.py $(NOTEBOOK)

## Open the notebook in JupyterLab.
lab: $(BIN)/.installed
	$(BIN)/jupyter lab $(NOTEBOOK)

## Speed, memory and accuracy benchmarks (not tests); need /usr/bin/time (Debian package "time").
bench: $(BIN)/.installed
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/convnet.py
	$(BIN)/python benchmarks/own_images.py
	$(BIN)/python benchmarks/read_numbers.py

## Mutation testing with mutmut (setup.cfg): small bugs put into mnist_helpers.py one at a time, each
## run against the quick tests that reach it; then the kill rate, overall and by part. Not in CI: hours
## for all mutants. Results stay in mutants/: a new run tries only mutants of changed code or tests.
## One part: make mutants MUTANTS='mnist_helpers.x_grayscale*'
mutants: $(BIN)/.installed
	-$(BIN)/mutmut run $(MUTANTS)
	$(BIN)/python tools/mutation_score.py

clean:
	rm -rf build mnist_digit_recognition.h5 mnist_digit_recognition.keras mnist_convnet.keras *.tflite predictions.csv
