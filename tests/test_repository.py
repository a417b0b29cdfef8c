"""The committed notebook is one clean run, normalized, lint-clean, and safe to parameterize."""

import ast
import json
import re
import subprocess
import sys

import nbformat
from notebook import NOTEBOOK, ROOT, tagged_cells
from PIL import Image

STORED = nbformat.read(NOTEBOOK, as_version=4)
CODE_CELLS = [cell for cell in STORED.cells if cell.cell_type == "code"]


def test_stored_outputs_are_one_clean_in_order_run():
    counts = [cell.execution_count for cell in CODE_CELLS]
    assert counts == list(range(1, len(CODE_CELLS) + 1))
    errors = [cell.id for cell in CODE_CELLS for output in cell.outputs if output.output_type == "error"]
    assert errors == []


def test_no_stderr_noise_and_no_machine_paths_in_outputs():
    stderr = [cell.id for cell in CODE_CELLS for output in cell.outputs
              if output.output_type == "stream" and output.name == "stderr"]
    assert stderr == [], "cells with stderr output (warnings or logs) in the stored run"
    outputs = json.dumps([cell.outputs for cell in CODE_CELLS])
    outputs = re.sub(r'"image/png": "[^"]*"', "", outputs)
    assert not re.search(r"(/work/|/root/|/tmp/|/home/|/Users/|C:\\\\)", outputs)


def test_notebook_json_is_normalized():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "nbnormalize.py"), "--check", str(NOTEBOOK)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert STORED.metadata.accelerator == "GPU" and STORED.metadata.colab.gpuType


def test_parameters_cell_holds_only_literal_assignments():
    (cell,) = tagged_cells("parameters")
    for statement in ast.parse(cell.source).body:
        assert isinstance(statement, ast.Assign), ast.unparse(statement)
        ast.literal_eval(statement.value)  # Raises for anything but a literal.
        assert all(isinstance(target, ast.Name) and target.id.isupper() for target in statement.targets)


def is_folded(cell):
    """A helper cell: titled, shown as a form in Colab and collapsed in JupyterLab and Notebook 7."""
    return cell.metadata.get("jupyter", {}).get("source_hidden", False)


def test_every_visible_code_cell_is_led_by_a_sentence():
    """tensorflow/docs style: a sentence before each lesson cell; it may also follow the helper it uses."""
    for previous, cell in zip(STORED.cells, STORED.cells[1:]):
        if cell.cell_type == "code" and not is_folded(cell):
            helper = is_folded(previous) or "helpers" in previous.metadata.get("tags", [])
            assert previous.cell_type == "markdown" or helper, cell.source[:80]


def test_helper_cells_are_titled_and_fold_in_colab_and_jupyterlab():
    folded = [cell for cell in CODE_CELLS if is_folded(cell)]
    assert len(folded) >= 15
    for cell in CODE_CELLS:
        titled = cell.source.startswith("#@title ")
        assert titled == is_folded(cell) == (cell.metadata.get("cellView") == "form"), cell.source[:80]
        # Anything longer than about 20 lines is machinery, and folded.
        assert titled or len(cell.source.splitlines()) <= 20, cell.source[:80]


def test_the_learner_reads_at_most_60_lines_of_code_before_the_first_epoch():
    lines = 0
    for cell in CODE_CELLS:
        if not is_folded(cell):
            lines += len(cell.source.splitlines())
        if "model.fit(" in cell.source:
            break
    else:
        raise AssertionError("no cell calls model.fit(")
    assert lines <= 60, f"{lines} visible code lines before the first epoch"


def test_the_lesson_explains_its_ideas_before_training():
    before_training = []
    for cell in STORED.cells:
        if cell.cell_type == "code" and "model.fit(" in cell.source:
            break
        if cell.cell_type == "markdown":
            before_training.append(cell.source.lower())
    text = " ".join(before_training)
    for idea in ("loss", "optimizer", "metric", "epoch", "softmax", "probabilities", "ln 10", "validation"):
        assert idea in text, idea


def test_readme_figures_are_at_least_100_dpi():
    # The notebook's figures; drawing_pad.png is a browser screenshot, at the screen's resolution.
    figures = sorted(path for path in (ROOT / "figures").glob("*.png") if path.name != "drawing_pad.png")
    assert len(figures) >= 5
    for path in figures:
        with Image.open(path) as image:
            assert min(image.info.get("dpi", (0, 0))) >= 99.5, path.name


def test_code_and_notebook_are_lint_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise", "."],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pre_commit_hooks_pass():
    """The hooks contributors run (ruff, and the notebook normalizer) pass on every tracked file."""
    result = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--show-diff-on-failure"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_ci_and_github_actions_run_the_readmes_test_command():
    """CI ends with the README's test command, on the newest versions, then on Colab's."""
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make run" in readme and "make test-colab" in readme
    commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    assert commands[-2:] == ["make test", "make test-colab"]
    assert "bash .ci/run" in (ROOT / ".github" / "workflows" / "test.yml").read_text()
