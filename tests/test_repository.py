"""The committed notebook is one clean run, normalized, lint-clean, and safe to parameterize."""

import ast
import fnmatch
import json
import re
import shlex
import subprocess
import sys

import nbformat
import pytest
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
    # Colab gives a CPU runtime unless the notebook asks for an accelerator: it asks for none.
    assert "accelerator" not in STORED.metadata and "gpuType" not in STORED.metadata.colab


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


def visible_cells_until(needle):
    """The visible (unfolded) code cells, up to and including the first one whose source contains needle."""
    cells = []
    for cell in CODE_CELLS:
        if not is_folded(cell):
            cells.append(cell)
        if needle in cell.source:
            return cells
    raise AssertionError(f"no cell contains {needle!r}")


def parsed(cell):
    """The cell's Python syntax tree, IPython magics (%pip) read as `pass`."""
    return ast.parse(re.sub(r"^(\s*)%.*$", r"\1pass", cell.source, flags=re.MULTILINE))


def test_the_learner_reads_at_most_65_lines_of_code_before_the_first_epoch():
    """The lesson is retypeable (its imports in view) and says what to do offline: short all the same."""
    lines = sum(len(cell.source.splitlines()) for cell in visible_cells_until("model.fit("))
    assert lines <= 65, f"{lines} visible code lines before the first epoch"


def test_the_lesson_is_the_standard_keras_calls_in_view():
    visible = "\n".join(cell.source for cell in CODE_CELLS if not is_folded(cell))
    for call in ("keras.datasets.mnist.load_data()", "keras.Sequential(", "model.compile(", "model.fit(",
                 "model.evaluate(", "model.predict(", "model.save", "keras.models.load_model(",
                 "keras.optimizers.schedules.CosineDecay(", "steps_per_execution=", "colab_files.download("):
        assert call in visible, call


def test_up_to_evaluate_the_lesson_calls_at_most_one_function_of_a_folded_cell():
    folded = {node.name for cell in CODE_CELLS if is_folded(cell) for node in parsed(cell).body
              if isinstance(node, ast.FunctionDef)}
    calls = [node.func.id for cell in visible_cells_until("model.evaluate(") for node in ast.walk(parsed(cell))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in folded]
    assert len(calls) <= 1, calls


def test_no_distribution_code_in_view():
    """One GPU or the CPU need none; a TPU or several GPUs are set up in a folded cell."""
    for cell in CODE_CELLS:
        if not is_folded(cell):
            assert not re.search(r"strateg|replica|distribute", cell.source), cell.source[:80]


def test_no_code_line_is_long_and_no_function_is_long():
    long = [line for cell in CODE_CELLS for line in cell.source.splitlines() if len(line) > 100]
    assert long == [], f"{len(long)} code lines over 100 characters, the first: {long[:1]}"
    for cell in CODE_CELLS:
        for node in ast.walk(parsed(cell)):
            if isinstance(node, ast.FunctionDef):
                assert node.end_lineno - node.lineno < 55, f"{node.name} is {node.end_lineno - node.lineno + 1} lines"


def test_the_code_fits_in_62000_characters():
    """The budget counts code, not layout: indentation and blank lines are free, dense lines are not."""
    characters = sum(len(line.strip()) for cell in CODE_CELLS for line in cell.source.splitlines())
    assert characters <= 62_000, f"{characters:,} characters of code"


def test_the_helpers_module_is_the_notebooks_export():
    """mnist_helpers.py, which the tests import, is exactly what tools/export.py makes of the notebook."""
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "export.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_folded_helper_says_in_one_line_why_it_exists():
    for cell in CODE_CELLS:
        if is_folded(cell) and any(isinstance(node, (ast.FunctionDef, ast.ClassDef)) for node in parsed(cell).body):
            assert cell.source.splitlines()[1].startswith("# Why: "), cell.source.splitlines()[0]


def test_the_parameters_are_a_colab_form_in_view():
    (cell,) = tagged_cells("parameters")
    assert not is_folded(cell) and "cellView" not in cell.metadata
    for line in cell.source.splitlines():
        assert re.fullmatch(r"[A-Z_]+ = .+  #@param \{type:\"(integer|number|string)\"\}", line), line


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


