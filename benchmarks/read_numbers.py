"""Benchmark reading whole numbers: photos of 2–4 handwritten digits that differ as real ones do.

Each number is made of MNIST test digits, each drawn as its own writer would: its strokes redrawn
along the digit's centre line at a width from a hairline to a marker, in an ink from grey pencil
to black pen or coloured ink, at a height up to 1.6 times another's in the same number. The digits
are set in a row that may slant, touching or widely spaced, on one paper (a photo of the whole
number) or each on its own paper (photos pasted side by side). Each number is saved as a JPEG and
read by the notebook's `recognize_files` twice: by the dense model and by the convnet, each trained
exactly as the notebook trains it. The figures are reported for each model.

The same is done for single digits (the photos of benchmarks/own_images.py: they must still read
as one digit), and for two-digit sheets: two digits photographed apart (each its own paper, light
and size) and pasted side by side at one height, as a sheet of two real photos would be.

    MNIST_DATA_DIR=/path/to/mnist python benchmarks/read_numbers.py  # read_numbers.json
    MNIST_DATA_DIR=/path/to/mnist python benchmarks/read_numbers.py --samples  # sample

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

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import skimage.morphology  # noqa: E402
from notebook import load_helpers, mnist_data_dir, run_until  # noqa: E402
from pictures import number_strip, render_photo, two_photo_sheet  # noqa: E402
from PIL import Image  # noqa: E402
from scipy import ndimage  # noqa: E402

SAMPLE = ([1, 9, 8, 4], 2024)  # The sample number's digits, and the seed that picks their images.
# Inks, as RGB ranges: grey pencil, black or blue-black pen, and coloured inks (blue, red, green).
INKS = {
    "pencil": ([105, 105, 105], [165, 165, 165]),
    "pen": ([10, 10, 15], [60, 60, 90]),
    "blue": ([20, 30, 110], [60, 80, 190]),
    "red": ([150, 20, 20], [200, 60, 60]),
    "green": ([20, 90, 40], [60, 140, 80]),
}
# Stroke widths, as a share of the digit's height: a hairline (a pixel or two), a pen, a marker.
STROKES = {"hairline": (0.0, 0.0), "pen": (0.04, 0.09), "marker": (0.12, 0.2)}
MAX_HEIGHT_RATIO = 1.6  # The tallest digit of a number is at most 1.6 times the shortest.
# Gaps between neighbours, as a share of their mean width: from touching to wide apart.
GAPS = (-0.1, 0.8)
MAX_SLANT = 6  # Degrees: the row may rise or fall by as much across the number.


def redrawn(image, height, width):
    """An MNIST digit as a coverage map (float32, 0–1) height pixels tall, cropped to its ink, its
    strokes redrawn along their centre line at the given width in pixels (antialiased)."""
    rows, cols = np.nonzero(image > 40)
    crop = image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].astype(np.float32) / 255
    scale = height / crop.shape[0]
    size = (max(1, round(crop.shape[1] * scale)), height)
    shape = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BILINEAR))
    shape = ndimage.gaussian_filter(shape, height / 40) > 0.4  # Smooth: a skeleton without spurs.
    skeleton = skimage.morphology.skeletonize(np.pad(shape, 1))
    distance = ndimage.distance_transform_edt(~skeleton)
    coverage = np.clip(width / 2 + 0.5 - distance, 0, 1).astype(np.float32)
    rows, cols = ndimage.find_objects((coverage > 0.05).astype(np.int8))[0]
    return coverage[rows, cols]


def digit_style(rng):
    """(ink colour, stroke width as a share of height, grain): one writer's pen."""
    kind = rng.choice(list(INKS), p=[0.25, 0.45, 0.15, 0.08, 0.07])
    colour = rng.uniform(*INKS[kind]) if kind != "pencil" else np.full(3, rng.uniform(105, 165))
    stroke = STROKES[rng.choice(list(STROKES), p=[0.2, 0.6, 0.2])]
    return colour, rng.uniform(*stroke), kind == "pencil"


def paper_photo(covers, colours, grains, rng):
    """Coverage layers (one per digit, the paper's shape) inked in their colours on one tinted,
    unevenly lit, slightly blurred and noisy paper: an RGB float array."""
    height, width = covers[0].shape
    paper = rng.uniform([205, 195, 160], [255, 252, 245]).astype(np.float32)
    pixels = np.broadcast_to(paper, (height, width, 3)).copy()
    for cover, colour, grain in zip(covers, colours, grains):
        if grain:  # Pencil: graphite leaves grain, some of the paper shows through.
            cover = cover * np.clip(rng.uniform(0.45, 1.1, cover.shape), 0, 1).astype(np.float32)
        pixels = pixels * (1 - cover[..., None]) + colour * cover[..., None]
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (
        np.cos(angle) * np.linspace(0, 1, width)[None, :]
        + np.sin(angle) * np.linspace(0, 1, height)[:, None]
    )
    light = 1 - rng.uniform(0, 0.2) * (ramp - ramp.min()) / max(np.ptp(ramp), 1e-6)
    pixels = ndimage.gaussian_filter(pixels * light[..., None], (rng.uniform(0.3, 1.0),) * 2 + (0,))
    return pixels + rng.standard_normal(pixels.shape).astype(np.float32) * rng.uniform(2, 6)


