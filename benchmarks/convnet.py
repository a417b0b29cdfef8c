"""The notebook's optional convnet against keras-io's `mnist_convnet` recipe, seed by seed.

    python benchmarks/convnet.py                      # seeds 0, 1 and 2; updates results.json
    python benchmarks/convnet.py --seeds 0            # one seed, for a quick look
    python benchmarks/convnet.py --output out.json    # write the figures somewhere else

For each seed, both recipes train in a process of their own (each pays its own start-up and
tracing), one right after the other, so that both see the same load on a shared machine; the
order of the two alternates from seed to seed. The time is that of `model.fit` alone; the
accuracy is measured on the 10,000 test images.

- The notebook's convnet: built and trained by the notebook's own two cells (the `Sequential`
  cell and the training cell), on the notebook's data (the first 55,000 training images, the
  last 5,000 as validation, float32 inputs of shape (N, 28, 28)), for its 8 epochs.
- The baseline: keras-io's `mnist_convnet` as published: two 3×3 convolutions of 32 and 64
  channels, Adam with its defaults, batches of 128, 15 epochs, `validation_split=0.1` of all
  60,000 training images.

Both runs call `keras.utils.set_random_seed(seed)` and enable TensorFlow's op determinism first,
as the notebook does. The printed and written keys: `convnet_fit_seconds` and
`convnet_baseline_fit_seconds` (medians over the seeds), `convnet_test_accuracy` and
`convnet_baseline_test_accuracy` (one per seed), `convnet_speedup` (baseline over convnet), and
the per-seed times. Other keys of the output file are kept.

Needs the four original MNIST .gz files, in `--data-dir` or in the folder MNIST_DATA_DIR names.
"""

import argparse
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results.json"
sys.path.insert(0, str(ROOT / "tests"))  # tests/notebook.py: the notebook's cells and helpers.
DEFAULT_SEEDS = (0, 1, 2)

VALIDATION_SIZE = 5_000  # The notebook holds out the last 5,000 training images.
EVALUATION_BATCH_SIZE = 1_000
IMAGE_SIDE = 28
CONVNET_EPOCHS = 8  # The notebook's default (its parameters cell).

# keras-io's mnist_convnet, as published.
BASELINE_EPOCHS = 15
BASELINE_BATCH_SIZE = 128
BASELINE_VALIDATION_SPLIT = 0.1

# --- Workers: each trains one recipe at one seed in a fresh process, and prints one JSON line. --


def start_seeded(seed):
    """Import Keras quietly and make the run reproducible, the notebook's way."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    return keras


def load_mnist(data_dir):
    """Training and test images as float32 in [0, 1] of shape (N, 28, 28), by the notebook's reader."""
    from notebook import load_helpers

    (train_images, train_labels), (test_images, test_labels) = load_helpers().load_mnist_files(data_dir)
    return (train_images / np.float32(255), train_labels), (test_images / np.float32(255), test_labels)


def train_convnet(seed, data_dir):
    """Train the convnet with the notebook's own two cells; return its fit time and test accuracy."""
    keras = start_seeded(seed)
    from notebook import code_cell, exec_cell

    (x_train_full, y_train_full), (x_test, y_test) = load_mnist(data_dir)
    split = len(x_train_full) - VALIDATION_SIZE
    namespace = {"keras": keras, "math": math, "time": time, "VALIDATION_SIZE": VALIDATION_SIZE,
                 "CONVNET_EPOCHS": CONVNET_EPOCHS, "x_train": x_train_full[:split],
                 "y_train": y_train_full[:split], "x_val": x_train_full[split:], "y_val": y_train_full[split:]}
    with contextlib.redirect_stdout(sys.stderr):  # model.summary() and the epochs' lines.
        exec_cell(code_cell("convnet = keras.Sequential("), namespace)
        exec_cell(code_cell("convnet_seconds = time.perf_counter() - start"), namespace)
    return finish(namespace["convnet"], namespace["convnet_seconds"], x_test, y_test)


