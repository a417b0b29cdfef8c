# Two commands for a newcomer: `make run` runs the notebook end to end, `make test` tests it.
# Both create the virtual environment in .venv on first use. Python 3.10 or newer.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
NOTEBOOK := mnist_digit_recognition.ipynb

.PHONY: run test lint notebook bench clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

## Run the notebook headless; the executed copy goes to build/, the model files next to the notebook.
## Recognize your own digits with: make run OWN_IMAGES=path/to/folder
run: $(BIN)/.installed
	mkdir -p build
	$(BIN)/papermill --cwd . --no-progress-bar $(if $(OWN_IMAGES),-p OWN_IMAGES "$(OWN_IMAGES)") \
		$(NOTEBOOK) build/$(NOTEBOOK)

## Unit tests, the notebook re-executed and compared with its stored outputs (nbval), and lint.
test: $(BIN)/.installed
	$(BIN)/python -m pytest

## The lint checks on their own: ruff on the code and the notebook, and the notebook's JSON form.
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/python tools/nbnormalize.py --check $(NOTEBOOK)

## Re-run the notebook in place and normalize it: what you commit after changing it.
notebook: $(BIN)/.installed
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace $(NOTEBOOK)
	$(BIN)/python tools/nbnormalize.py $(NOTEBOOK)

## Speed, memory and accuracy benchmarks (not tests); need /usr/bin/time (Debian package "time").
bench: $(BIN)/.installed
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/own_images.py

clean:
	rm -rf build mnist_digit_recognition.h5 mnist_digit_recognition.keras *.tflite predictions.csv
