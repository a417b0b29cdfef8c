"""Put small, realistic bugs into the notebook's helpers one at a time, and see whether the tests notice.

Each mutant replaces one piece of the notebook's code (found exactly once) in a copy of the notebook,
then runs the tests that cover that code against the copy (tests/notebook.py reads MNIST_NOTEBOOK).
A mutant is caught when a test fails; it survives when every test passes. Not part of `make test`:
it takes about a quarter of an hour.

    python tools/mutants.py                 # all mutants: the kill rate and the survivors
    python tools/mutants.py --only box pad  # the mutants whose names contain these words
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "mnist_digit_recognition.ipynb"

OWN, PREP, PAD, CHECKS, DATA, MODEL, INSIGHTS, BROWSER = (
    "tests/test_own_images.py", "tests/test_preparation.py", "tests/test_drawing_pad.py", "tests/test_checks.py",
    "tests/test_data.py", "tests/test_model.py", "tests/test_insights.py", "tests/test_drawing_pad_browser.py")

# name → (the code as it is, the code with the bug, what a user would suffer, the tests that cover it)
MUTANTS = {
    "suffix case": ('path.suffix.lower() in IMAGE_SUFFIXES', 'path.suffix in IMAGE_SUFFIXES',
                    "every IMG_1234.JPG from a phone skipped", [OWN]),
    "box 22": ("MNIST_BOX = 20", "MNIST_BOX = 22", "digits prepared 10 % larger than MNIST's", [PREP]),
    "centre 13": ("MNIST_CENTER = 14.0", "MNIST_CENTER = 13.0", "digits off-centre by a pixel", [PREP]),
    "speck size": ("SPECK = 0.1", "SPECK = 0.5", "a 5's detached bar dropped as a speck", [PREP]),
    "mark reach": ("MARK_REACH = 0.15", "MARK_REACH = 0.0", "a 5's bar beside its body left out", [PREP]),
    "same digit": ("SAME_DIGIT = 0.5", "SAME_DIGIT = 1.5", "a broken stroke read as two digits", [PREP]),
    "no cut": ("MAX_WIDTH = 1.15", "MAX_WIDTH = 5", "touching digits read as one", [PREP]),
    "digit order": ("rows = [sorted(row, key=lambda digit: digit[1][2]) for row in rows]",
                    "rows = [row[::-1] for row in rows]", "a number read right to left",
                    [PREP, PAD]),
    "min confidence": ("MIN_CONFIDENCE = 0.9", "MIN_CONFIDENCE = 0.85", "85–90 % answers lose their note", [PREP]),
    "max ink": ("MAX_INK = 0.25", "MAX_INK = 0.5", "textures read as digits without a note", [PREP]),
    "largest piece": ("MIN_LARGEST_PIECE = 0.2", "MIN_LARGEST_PIECE = 0.1", "crumbs read as digits", [PREP]),
    "max pieces": ("MAX_PIECES = 200", "MAX_PIECES = 2000", "scattered noise read as a digit", [PREP]),
    "mark left out": ("bottom - top >= MARK_NOTE * height",
                      "bottom - top >= 2 * MARK_NOTE * height",
                      "a mark that could be a digit left out without a note", [PREP]),
    "stroke padding": ("depth = ndimage.distance_transform_edt(np.pad(mask, 1))",
                       "depth = ndimage.distance_transform_edt(mask)", "strokes at the edge measured too wide",
                       [PREP]),
    "stroke range": ("STROKE_RANGE = (1.8, 3.6)", "STROKE_RANGE = (1.0, 6.0)", "hairlines kept thin", [PREP]),
    "ink contrast": ("MIN_INK_CONTRAST = 0.08", "MIN_INK_CONTRAST = 0.4", "faint pencil called blank", [PREP, OWN]),
    "ruled lines": ("RULE_MIN_LINES = (2, 3)", "RULE_MIN_LINES = (9, 9)", "ruled paper read as ink", [PREP, OWN]),
    "light ink": ("ink_is_light = (grey * alpha).sum() > 0.5 * alpha.sum()",
                  "ink_is_light = (grey * alpha).sum() < 0.5 * alpha.sum()", "see-through drawings read blank",
                  [PREP, OWN]),
    "grey scales": ("(1, 255, 65535)", "(1, 65535)", "8-bit greys read as faint as 16-bit ones", [PREP]),
    "centre shift": ("np.round(MNIST_CENTER - np.array(ndimage.center_of_mass(digit)))",
                     "np.floor(MNIST_CENTER - np.array(ndimage.center_of_mass(digit)))", "digits off-centre", [PREP]),
    "confidence rounded": ("np.floor(p.max(axis=1).min() * 1e4)", "np.round(p.max(axis=1).min() * 1e4)",
                           "predictions.csv says 1.0 for a hesitation", [OWN]),
    "name sort": ("sorted(named, key=lambda pair: pair[0])", "named", "rows in a random order", [OWN]),
    "hidden files": ('path.name.startswith(".")', 'path.name.startswith("..")', ".DS_Store read as a picture", [OWN]),
    "confidence text": ('f"{np.floor(confidence * 1000) / 10:.1f}%"', 'f"{confidence * 100:.1f}%"',
                        "a hesitation shown as 100.0%", [INSIGHTS]),
    "pad bars rounded": ("Math.floor(1000 * p)", "Math.round(1000 * p)", "the pad shows 100.0 % for a hesitation",
                         [BROWSER]),
    "pad byte cap": ("or len(self.drawing) > PAD_MAX_BYTES", "", "a huge payload keeps the kernel busy", [PAD]),
    "pad side cap": ("if max(image.size) > PAD_MAX_SIDE:", "if False:", "a huge picture keeps the kernel busy", [PAD]),
    "pad no-ink prompt": ('if "no ink" not in error.reason:', "if True:", "an empty pad shows an error", [PAD]),
    "pad stroke": ('@traitlets.observe("stroke")', '@traitlets.observe("drawing")', "a tap on ink is never answered",
                   [PAD]),
    "checksum": ("if hashlib.sha256(raw).hexdigest() != sha256:", "if False:", "a damaged MNIST file read", [DATA]),
    "epochs range": ('"EPOCHS": (1, 10_000,', '"EPOCHS": (0, 10_000,', "EPOCHS = 0 runs and fails later", [CHECKS]),
    "range high": ("low <= value <= high", "low <= value", "LEARNING_RATE = 5 accepted", [CHECKS]),
    "batch vs validation": ('> 60_000 - values["VALIDATION_SIZE"]', "> 60_000", "a batch larger than the data",
                            [CHECKS]),
    "fifo": ('stat.S_ISFIFO: "a named pipe (FIFO)",', "", "a FIFO read forever", [CHECKS, OWN]),
    "save permissions": ("os.chmod(temporary, 0o666 & ~umask)", "pass", "saved files private to their owner",
                         [MODEL]),
    "save cleanup": ("                os.remove(temporary)", "                pass", "partial files left behind",
                     [CHECKS]),
    "tf-keras names": ('("batch_input_shape" if key == "batch_shape" else key)', "key",
                       "the .h5 does not load in tf-keras 2", [MODEL]),
    "evidence digit": ("(active[labels == d] * w2[:, d])", "(active[labels == d] * w2[:, 0])",
                       "every evidence map shows the digit 0", [INSIGHTS]),
    "sample mistakes": ("mistakes[mistakes >= count - wrong]", "mistakes", "a mistake shown twice", [INSIGHTS]),
}


def mutate(source, old, new):
    """The notebook's JSON with old replaced by new in exactly one place of one cell."""
    notebook = json.loads(source)
    places = [(cell, "".join(cell["source"])) for cell in notebook["cells"] if old in "".join(cell["source"])]
    if len(places) != 1 or places[0][1].count(old) != 1:
        raise ValueError(f"{old!r} is in {sum(text.count(old) for _, text in places)} places, not one")
    cell, text = places[0]
    cell["source"] = text.replace(old, new)
    return json.dumps(notebook)


