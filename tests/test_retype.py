"""Retypeable: the visible cells, typed into a blank notebook, give the same model.

Every name a visible cell uses, from the top through the save, must be defined in a visible cell
or be a parameter; a folded helper may be called only on the offline path of the load cell (the
branch under `if data_dir:`, and the error raised when the download fails).
"""

import ast
import builtins
import re

import nbformat
from notebook import NOTEBOOK

CELLS = [cell for cell in nbformat.read(NOTEBOOK, as_version=4).cells if cell.cell_type == "code"]


def is_folded(cell):
    return cell.metadata.get("jupyter", {}).get("source_hidden", False)


def parsed(cell):
    """The cell's syntax tree, IPython magics (%pip) read as `pass`."""
    return ast.parse(re.sub(r"^(\s*)%.*$", r"\1pass", cell.source, flags=re.MULTILINE))


def offline_path(node):
    """The parts of an `if data_dir:` statement that run only without a download: its body, and
    the handlers of a failed download in its else branch."""
    if not (isinstance(node, ast.If) and re.search(r"data_dir", ast.unparse(node.test), re.I)):
        return []
    handlers = [
        handler
        for item in node.orelse
        for part in ast.walk(item)
        if isinstance(part, ast.Try)
        for handler in part.handlers
    ]
    return node.body + handlers


def defined_and_used(tree):
    """The names a cell defines, and those it reads, the offline path left out."""
    skipped = {
        id(part)
        for node in ast.walk(tree)
        for branch in offline_path(node)
        for part in ast.walk(branch)
    }
    defined, used = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                if id(node) not in skipped:
                    used.add(node.id)
            else:
                defined.add(node.id)
        elif isinstance(node, ast.alias):
            defined.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            defined.add(node.name)
    return defined, used


def undefined_names(cells):
    """For each visible cell, in order, the names it reads that no visible cell before it or in it
    defines and that are neither parameters nor built in."""
    known, missing = set(dir(builtins)), {}
    for cell in cells:
        if is_folded(cell):
            continue
        defined, used = defined_and_used(parsed(cell))
        known |= defined
        if used - known:
            missing[cell.source.splitlines()[0]] = sorted(used - known)
    return missing


def save_cell_index():
    """The index of the visible cell that saves the model."""
    return next(
        index
        for index, cell in enumerate(CELLS)
        if not is_folded(cell) and re.search(r"\.save\b", cell.source)
    )


def test_the_visible_cells_up_to_the_save_use_only_visible_names():
    assert undefined_names(CELLS[: save_cell_index()]) == {}


def test_the_visible_save_cell_uses_only_visible_names():
    assert undefined_names(CELLS[: save_cell_index() + 1]) == {}


def test_a_folded_name_in_a_visible_cell_is_caught():
    cells = [
        nbformat.v4.new_code_cell(source)
        for source in (
            "#@title Helpers\nimport os\ndef helper():\n    pass",
            "import keras\ndata_dir = DATA_DIR or os.environ.get('X')\nif data_dir:\n    helper()",
        )
    ]
    cells[0].metadata["jupyter"] = {"source_hidden": True}
    assert undefined_names(cells) == {"import keras": ["DATA_DIR", "os"]}
    # In a notebook with the parameters in a visible cell, the offline branch may use the helper.
    cells[1].source = "DATA_DIR = ''\nimport os\n" + cells[1].source
    assert undefined_names(cells) == {}
