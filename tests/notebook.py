"""Reach the notebook from tests and benchmarks: its helpers, its cells run in order, or a whole run.

The helpers are the notebook's own code: tools/export.py writes the cells tagged `helpers` (plus
the `parameters` cell) to the module mnist_helpers.py, in notebook order, and tests import it like
any module, so coverage and mutation tools read it and nothing is copied into the tests.
"""

import importlib
import linecache
import os
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "mnist_digit_recognition.ipynb"


def tagged_cells(*tags, notebook=NOTEBOOK):
    """The code cells of the notebook that carry any of the tags, in order."""
    cells = nbformat.read(notebook, as_version=4).cells
    return [cell for cell in cells if cell.cell_type == "code" and set(tags) & set(cell.metadata.get("tags", []))]


def exec_cell(cell, namespace):
    """Execute one code cell in namespace, with its source findable as Jupyter makes it.

    Registering the source with linecache gives readable tracebacks, and lets TensorFlow's
    autograph read the source of any function it converts, as it can in Jupyter.
    """
    filename = f"<notebook cell {cell.id}>"
    linecache.cache[filename] = (len(cell.source), None, cell.source.splitlines(keepends=True), filename)
    exec(compile(cell.source, filename, "exec"), namespace)


def set_parameters(namespace, parameters):
    """Override the parameters cell's values in namespace, as papermill would; refuse unknown names."""
    unknown = set(parameters) - set(namespace)
    if unknown:
        raise KeyError(f"Not notebook parameters: {sorted(unknown)}")
    namespace.update(parameters)


def load_helpers():
    """The notebook's helpers: the module tools/export.py writes from its helper cells, imported once."""
    if str(ROOT) not in sys.path:  # Benchmarks, tools and test kernels start elsewhere.
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("mnist_helpers")


def run_until(needle, seconds=None, **parameters):
    """Execute the notebook's code cells in order, up to and including the first whose source holds needle.

    Keyword arguments override the parameters cell, as papermill would. Returns the namespace. IPython
    magics (the `%pip install` cell) are skipped. A dict given as seconds receives each cell's time, by source.
    """
    namespace = {"__name__": "__main__"}
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.cell_type != "code" or any(line.lstrip().startswith(("%", "!")) for line in cell.source.splitlines()):
            continue
        start = time.perf_counter()
        exec_cell(cell, namespace)
        if seconds is not None:
            seconds[cell.source] = time.perf_counter() - start
        if "parameters" in cell.metadata.get("tags", []):
            set_parameters(namespace, parameters)
        if needle in cell.source:
            return namespace
    raise LookupError(f"The notebook has no code cell holding {needle!r}")


def run_until_evaluated(seconds=None, **parameters):
    """The notebook's cells through the test evaluation: the trained `model`, `history`, `test_accuracy`, ..."""
    return run_until("model.evaluate(", seconds, **parameters)


def fit_seconds(seconds):
    """The time of the cell that calls model.fit, from the seconds that run_until recorded."""
    return next(time for source, time in seconds.items() if "model.fit(" in source)


def code_cell(needle):
    """The first code cell whose source holds needle."""
    return next(cell for cell in nbformat.read(NOTEBOOK, as_version=4).cells
                if cell.cell_type == "code" and needle in cell.source)


def run_notebook(output_dir, **parameters):
    """Run the whole notebook headless with papermill in output_dir; return the executed notebook."""
    import papermill

    output = Path(output_dir) / NOTEBOOK.name
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(output),
        parameters=parameters,
        cwd=str(output_dir),
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
    )
    return nbformat.read(output, as_version=4)


def cell_text(notebook, needle):
    """The text outputs (stdout and text/plain) of the first code cell whose source contains needle."""
    for cell in notebook.cells:
        if cell.cell_type == "code" and needle in cell.source:
            parts = []
            for output in cell.outputs:
                if output.output_type == "stream" and output.name == "stdout":
                    parts.append(output.text)
                elif "data" in output and "text/plain" in output.data:
                    parts.append(output.data["text/plain"])
            return "".join(parts)
    raise LookupError(f"No code cell contains {needle!r}")


def mnist_data_dir():
    """The local MNIST copy named by MNIST_DATA_DIR, or None."""
    value = os.environ.get("MNIST_DATA_DIR")
    return Path(value) if value else None


def stderr_outputs(notebook):
    """What a run showed on stderr (warnings and logs), as (first line of the cell, text) pairs."""
    return [
        (cell.source.splitlines()[0], output.text)
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stderr"
    ]


def prepare_one(nb, picture, name="picture"):
    """The 28×28 input of a picture (a PIL image, or an array made one) that holds one digit, by
    the notebook's prepare_digits (which must find one)."""
    if isinstance(picture, np.ndarray):
        picture = Image.fromarray(picture)
    inputs, _ = nb.prepare_digits(picture, name)
    assert len(inputs) == 1, f"{name}: {len(inputs)} digits found where one was drawn"
    return inputs[0]


class FixedModel:
    """A stand-in for a model: each input, call after call, gets the next of some fixed probabilities."""

    def __init__(self, rows):
        self.rows = list(np.array(rows, np.float32))

    def __call__(self, images, training=False):
        assert images.shape[1:] == (28, 28) and len(images) <= len(self.rows) and not training
        answer, self.rows = self.rows[: len(images)], self.rows[len(images) :]
        return np.array(answer)