PAGE_WIDTH = 880  # Pixels of GitHub's README column: wider figures are shown shrunk to it.


@pytest.mark.parametrize("name", [path.name for path in sorted((ROOT / "figures").glob("*.png"))])
def test_readme_figures_are_shown_and_legible_at_page_width(name):
    """Each figure is in the README, and shown at page width it keeps at least half its size: the
    notebook draws 10-point text at 100 dpi, 14 pixels tall, so 7 pixels or more on the page."""
    assert f"(figures/{name})" in (ROOT / "README.md").read_text()
    with Image.open(ROOT / "figures" / name) as image:
        assert image.width <= 2 * PAGE_WIDTH, image.size


def test_readme_figures_are_the_stored_runs_own():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "figures.py"), "--check"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr


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


MARKDOWN = [cell.source for cell in STORED.cells if cell.cell_type == "markdown"]


def test_questions_are_spread_through_the_lesson_each_with_a_folded_answer():
    questions = [index for index, cell in enumerate(STORED.cells) if cell.cell_type == "markdown"
                 and re.match(r"\*\*Question \d+\.\*\*", cell.source)]
    assert len(questions) >= 6
    for index in questions:  # The answer is folded in the question's cell or in one of the next three.
        answer = " ".join(cell.source for cell in STORED.cells[index : index + 4] if cell.cell_type == "markdown")
        assert re.search(r"<details><summary>Answer[^<]*</summary>\s.+</details>", answer, re.DOTALL), index
    assert questions[0] < len(STORED.cells) // 3  # Not all at the end.
    assert any("model.fit(" in cell.source for cell in STORED.cells[questions[0]:])


def test_questions_are_numbered_1_2_3_in_the_order_they_appear():
    numbers = [int(number) for text in MARKDOWN for number in re.findall(r"\*\*Question (\d+)\.\*\*", text)]
    assert numbers == list(range(1, len(numbers) + 1)), numbers


def test_the_lesson_links_its_terms_and_keeps_its_sentences_short():
    text = "\n\n".join(MARKDOWN)
    assert len(set(re.findall(r"\]\((https://[^)]+)\)", text))) >= 15
    plain = re.sub(r"<[^>]+>", "", re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text))
    for block in re.split(r"\n\s*\n|\n- |\n\d\. ", plain):
        for sentence in re.split(r"(?<=[.!?])\s+", " ".join(block.split())):
            assert len(sentence.split()) <= 40, sentence


def test_the_core_path_and_the_optional_sections_are_marked():
    headings = [line for source in MARKDOWN for line in source.splitlines() if line.startswith("#")]
    assert "## Save the model" in headings
    for optional in ("## See where the model fails", "## Export for phones", "## Try your own handwriting",
                     "### Draw a digit"):
        assert any(heading.startswith(optional) and heading.endswith("(optional)") for heading in headings), optional
    assert "about 20 minutes" in MARKDOWN[1]


def test_make_run_passes_own_images_exactly_as_typed():
    """A folder name holding $, quotes, backquotes or spaces reaches papermill as typed (make once mangled it)."""
    name = """my $HOME "digits" `date` it's"""
    result = subprocess.run(["make", "-n", "run", f"OWN_IMAGES={name}"], cwd=ROOT, capture_output=True, text=True)
    line = next(line for line in result.stdout.replace("\\\n", " ").splitlines() if "tools/run.py" in line)
    words = shlex.split(line)
    assert words[words.index("OWN_IMAGES") + 1] == name, line


def test_benchmarks_and_tools_ask_the_notebook_only_for_names_it_defines():
    """A renamed helper must not leave a benchmark that fails only when someone runs `make bench`."""
    defined = set()
    for cell in CODE_CELLS:
        for node in parsed(cell).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                defined.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                defined.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
            else:
                defined.update(name.id for name in ast.walk(node) if isinstance(name, ast.Name)
                               and isinstance(name.ctx, ast.Store))
    for path in [*ROOT.glob("benchmarks/*.py"), *ROOT.glob("tools/*.py"), *ROOT.glob("tests/*.py")]:
        asked = set(re.findall(r"\bnb\.(\w+)", path.read_text()))
        assert asked <= defined, f"{path.relative_to(ROOT)} asks for {sorted(asked - defined)}"


