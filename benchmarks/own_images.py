"""Benchmark the notebook's "Try your own handwriting" section on photo-like MNIST digits.

MNIST test digits are rendered as photos of handwriting (dark ink on tinted paper, 100–600 px,
off-centre on a larger canvas, blurred, noisy, saved as RGB JPEG) with tests/pictures.py's
`render_photo`, then recognized by both of the notebook's models, the dense one and the convnet,
trained exactly as the notebook trains them:

  (a) naive: the picture resized to 28×28 as it is, as most tutorials do;
  (b) MNIST-style: the notebook's `load_digit_image` + `prepare_digits` (right only when it finds one digit);
  (c) the same, on the same photos each with a cast shadow across it (`cast_shadow`);

beside the accuracy on the same digits as clean MNIST images. It also times one prediction from
a file: the preparation and the model call (`model(x)`, as the pad and the folder reading call it) separately.

    MNIST_DATA_DIR=/path/to/mnist python benchmarks/own_images.py            # prints a table, writes own_images.json
    MNIST_DATA_DIR=/path/to/mnist python benchmarks/own_images.py --samples  # regenerates samples/
"""

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402
from notebook import fit_seconds, load_helpers, mnist_data_dir, run_until  # noqa: E402
from pictures import cast_shadow, naive_input, on_ruled_paper, render_photo  # noqa: E402
from PIL import Image  # noqa: E402

SAMPLE_SEED = 2024  # The repository's sample photos: fixed, so regenerating them changes nothing.
SAMPLE_COUNT = 7  # With the hard ones and the number 1984, the 12 pictures the notebook's figure shows.
SAMPLE_SIDE = 360  # Longest side of a sample photo, small enough for files under 30 KB.
HARD_SAMPLES = [  # (MNIST test index, kind): harder cases, so that the samples show failures too.
    (3, "squared-paper"),  # A 0 on squared paper: the ruled lines must go before the ink is cut out.
    (18, "chalk"),  # A 3 in light chalk on a dark board.
    (9587, "hard"),  # A 9 with an open loop, like a 4: the trained model reads its MNIST image as a 4.
    (21, "shadow"),  # A 6 half in a cast shadow: the paper's light must be evened out before the ink is found.
]


def write_samples(nb, x_test, y_test, folder=ROOT / "samples"):
    """Render the repository's sample photos: SAMPLE_COUNT plain ones, then the HARD_SAMPLES."""
    rng = np.random.default_rng(SAMPLE_SEED)
    folder.mkdir(exist_ok=True)
    for old in folder.glob("[0-9]-mnist-test-*"):  # Single digits only: read_numbers.py writes the number.
        old.unlink()
    digits = rng.permutation(10)[:SAMPLE_COUNT]
    for number, choice in enumerate([*digits, *HARD_SAMPLES]):
        if number < SAMPLE_COUNT:  # One test image of the digit, chosen at random.
            index, kind = int(rng.choice(np.flatnonzero(y_test == choice))), "plain"
        else:
            index, kind = choice
        photo = render_photo(x_test[index], rng)
        photo.thumbnail((SAMPLE_SIDE, SAMPLE_SIDE), Image.Resampling.LANCZOS)
        name = f"{y_test[index]}-mnist-test-{index}" + ("" if kind == "plain" else f"-{kind}")
        if kind == "squared-paper":
            photo = on_ruled_paper(photo, 24, 8, 1, grid=True, color=(120, 150, 205))  # Squared paper.
        elif kind == "shadow":
            photo = cast_shadow(photo, np.random.default_rng(3))  # Seed 3: a hard shadow edge across the digit.
        elif kind == "chalk":  # Light chalk on a dark green board: the polarity of MNIST itself.
            photo = Image.fromarray((255 - np.asarray(photo) * np.float32([0.8, 0.7, 0.8])).astype(np.uint8))
        if number == 0:  # One grayscale PNG among the JPEGs.
            path = folder / f"{name}.png"
            photo.convert("L").quantize(32).save(path, optimize=True)
        else:
            path = folder / f"{name}.jpg"
            photo.save(path, quality=80, optimize=True)
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1024:.1f} KiB")


