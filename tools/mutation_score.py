"""Print the kill rate of the last mutmut run (`make mutants`): overall, and for the parts of the
helpers that issue 27 holds to 90 %: the preparation, the digit finder, the checks and the saves.

A mutant is caught when a test failed (or ran out of time) with it in place; it survives when every
test passed, or when no test reaches its function. Mutants not run yet are counted apart.

    python tools/mutation_score.py            # after `mutmut run` (make mutants)
    python tools/mutation_score.py --survivors  # and name each survivor (then: mutmut show NAME)
"""

import argparse
import json
import re
import sys
from collections import Counter
from configparser import ConfigParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Part → the helper functions it is made of (their names in mnist_helpers.py).
PARTS = {
    "preparation": [
        "load_digit_image",
        "grayscale",
        "find_ink",
        "remove_ruled_lines",
        "digit_input",
        "prepare_digits",
    ],
    "digit finder": ["find_digits", "joined_pieces", "one_digit", "missing_digits", "tight", "stroke_width"],
    "checks": [
        "file_kind",
        "model_files",
        "quoted",
        "refusal",
        "is_path",
        "path_problem",
        "output_problem",
        "path_problems",
        "check_parameters",
    ],
    "saves": ["write_atomically", "keras2_config", "save_h5", "save_predictions"],
}
# mutmut's exit codes that mean caught: a failed test, pytest's internal error, a timeout, a crash.
CAUGHT = {1, 3, 36, 24, -24, 152, 255, -9, -11}


def source_paths():
    """The files mutmut mutates, as setup.cfg names them."""
    config = ConfigParser()
    config.read(ROOT / "setup.cfg")
    return config.get("mutmut", "source_paths").split()


def function_of(mutant):
    """The function a mutant name belongs to: mnist_helpers.x_grayscale__mutmut_3 → grayscale."""
    name = re.sub(r"__mutmut_\d+$", "", mutant.split(".", 1)[1])
    return name.removeprefix("x_").replace("ǁ", ".")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survivors", action="store_true", help="name each surviving mutant")
    arguments = parser.parse_args()
    results = {}
    for path in source_paths():
        meta = ROOT / "mutants" / f"{path}.meta"
        if not meta.exists():
            sys.exit(f"{meta.relative_to(ROOT)} is missing: run `make mutants` first.")
        results |= json.loads(meta.read_text())["exit_code_by_key"]
    tried = {name: code for name, code in results.items() if code is not None}
    if not tried:  # mutmut runs no mutant when the tests fail in its copy of the project.
        sys.exit("No mutant has run: see why with `cd mutants && pytest tests` (setup.cfg's options).")
    print(f"{len(tried)} of {len(results)} mutants run ({len(results) - len(tried)} not run yet)")
    rows = [("all", tried)] + [
        (part, {name: code for name, code in tried.items() if function_of(name) in functions})
        for part, functions in PARTS.items()
    ]
    for part, codes in rows:
        caught = sum(code in CAUGHT for code in codes.values())
        rate = f"{100 * caught / len(codes):5.1f} %" if codes else "    -  "
        print(f"{part:14s} {rate}  caught {caught} of {len(codes)}")
    survivors = [name for name, code in tried.items() if code not in CAUGHT]
    by_function = Counter(function_of(name) for name in survivors)
    counts = ", ".join(f"{name} {count}" for name, count in by_function.most_common())
    print("survivors by function:", counts)
    if arguments.survivors:
        print("\n".join(sorted(survivors)))


if __name__ == "__main__":
    main()