def realistic_number(images, rng):
    """A photo (RGB PIL image) of MNIST digits written as a row of a real number: each digit its own
    height, stroke width and ink (one writer's for all, a third of the time), on one paper or
    each on its own (photos pasted side by side), with gaps from touching to wide, maybe slanted."""
    count, tallest = len(images), rng.uniform(50, 160)
    heights = np.round(tallest * rng.uniform(1 / MAX_HEIGHT_RATIO, 1, count)).astype(int)
    heights[rng.integers(count)] = round(tallest)
    one_writer = rng.random() < 1 / 3
    styles = [digit_style(rng)] * count if one_writer else [digit_style(rng) for _ in images]
    covers = [
        redrawn(image, height, max(1.2, share * height))
        for image, height, (_, share, _) in zip(images, heights, styles)
    ]
    pasted = rng.random() < 0.5
    slope = np.tan(np.radians(rng.uniform(-MAX_SLANT, MAX_SLANT)))
    margin = int(tallest * 0.4)
    widths = [cover.shape[1] for cover in covers]
    gaps = [
        rng.uniform(max(GAPS[0], 0.02) if pasted else GAPS[0], GAPS[1]) * (a + b) / 2
        for a, b in zip(widths, widths[1:])
    ]
    lefts = margin + np.concatenate([[0], np.cumsum(np.add(widths[:-1], gaps))]).round().astype(int)
    centres = (
        tallest / 2 + margin + slope * (lefts - margin) + rng.uniform(-0.1, 0.1, count) * tallest
    )
    tops = np.round(centres - heights / 2).astype(int)
    tops -= min(0, tops.min())
    canvas = (int(tops.max() + heights.max() + margin), int(lefts[-1] + widths[-1] + margin))
    layers = []
    for cover, top, left in zip(covers, tops, lefts):
        layer = np.zeros(canvas, np.float32)
        layer[top : top + cover.shape[0], left : left + cover.shape[1]] = cover
        layers.append(layer)
    colours, grains = [style[0] for style in styles], [style[2] for style in styles]
    if pasted:  # Cut the canvas between neighbours; each piece is its own photo.
        cuts = [0, *[round(left - gap / 2) for left, gap in zip(lefts[1:], gaps)], canvas[1]]
        pixels = np.concatenate(
            [
                paper_photo([layer[:, a:b]], [colour], [grain], rng)
                for layer, colour, grain, a, b in zip(layers, colours, grains, cuts, cuts[1:])
            ],
            axis=1,
        )
    else:
        pixels = paper_photo(layers, colours, grains, rng)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def digits_right(read, truth):
    """Digits of truth read right: by position, or matched in order if the counts differ."""
    if len(read) == len(truth):
        return sum(a == b for a, b in zip(read, truth))
    blocks = difflib.SequenceMatcher(None, read, truth).get_matching_blocks()
    return sum(block.size for block in blocks)


def share(mask):
    return float(np.mean(mask)) if len(mask) else float("nan")


def reading(nb, model, path, kind, truth):
    """One photo read by one model, as a row of the results."""
    table, _ = nb.recognize_files(model, [path])
    read, note = (str(table.predicted[0]), table.note[0]) if len(table) else ("", "unreadable")
    return {
        "file": path.name,
        "kind": kind,
        "digits": len(truth),
        "read": read,
        "exact": read == truth,
        "noted": bool(note),
        "note": note,
        "digits_right": digits_right(read, truth),
        "count_right": len(read) == len(truth),
    }


def summarize(results):
    """The figures of one model's readings: numbers, two-digit sheets and single photos."""
    numbers, singles, sheets = (
        results[results.kind == kind] for kind in ("number", "single", "sheet")
    )
    miscounted = numbers[~numbers.count_right]
    return {
        "numbers": len(numbers),
        "numbers_exact": share(numbers.exact),
        "number_digits_right": float(numbers.digits_right.sum() / max(1, numbers.digits.sum())),
        "numbers_right_or_noted": share(numbers.exact | numbers.noted),
        "numbers_miscounted": len(miscounted),
        "numbers_miscounted_noted": int(miscounted.noted.sum()),
        "numbers_miscounted_silent": int((~miscounted.noted).sum()),
        "numbers_wrong_silent": int((~numbers.exact & ~numbers.noted).sum()),
        "numbers_right_but_noted": share(numbers.exact & numbers.noted),
        "exact_by_digits": {
            int(count): share(group.exact) for count, group in numbers.groupby("digits")
        },
        "sheets": len(sheets),
        "sheets_exact": share(sheets.exact),
        "sheets_right_or_noted": share(sheets.exact | sheets.noted),
        "singles": len(singles),
        "singles_right": share(singles.exact),
        "singles_right_or_noted": share(singles.exact | singles.noted),
        "singles_right_but_noted": share(singles.exact & singles.noted),
        "singles_read_as_several": int((~singles.count_right).sum()),
    }


