"""Normalize the notebook's JSON so that diffs stay readable; `--check` only reports.

Keeps the outputs of the stored run; drops editor and execution metadata; gives each cell an id
derived from its source; folds the helper cells (those starting with `#@title`) in Colab, JupyterLab
and Notebook 7; writes Colab metadata that asks for no GPU: the model trains in seconds on a CPU,
and a GPU runtime would spend a free user's GPU quota for nothing.

    python tools/nbnormalize.py mnist_digit_recognition.ipynb          # rewrite in place
    python tools/nbnormalize.py --check mnist_digit_recognition.ipynb  # exit 1 if not normalized
"""

import argparse
import hashlib
import sys
from pathlib import Path

import nbformat

CELL_METADATA_KEPT = ("tags", "cellView", "jupyter")


def normalize(notebook, name):
    """Return the normalized notebook (a NotebookNode) for a notebook file called name."""
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    notebook.metadata = nbformat.from_dict(
        {
            "colab": {"name": name, "provenance": [], "toc_visible": True},
            "kernelspec": {"display_name": "Python 3", "name": "python3"},
            "language_info": {"name": "python"},
        }
    )
    cells, seen = [], set()
    for cell in notebook.cells:
        cell.source = cell.source.strip("\n")
        if not cell.source.strip():
            continue
        cell.metadata = {
            key: cell.metadata[key] for key in CELL_METADATA_KEPT if key in cell.metadata
        }
        if cell.cell_type == "code" and cell.source.startswith("#@title"):
            # A helper: a titled form in Colab, collapsed in JupyterLab and Notebook 7.
            cell.metadata["cellView"] = "form"
            cell.metadata["jupyter"] = {"source_hidden": True}
        elif "jupyter" in cell.metadata:
            del cell.metadata["jupyter"]  # Only helpers are folded: the lesson stays in view.
        cell.pop("attachments", None) if not cell.get("attachments") else None
        digest = hashlib.sha256(cell.source.encode()).hexdigest()
        cell.id = next(digest[i : i + 12] for i in range(0, 52) if digest[i : i + 12] not in seen)
        seen.add(cell.id)
        if cell.cell_type == "code":
            for output in cell.outputs:
                output.pop("transient", None)
                # A widget's view names a model living only in the kernel that ran: keep the rest.
                output.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)
        cells.append(cell)
    notebook.cells = cells
    return notebook


def normalized_text(path):
    notebook = nbformat.read(path, as_version=4)
    return nbformat.writes(normalize(notebook, Path(path).name)) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report, do not rewrite")
    parser.add_argument("notebooks", nargs="+", type=Path)
    arguments = parser.parse_args()
    unclean = []
    for path in arguments.notebooks:
        text = normalized_text(path)
        if path.read_text(encoding="utf-8") != text:
            unclean.append(path)
            if not arguments.check:
                path.write_text(text, encoding="utf-8")
    if arguments.check and unclean:
        names = ", ".join(str(path) for path in unclean)
        print(
            f"Not normalized: {names}. Fix with: python tools/nbnormalize.py {names}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