def run(name, old, new, tests, folder):
    copy = Path(folder) / NOTEBOOK.name
    copy.write_text(mutate(NOTEBOOK.read_text(), old, new))
    env = os.environ | {"MNIST_NOTEBOOK": str(copy), "CI": "true"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-o", "addopts=", "-p", "no:cacheprovider", *tests]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        return "error", done.stdout[-1500:] + done.stderr[-1500:]
    return ("caught" if done.returncode == 1 else "survived"), done.stdout.strip().splitlines()[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="words of the mutants' names to run")
    arguments = parser.parse_args()
    chosen = {name: mutant for name, mutant in MUTANTS.items()
              if not arguments.only or any(word in name for word in arguments.only)}
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, (old, new, suffering, tests) in chosen.items():
            start = time.monotonic()
            verdict, detail = run(name, old, new, tests, folder)
            results[name] = verdict
            print(f"{verdict:8} {name:22} {time.monotonic() - start:5.0f} s  {suffering}: {detail}", flush=True)
    caught = sum(verdict == "caught" for verdict in results.values())
    print(f"\n{caught} of {len(results)} mutants caught ({100 * caught / len(results):.0f} %)")
    for name, verdict in results.items():
        if verdict != "caught":
            print(f"  {verdict}: {name} ({chosen[name][2]})")
    return 0 if caught == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