def report(summary):
    """Print one model's figures in four lines."""
    print(
        f"  {summary['numbers']} numbers of 2–4 digits: {summary['numbers_exact']:.1%} read"
        f" exactly, {summary['number_digits_right']:.1%} of their digits right,"
        f" {summary['numbers_right_or_noted']:.1%} right or noted"
        f" ({summary['numbers_right_but_noted']:.1%} right but noted)"
    )
    print(
        f"    miscounted: {summary['numbers_miscounted']},"
        f" of them {summary['numbers_miscounted_silent']} with no note;"
        f" wrong with no note: {summary['numbers_wrong_silent']}"
    )
    print(
        f"  {summary['sheets']} two-digit sheets: {summary['sheets_exact']:.1%} read exactly,"
        f" {summary['sheets_right_or_noted']:.1%} read right or noted"
    )
    print(
        f"  {summary['singles']} single photos: {summary['singles_right']:.1%} right,"
        f" {summary['singles_right_or_noted']:.1%} right or noted"
        f" ({summary['singles_right_but_noted']:.1%} right but noted),"
        f" {summary['singles_read_as_several']} read as several digits"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--numbers", type=int, default=1000, help="numbers (default 1000)")
    parser.add_argument("--singles", type=int, default=1000, help="single digits (default 1000)")
    parser.add_argument("--sheets", type=int, default=500, help="two-digit sheets (default 500)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", action="store_true", help="write the sample number and stop")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "read_numbers.json")
    parser.add_argument("--rows", type=Path, help="also write every reading to a CSV")
    parser.add_argument("--pictures", type=Path, help="also keep the numbers' photos in a folder")
    args = parser.parse_args()
    # Set here, not on import: notebook kernels started from this process would inherit it.
    os.environ.setdefault("MPLBACKEND", "Agg")

    nb = load_helpers()
    _, (x_test, y_test) = nb.load_mnist_files(mnist_data_dir())
    if args.samples:
        digits, seed = SAMPLE
        rng = np.random.default_rng(seed)
        indices = [int(rng.choice(np.flatnonzero(y_test == digit))) for digit in digits]
        strip = number_strip(x_test[indices], rng, rng.integers(1, 6, len(indices)))
        photo = render_photo(strip, rng)
        photo.thumbnail((720, 720), Image.Resampling.LANCZOS)
        name = f"{''.join(map(str, digits))}-mnist-test-{'-'.join(map(str, indices))}.jpg"
        path = ROOT / "samples" / name
        photo.save(path, quality=80, optimize=True)
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1024:.1f} KiB")
        return

    with contextlib.redirect_stdout(sys.stderr):
        trained = run_until("convnet_seconds = time.perf_counter() - start")
    models = {"dense": trained["model"], "convnet": trained["convnet"]}
    rng = np.random.default_rng(args.seed)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        folder = args.pictures or Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for number in range(args.numbers + args.singles + args.sheets):
            if number < args.numbers:
                kind, indices = (
                    "number",
                    rng.choice(len(x_test), int(rng.integers(2, 5)), replace=False),
                )
                photo = realistic_number(x_test[indices], rng)
            elif number < args.numbers + args.singles:
                kind, indices = "single", rng.choice(len(x_test), 1)
                photo = render_photo(x_test[indices[0]], rng)
            else:
                kind, indices = "sheet", rng.choice(len(x_test), 2, replace=False)
                photo = two_photo_sheet(
                    [render_photo(x_test[index], rng) for index in indices]
                )
            truth = "".join(str(y_test[index]) for index in indices)
            path = folder / f"{number:05d}-{kind}-{truth}.jpg"
            photo.save(path, quality=int(rng.integers(75, 96)))
            for name, model in models.items():
                rows.append({"model": name, **reading(nb, model, path, kind, truth)})
    results = pd.DataFrame(rows)
    summary = {name: summarize(group) for name, group in results.groupby("model", sort=False)}
    summary["seed"] = args.seed
    for name in models:
        print(f"Read by the {name} model:")
        report(summary[name])
    args.output.write_text(json.dumps(summary, indent=2) + "\n")
    if args.rows:
        results.to_csv(args.rows, index=False)


if __name__ == "__main__":
    main()