def percentile_ms(seconds, q=50):
    return float(1000 * sorted(seconds)[int(q / 100 * (len(seconds) - 1))])


def read_one(nb, path, failures):
    """The photo's one 28×28 input, or a blank one (counted wrong) when it is unreadable or read as several digits."""
    try:
        inputs, _ = nb.prepare_digits(nb.load_digit_image(path), path.name)
    except nb.DigitImageError as error:
        failures.append(str(error))
        return np.zeros((28, 28), np.float32)
    if len(inputs) != 1:
        failures.append(f"{path.name}: read as {len(inputs)} digits")
        return np.zeros((28, 28), np.float32)
    return inputs[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="rendered photos (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the digit choice and the rendering")
    parser.add_argument("--samples", action="store_true", help="regenerate samples/ and stop")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "own_images.json")
    args = parser.parse_args()
    # Set here, not on import: the tests import cast_shadow, and the notebook kernels they start would inherit it.
    os.environ.setdefault("MPLBACKEND", "Agg")

    nb = load_helpers()
    pd = nb.pd
    data_dir = mnist_data_dir()
    _, (x_test, y_test) = nb.load_mnist_files(data_dir)
    if args.samples:
        write_samples(nb, x_test, y_test)
        return

    # The notebook's own cells, through training both models, with its default parameters (the
    # files they save go to a scratch folder).
    seconds = {}
    with contextlib.redirect_stdout(sys.stderr), tempfile.TemporaryDirectory() as scratch:
        with contextlib.chdir(scratch):
            trained = run_until("convnet_seconds = time.perf_counter() - start", seconds)
    model, convnet, x_test_clean = trained["model"], trained["convnet"], trained["x_test"]
    train_seconds, convnet_seconds = fit_seconds(seconds), trained["convnet_seconds"]

    def predict(model, images):
        """(digits, probabilities): model.predict, as the notebook calls it."""
        probabilities = model.predict(np.asarray(images), batch_size=1000, verbose=0)
        return probabilities.argmax(axis=1), probabilities

    clean_accuracy = float(np.mean(predict(model, x_test_clean)[0] == y_test))

    rng = np.random.default_rng(args.seed)
    chosen = rng.choice(len(x_test), size=args.count, replace=False)
    labels = y_test[chosen]
    subset_clean = float(np.mean(predict(model, x_test_clean[chosen])[0] == labels))
    naive, prepared, shadowed, prepare_seconds, failures, shadow_failures = [], [], [], [], [], []
    shadow_rng = np.random.default_rng([args.seed, 1])  # A stream of its own: the photos of (b) stay as they were.
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        start = time.perf_counter()
        for index in chosen:
            paths.append(Path(folder) / f"{index}.jpg")
            photo = render_photo(x_test[index], rng)
            quality = int(rng.integers(75, 96))
            photo.save(paths[-1], quality=quality)
            cast_shadow(photo, shadow_rng).save(Path(folder) / f"{index}-shadow.jpg", quality=quality)
        render_seconds = time.perf_counter() - start
        for path in paths:
            with Image.open(path) as image:  # (a) What most tutorials do.
                naive.append(naive_input(image))
            start = time.perf_counter()  # (b) The notebook's preparation, from the file.
            prepared.append(read_one(nb, path, failures))
            prepare_seconds.append(time.perf_counter() - start)
            shadow_path = path.with_name(f"{path.stem}-shadow.jpg")  # (c) The same photo with a cast shadow.
            shadowed.append(read_one(nb, shadow_path, shadow_failures))
        # One prediction from a file, end to end, as the notebook makes it.
        recognize_seconds = []
        for path in paths[:100]:
            start = time.perf_counter()
            nb.recognize_files(model, [path])
            recognize_seconds.append(time.perf_counter() - start)
    naive, prepared, shadowed = np.array(naive), np.array(prepared), np.array(shadowed)

    def accuracies(model):
        """The share of each set read right; a blank input (not read as one digit) counts as wrong."""
        def read_right(inputs):
            return float(np.mean((predict(model, inputs)[0] == labels) & (inputs.max(axis=(1, 2)) > 0)))

        return {
            "clean": float(np.mean(predict(model, x_test_clean[chosen])[0] == labels)),
            "naive": float(np.mean(predict(model, naive)[0] == labels)),
            "naive_inverted": float(np.mean(predict(model, 1 - naive)[0] == labels)),
            "mnist_style": read_right(prepared),
            "mnist_style_shadow": read_right(shadowed),
        }

    accuracy, convnet_accuracy = accuracies(model), accuracies(convnet)

    # Latency of the model call alone on one prepared input (after warm-up calls), as the pad makes it: model(x).
    for image in prepared[:20]:
        model(image[None], training=False)
    call_seconds = []
    for image in np.resize(prepared, (500, 28, 28)):
        start = time.perf_counter()
        model(image[None], training=False)
        call_seconds.append(time.perf_counter() - start)

    result = {
        "photos": args.count,
        "seed": args.seed,
        "accuracy": accuracy,
        "convnet_accuracy": convnet_accuracy,
        "convnet_clean_test_accuracy_10000": float(np.mean(predict(convnet, x_test_clean)[0] == y_test)),
        "convnet_train_seconds": convnet_seconds,
        "clean_test_accuracy_10000": clean_accuracy,
        "mnist_style_gap_points": 100 * (subset_clean - accuracy["mnist_style"]),
        "shadow_gap_points": 100 * (accuracy["mnist_style"] - accuracy["mnist_style_shadow"]),
        "not_one_digit": len(failures),
        "not_one_digit_shadow": len(shadow_failures),
        "latency_ms": {
            "model_call_p50": percentile_ms(call_seconds, 50),
            "model_call_p90": percentile_ms(call_seconds, 90),
            "preparation_p50": percentile_ms(prepare_seconds, 50),
            "preparation_p90": percentile_ms(prepare_seconds, 90),
            "file_to_prediction_p50": percentile_ms(recognize_seconds, 50),
        },
        "train_seconds": train_seconds,
        "render_seconds": render_seconds,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "tensorflow": nb.tf.__version__},
    }
    table = pd.DataFrame(
        {
            "input": [
                "clean MNIST test images (same digits)",
                "(a) photo, naive resize to 28×28",
                "(a') photo, naive resize + inversion",
                "(b) photo, MNIST-style preparation",
                "(c) photo with a cast shadow, MNIST-style",
            ],
            "dense model": [accuracy[key] for key in accuracy],
            "convnet": [convnet_accuracy[key] for key in accuracy],
        }
    )
    print(f"{args.count} photo-like MNIST test digits; the dense model trained {nb.EPOCHS} epochs in"
          f" {train_seconds:.0f} s, the convnet {nb.CONVNET_EPOCHS} epochs in {convnet_seconds:.0f} s")
    print(table.to_string(index=False, formatters={"dense model": "{:.2%}".format, "convnet": "{:.2%}".format}))
    print(f"Clean accuracy on all 10,000 test images: {clean_accuracy:.2%}")
    print(f"(b) is {result['mnist_style_gap_points']:.2f} points below clean; {len(failures)} not read as one digit")
    print(f"(c) is {result['shadow_gap_points']:.2f} points below (b); {len(shadow_failures)} not read as one digit")
    for name, value in result["latency_ms"].items():
        print(f"{name:>24}: {value:.2f} ms")
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"Wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")


if __name__ == "__main__":
    main()
