"""Benchmark reading whole numbers: photos of 2–4 MNIST test digits side by side, and single digits.

Numbers are built from MNIST test digits: each digit cropped to its ink's columns, scaled by 0.8–1.2,
moved up or down by up to 3 pixels (of 28), and set beside the previous one with a gap of -2 to 8
pixels (of 28; -2: their boxes overlap and the strokes often touch, 8: wide apart). The strip is
rendered as a phone photo by tests/pictures.py's `render_photo` (100–600 px tall, JPEG) and read by the
notebook's `recognize_files` with a model trained exactly as the notebook trains it. The same is done
for single digits (the photos of benchmarks/own_images.py), to check that they still read as one digit,
and for two-digit sheets: two digits photographed apart (each its own paper, light and size) and pasted
side by side at one height, as a sheet of two real photos would be.

    MNIST_DATA_DIR=/path/to/mnist python benchmarks/read_numbers.py            # a table, and read_numbers.json
    MNIST_DATA_DIR=/path/to/mnist python benchmarks/read_numbers.py --samples  # the sample number in samples/
"""

import argparse
import contextlib
import difflib
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from notebook import load_helpers, mnist_data_dir, run_until_evaluated  # noqa: E402
from pictures import number_strip, render_photo, two_photo_sheet  # noqa: E402

GAPS = range(-2, 9)  # Gaps between neighbouring digits, in MNIST pixels (a digit is about 20 tall).
SAMPLE = ([1, 9, 8, 4], 2024)  # The sample number's digits, and the seed that picks their images.


