"""Run the notebook headless, as `make run` does: a progress bar, then a short summary.

    python tools/run.py NOTEBOOK EXECUTED [-p NAME VALUE]... [-r NAME TEXT]...

`-p` gives a parameter as a Python literal (`-p EPOCHS 3`), `-r` as text exactly as typed
(`-r OWN_IMAGES photos`). The notebook runs in the current folder; its executed copy, with every
output, is written to EXECUTED. The summary names the test accuracy and the files the run wrote.
When a cell fails, the run stops and its error is printed last, in one line: the executed copy
holds the whole traceback.
"""

import argparse
import ast
import sys
import time
from pathlib import Path

import nbformat
import papermill
from jupyter_client.manager import KernelManager
from traitlets import default


class LocalKernelManager(KernelManager):
    """A kernel reached through local sockets: over TCP, ipykernel warns of no encryption."""

    @default("transport")
    def _default_transport(self):
        return "ipc"


def literal(text):
    """A parameter given with -p: a Python literal, or else the text itself."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def printed_accuracy(notebook):
    """The "Test accuracy: ..." line that the notebook printed, or None."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            for line in output.get("text", "").splitlines():
                if line.startswith("Test accuracy:"):
                    return line
    return None


def written_since(start, folders, ignored=()):
    """The files in folders (not in their subfolders) modified since start, as sorted paths."""
    return sorted(
        path
        for folder in dict.fromkeys(Path(folder) for folder in folders)
        for path in folder.iterdir()
        if path.is_file() and path.stat().st_mtime >= start and path.resolve() not in ignored
    )


def summary(notebook, written, executed):
    """The lines printed at the end of a run: the accuracy, the files written, the executed copy."""
    lines = [printed_accuracy(notebook) or "The notebook printed no test accuracy."]
    lines.append("Files written:" if written else "No file written next to the notebook.")
    lines += [f"  {path}" for path in written]
    return lines + [f"The executed notebook, with every output: {executed}"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("executed", type=Path)
    parser.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    parser.add_argument("-r", nargs=2, action="append", default=[], metavar=("NAME", "TEXT"))
    arguments = parser.parse_args()
    parameters = {name: literal(value) for name, value in arguments.p}
    parameters |= dict(arguments.r)
    model_path = Path(str(parameters.get("MODEL_PATH", "."))).expanduser()
    arguments.executed.parent.mkdir(parents=True, exist_ok=True)
    start = time.time() - 1  # File times may be rounded to the second.
    try:
        papermill.execute_notebook(
            str(arguments.notebook),
            str(arguments.executed),
            parameters=parameters,
            cwd=".",
            progress_bar=True,
            kernel_manager_class=LocalKernelManager,
        )
    except papermill.PapermillExecutionError as error:
        print(f"\nStopped; the traceback is in {arguments.executed}", flush=True)
        print(f"{error.ename}: {error.evalue}", file=sys.stderr, flush=True)
        return 1
    notebook = nbformat.read(arguments.executed, as_version=4)
    folders = [Path("."), model_path.parent]
    written = written_since(start, folders, ignored={arguments.executed.resolve()})
    print("\n".join(summary(notebook, written, arguments.executed)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