def test_question_4s_answer_reads_its_figures_from_the_stored_table():
    """The answer names the epoch and quotes the curves table of the stored run, not an older one."""
    answer = next(cell.source for cell in STORED.cells if cell.source.startswith("**Question 4."))
    curves = next(cell for cell in CODE_CELLS if cell.source.startswith("curves = pd.DataFrame"))
    table = "".join(output["data"]["text/plain"] for output in curves.outputs if "data" in output)
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines() if line[:1].isdigit()}
    best = max(rows, key=lambda epoch: float(rows[epoch][2]))  # The highest validation accuracy.
    assert f"epoch {best} ({100 * float(rows[best][2]):.2f} %)" in answer, (best, rows[best])
    quoted = re.findall(r"\b0\.\d{4}\b", answer)
    assert quoted and all(any(value in row for row in rows.values()) for value in quoted), quoted


def test_the_mutation_setup_names_files_tests_and_functions_that_exist():
    """`make mutants` mutates and tests what setup.cfg names, and scores the parts that
    tools/mutation_score.py names: renaming a file or a helper must fail here, not rot there."""
    import configparser

    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    mutmut = {key: value.split("\n") for key, value in config["mutmut"].items()}
    assert mutmut["source_paths"] == ["mnist_helpers.py"]
    arguments, tests = mutmut["pytest_add_cli_args"], mutmut["pytest_add_cli_args_test_selection"]
    ignored = [argument.removeprefix("--ignore=") for argument in arguments if argument.startswith("--ignore=")]
    named = [*mutmut["source_paths"], *mutmut["also_copy"], *tests, *ignored]
    assert all((ROOT / path.strip()).exists() for path in named if path), named
    # mutmut runs the tests in its copy of the project: whatever they read must be copied there.
    copied = {path.strip().split("/")[0] for path in named if path.strip()}
    # Top-level .gitignore patterns such as "/*.tflite" or "build/" (what the notebook writes).
    git_ignored = [line.strip().strip("/") for line in (ROOT / ".gitignore").read_text().splitlines()
                   if line.strip() and not line.startswith("#")]
    top = {path.name for path in ROOT.iterdir()}
    read = {name for file in (ROOT / "tests").glob("*.py") if file.name != "test_repository.py"
            for name in re.findall(r'"([^"/\s]+)/?"', file.read_text()) if name in top}
    unread = {name for name in read - copied
              if not any(fnmatch.fnmatch(name, pattern) for pattern in git_ignored)}
    assert not unread, f"add {sorted(unread)} to also_copy in setup.cfg"
    assert any(path.strip() and list((ROOT / path.strip()).glob("**/test_*.py")) for path in tests)
    test_fast = next(line for line in (ROOT / "Makefile").read_text().splitlines() if "pytest -o addopts" in line)
    assert f'-m "{arguments[arguments.index("-m") + 1]}"' in test_fast  # The quick tests, as test-fast.
    assert "--nbval" not in " ".join(arguments) and arguments[arguments.index("-o") + 1].startswith("addopts=")
    sys.path.insert(0, str(ROOT / "tools"))
    import mutation_score

    helpers = {node.name for node in ast.parse((ROOT / "mnist_helpers.py").read_text()).body
               if isinstance(node, ast.FunctionDef)}
    for part, functions in mutation_score.PARTS.items():
        assert set(functions) <= helpers, (part, set(functions) - helpers)
    assert "/mutants/" in (ROOT / ".gitignore").read_text().split()


def test_tests_import_no_benchmark_and_no_other_test_file():
    """Fixtures live in tests/ (pictures.py, notebook.py): benchmarks import them, not the reverse."""
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert not name.startswith(("benchmarks", "test_")), (path.name, name)


def test_the_readme_is_short_and_its_counts_are_true():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.split()) <= 1250, f"{len(readme.split())} words"
    questions = [number for text in MARKDOWN for number in re.findall(r"\*\*Question (\d+)\.\*\*", text)]
    number = ["No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten"]
    assert f"{number[len(questions)]} questions" in readme
    assert "MLP_ACCURACY" not in readme and "COMPARISON_TABLE" not in readme
