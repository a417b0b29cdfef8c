"""Write the README's figures from the figures an executed notebook holds; `--check` only compares.

The notebook writes no figure files itself: its figures are outputs of its cells. This copies the
ones the README shows, found by their cells' titles, to figures/ (`make figures`, after `make notebook`).

    python tools/figures.py                    # from the committed notebook's stored run
    python tools/figures.py build/out.ipynb    # from another executed copy
    python tools/figures.py --check            # exit 1 if figures/ differs from the notebook's figures
"""

import argparse
import base64
import io
import sys
from pathlib import Path

import nbformat
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
FIGURES = {  # The title of the cell that draws it → the file, in figures/.
    "#@title Plot sample test predictions": "predictions.png",
    "#@title Plot the mistakes in the confusion matrix": "confusion_matrix.png",
    "#@title Plot the most confident mistakes": "mistakes.png",
    "#@title Plot each pixel's share of the model's confidence": "digit_evidence.png",
    "#@title Plot each picture, squeezed and prepared": "own_handwriting.png",
}


def figures_in(notebook_path):
    """{file name: PNG bytes (at 100 dots per inch, as the notebook draws them)} for each README figure."""
    found = {}
    for cell in nbformat.read(notebook_path, as_version=4).cells:
        name = next((file for title, file in FIGURES.items() if cell.source.startswith(title)), None)
        pngs = [output.data["image/png"] for output in cell.get("outputs", []) if "image/png" in output.get("data", {})]
        if name and pngs:  # A cell's first figure: the mistakes, before the least confident correct answers.
            buffer = io.BytesIO()
            Image.open(io.BytesIO(base64.b64decode(pngs[0]))).save(buffer, "PNG", dpi=(100, 100))
            found[name] = buffer.getvalue()
    missing = sorted(set(FIGURES.values()) - set(found))
    if missing:
        sys.exit(f"{notebook_path} holds no figure for {', '.join(missing)}: run it first (make notebook).")
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", nargs="?", type=Path, default=ROOT / "mnist_digit_recognition.ipynb")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    arguments = parser.parse_args()
    stale = []
    for name, png in figures_in(arguments.notebook).items():
        path = ROOT / "figures" / name
        if not path.exists() or path.read_bytes() != png:
            stale.append(name)
            if not arguments.check:
                path.write_bytes(png)
    if arguments.check and stale:
        print(f"figures/ differs from the notebook's figures: {', '.join(stale)}. Fix with: make figures",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