def train_baseline(seed, data_dir):
    """Train keras-io's mnist_convnet as published; return its fit time and test accuracy."""
    keras = start_seeded(seed)
    (x_train, y_train), (x_test, y_test) = load_mnist(data_dir)
    x_train, x_test = x_train[..., None], x_test[..., None]  # Shape (N, 28, 28, 1), as keras-io.
    model = keras.Sequential([
        keras.Input(shape=(IMAGE_SIDE, IMAGE_SIDE, 1)),
        keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax"),
    ])
    # Sparse labels: the same loss as keras-io's one-hot categorical cross-entropy.
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=BASELINE_BATCH_SIZE, epochs=BASELINE_EPOCHS,
              validation_split=BASELINE_VALIDATION_SPLIT, verbose=0)
    fit_seconds = time.perf_counter() - start
    return finish(model, fit_seconds, x_test, y_test)


def finish(model, fit_seconds, x_test, y_test):
    """The figures a worker reports: fit time, test accuracy and the number of weights."""
    _, accuracy = model.evaluate(x_test, y_test, batch_size=EVALUATION_BATCH_SIZE, verbose=0)
    return {"fit_seconds": round(fit_seconds, 2), "test_accuracy": round(float(accuracy), 4),
            "weights": model.count_params()}


WORKERS = {"convnet": train_convnet, "baseline": train_baseline}


# --- The driver. -------------------------------------------------------------------------------


def run_worker(recipe, seed, data_dir):
    """Train one recipe at one seed in a new process and return its JSON answer."""
    command = [sys.executable, __file__, "--worker", recipe, "--seeds", str(seed),
               "--data-dir", str(data_dir)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(seeds, data_dir):
    """Both recipes at every seed, the order alternating; the summary keys of the results."""
    runs = {"convnet": [], "baseline": []}
    for index, seed in enumerate(seeds):
        order = ("baseline", "convnet") if index % 2 == 0 else ("convnet", "baseline")
        for recipe in order:
            answer = run_worker(recipe, seed, data_dir)
            runs[recipe].append(answer)
            print(f"seed {seed} {recipe:8s} fit {answer['fit_seconds']:7.2f} s  "
                  f"test accuracy {answer['test_accuracy']:.4f}", file=sys.stderr, flush=True)
    convnet_seconds = [run["fit_seconds"] for run in runs["convnet"]]
    baseline_seconds = [run["fit_seconds"] for run in runs["baseline"]]
    convnet_median = statistics.median(convnet_seconds)
    baseline_median = statistics.median(baseline_seconds)
    return {
        "convnet_fit_seconds": convnet_median,
        "convnet_test_accuracy": [run["test_accuracy"] for run in runs["convnet"]],
        "convnet_baseline_fit_seconds": baseline_median,
        "convnet_baseline_test_accuracy": [run["test_accuracy"] for run in runs["baseline"]],
        "convnet_speedup": round(baseline_median / convnet_median, 2),
        "convnet_fit_seconds_per_seed": convnet_seconds,
        "convnet_baseline_fit_seconds_per_seed": baseline_seconds,
        "convnet_seeds": list(seeds),
        "convnet_weights": runs["convnet"][0]["weights"],
        "convnet_epochs": CONVNET_EPOCHS,
    }


def write_results(summary, output):
    """Update the summary's keys in the output file, keeping the keys it already has."""
    path = Path(output)
    results = json.loads(path.read_text()) if path.exists() else {}
    results.update(summary)
    path.write_text(json.dumps(results, indent=2) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS))
    parser.add_argument("--output", default=str(RESULTS),
                        help="JSON file whose convnet keys are updated (default: results.json)")
    parser.add_argument("--data-dir", default=os.environ.get("MNIST_DATA_DIR"),
                        help="folder of the four MNIST .gz files (default: $MNIST_DATA_DIR)")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if not arguments.data_dir:
        parser.error("give --data-dir or set MNIST_DATA_DIR to the folder of the MNIST files")
    if arguments.worker:  # One training run, in this process, for the driver.
        answer = WORKERS[arguments.worker](arguments.seeds[0], arguments.data_dir)
        print(json.dumps(answer))
        return
    summary = measure(arguments.seeds, arguments.data_dir)
    print(json.dumps(summary, indent=2))
    write_results(summary, arguments.output)


if __name__ == "__main__":
    main()