def digits_right(read, truth):
    """Digits of truth read right: position by position, or matched in order when the counts differ."""
    if len(read) == len(truth):
        return sum(a == b for a, b in zip(read, truth))
    return sum(block.size for block in difflib.SequenceMatcher(None, read, truth).get_matching_blocks())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--numbers", type=int, default=1000, help="rendered numbers (default 1000)")
    parser.add_argument("--singles", type=int, default=1000, help="rendered single digits (default 1000)")
    parser.add_argument("--sheets", type=int, default=500, help="two-digit sheets of two photos (default 500)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", action="store_true", help="write the sample number in samples/ and stop")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "read_numbers.json")
    parser.add_argument("--rows", type=Path, help="also write every reading (kind, exact, noted, confidence) to a CSV")
    args = parser.parse_args()
    # Set here, not on import: the tests import two_photo_sheet, and the notebook kernels they start would inherit it.
    os.environ.setdefault("MPLBACKEND", "Agg")

    nb = load_helpers()
    np, Image, pd = nb.np, nb.Image, nb.pd
    _, (x_test, y_test) = nb.load_mnist_files(mnist_data_dir())
    if args.samples:
        digits, seed = SAMPLE
        rng = np.random.default_rng(seed)
        indices = [int(rng.choice(np.flatnonzero(y_test == digit))) for digit in digits]
        photo = render_photo(number_strip(x_test[indices], rng, rng.integers(1, 6, len(indices))), rng)
        photo.thumbnail((720, 720), Image.Resampling.LANCZOS)
        path = ROOT / "samples" / f"{''.join(map(str, digits))}-mnist-test-{'-'.join(map(str, indices))}.jpg"
        photo.save(path, quality=80, optimize=True)
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1024:.1f} KiB")
        return

    with contextlib.redirect_stdout(sys.stderr):
        model = run_until_evaluated()["model"]
    rng = np.random.default_rng(args.seed)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for number in range(args.numbers + args.singles + args.sheets):
            if number >= args.numbers + args.singles:
                indices, closest = rng.choice(len(x_test), 2, replace=False), None
                photo = two_photo_sheet([render_photo(x_test[index], rng) for index in indices])
            elif number < args.numbers:
                indices = rng.choice(len(x_test), int(rng.integers(2, 5)), replace=False)
                gaps = rng.integers(GAPS.start, GAPS.stop, len(indices))
                photo = render_photo(number_strip(x_test[indices], rng, gaps), rng)
                closest = int(gaps[1:].min())
            else:
                indices, closest = rng.choice(len(x_test), 1), None
                photo = render_photo(x_test[indices[0]], rng)
            path = Path(folder) / f"{number}.jpg"
            photo.save(path, quality=int(rng.integers(75, 96)))
            table, errors = nb.recognize_files(model, [path])
            read, note = (str(table.predicted[0]), table.note[0]) if len(table) else ("", "unreadable")
            truth = "".join(str(y_test[index]) for index in indices)
            kind = "sheet" if number >= args.numbers + args.singles else "strip" if len(truth) > 1 else "single"
            confidence = float(table.confidence[0]) if len(table) else 0.0
            rows.append({"kind": kind, "digits": len(truth), "closest_gap": closest, "exact": read == truth,
                         "noted": bool(note), "confidence": confidence,
                         "digits_right": digits_right(read, truth), "count_right": len(read) == len(truth)})
    results = pd.DataFrame(rows)
    numbers, singles, sheets = (results[results.kind == kind] for kind in ("strip", "single", "sheet"))
    by_gap = numbers.groupby("closest_gap").agg(numbers=("exact", "size"), exact=("exact", "mean"))
    summary = {
        "numbers": len(numbers),
        "numbers_exact": float(numbers.exact.mean()),
        "number_digits_right": float(numbers.digits_right.sum() / numbers.digits.sum()),
        "numbers_wrong_but_noted": float((~numbers.exact & numbers.noted).sum() / max(1, (~numbers.exact).sum())),
        "numbers_exact_gap_at_least_0": float(numbers[numbers.closest_gap >= 0].exact.mean()),
        "exact_by_closest_gap": {int(gap): float(row.exact) for gap, row in by_gap.iterrows()},
        "right_or_noted_by_digits": {int(count): float((group.exact | group.noted).mean())
                                     for count, group in numbers.groupby("digits")},
        "singles": len(singles),
        "singles_right": float(singles.exact.mean()),
        "singles_read_as_several": int((~singles.count_right).sum()),
        "sheets": len(sheets),
        "sheets_exact": float(sheets.exact.mean()),
        "sheets_right_or_noted": float((sheets.exact | sheets.noted).mean()),
        "singles_right_or_noted": float((singles.exact | singles.noted).mean()),
        "singles_right_but_noted": float((singles.exact & singles.noted).mean()),
        "seed": args.seed,
    }
    print(f"{len(numbers)} numbers of 2–4 digits: {summary['numbers_exact']:.1%} read exactly,"
          f" {summary['number_digits_right']:.1%} of their digits right;"
          f" {summary['numbers_exact_gap_at_least_0']:.1%} exactly when no two digits' boxes overlap")
    print(f"of the numbers read wrong, {summary['numbers_wrong_but_noted']:.0%} carry a note; read right or noted,"
          " by number of digits: " + ", ".join(f"{count}: {share:.1%}"
                                               for count, share in summary["right_or_noted_by_digits"].items()))
    print(f"{len(singles)} single digits: {summary['singles_right']:.1%} right,"
          f" {summary['singles_read_as_several']} read as several digits")
    print(f"{len(sheets)} two-digit sheets: {summary['sheets_exact']:.1%} read exactly,"
          f" {summary['sheets_right_or_noted']:.1%} read right or noted")
    print(f"single digits read right or noted: {summary['singles_right_or_noted']:.1%};"
          f" right but noted: {summary['singles_right_but_noted']:.1%}")
    print("Numbers read exactly, by the closest gap between two digits (MNIST pixels):")
    print(by_gap.to_string(formatters={"exact": "{:.0%}".format}))
    args.output.write_text(json.dumps(summary, indent=2) + "\n")
    if args.rows:
        results.to_csv(args.rows, index=False)


if __name__ == "__main__":
    main()
