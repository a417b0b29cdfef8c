"""The notebook's optional convnet against keras-io's `mnist_convnet` recipe, seed by seed.

    python benchmarks/convnet.py                      # seeds 0, 1 and 2; updates results.json
    python benchmarks/convnet.py --seeds 0            # one seed, for a quick look
    python benchmarks/convnet.py --output out.json    # write the figures somewhere else

For each seed, both recipes train in a process of their own (each pays its own start-up and
tracing), one right after the other, so that both see the same load on a shared machine; the
order of the two alternates from seed to seed. The time is that of `model.fit` alone; the
accuracy is measured on the 10,000 test images.

- The notebook's convnet: `build_convnet()` and `CONVNET_SETTINGS` below, trained the notebook's
  way (the first 55,000 training images, the last 5,000 as validation, float32 inputs of shape
  (N, 28, 28), Adam with a warm-up then a cosine decay, one call into TensorFlow per epoch).
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
import gzip
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

# ===== The recipe to copy into the notebook: the model and its training settings. ==============

CONVNET_SETTINGS = {
    "epochs": 8,
    "batch_size": 256,
    "peak_learning_rate": 0.004,  # The top of the schedule, reached after the warm-up.
    "warmup_fraction": 0.1,  # The share of all training steps spent warming up.
    "start_fraction": 1 / 20,  # The warm-up starts at this share of the peak rate.
}


def build_convnet(keras):
    """The notebook's convnet: a strided 5×5 convolution, a 3×3 one, pooling, then the digits.

    The first convolution moves two pixels at a time, so every later layer sees a quarter of the
    pixels that keras-io's convnet works on: most of the saving in training time.
    """
    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Reshape((28, 28, 1)),  # One grey channel per image.
        keras.layers.Conv2D(32, 5, strides=2, activation="relu"),  # 12×12×32
        keras.layers.Conv2D(64, 3, activation="relu"),  # 10×10×64
        keras.layers.MaxPooling2D(2),  # 5×5×64
        keras.layers.Flatten(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax"),
    ])

# ===== End of the recipe. =======================================================================

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results.json"
DEFAULT_SEEDS = (0, 1, 2)

VALIDATION_SIZE = 5_000  # The notebook holds out the last 5,000 training images.
EVALUATION_BATCH_SIZE = 1_000
IMAGE_SIDE = 28
IMAGES_HEADER_BYTES = 16  # IDX images: magic number, count, rows, columns.
LABELS_HEADER_BYTES = 8  # IDX labels: magic number, count.
IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049

# keras-io's mnist_convnet, as published.
BASELINE_EPOCHS = 15
BASELINE_BATCH_SIZE = 128
BASELINE_VALIDATION_SPLIT = 0.1

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


# --- Reading MNIST from its original files. -----------------------------------------------------


def read_idx(path, header_bytes, magic):
    """The items of one gzipped IDX file as a flat uint8 array, after checking its header."""
    with gzip.open(path, "rb") as stream:
        content = stream.read()
    found_magic = int.from_bytes(content[:4], "big")
    if found_magic != magic:
        sys.exit(f"{path} is not an MNIST IDX file (magic number {found_magic}, not {magic}).")
    import numpy as np

    return np.frombuffer(content, dtype=np.uint8, offset=header_bytes)


def load_mnist(data_dir):
    """Training and test images as float32 in [0, 1] of shape (N, 28, 28), labels as uint8."""
    folder = Path(data_dir)
    images = {}
    for part in ("train", "test"):
        pixels = read_idx(folder / MNIST_FILES[f"{part}_images"], IMAGES_HEADER_BYTES,
                          IMAGES_MAGIC)
        labels = read_idx(folder / MNIST_FILES[f"{part}_labels"], LABELS_HEADER_BYTES,
                          LABELS_MAGIC)
        pictures = pixels.reshape(-1, IMAGE_SIDE, IMAGE_SIDE).astype("float32") / 255
        images[part] = (pictures, labels)
    return images["train"], images["test"]


# --- Workers: each trains one recipe at one seed in a fresh process, and prints one JSON line. --


def start_seeded(seed):
    """Import Keras quietly and make the run reproducible, the notebook's way."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    return keras


def train_convnet(seed, data_dir):
    """Train the notebook's convnet; return its fit time and test accuracy."""
    keras = start_seeded(seed)
    (x_train_full, y_train_full), (x_test, y_test) = load_mnist(data_dir)
    split = len(x_train_full) - VALIDATION_SIZE
    x_train, y_train = x_train_full[:split], y_train_full[:split]
    x_val, y_val = x_train_full[split:], y_train_full[split:]

    settings = CONVNET_SETTINGS
    epochs, peak = settings["epochs"], settings["peak_learning_rate"]
    steps_per_epoch = math.ceil(len(x_train) / settings["batch_size"])
    warmup_steps = int(epochs * steps_per_epoch * settings["warmup_fraction"])
    learning_rate = keras.optimizers.schedules.CosineDecay(
        peak * settings["start_fraction"], warmup_target=peak, warmup_steps=warmup_steps,
        decay_steps=epochs * steps_per_epoch - warmup_steps)

    model = build_convnet(keras)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  steps_per_execution=steps_per_epoch)
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=settings["batch_size"], epochs=epochs,
              validation_data=(x_val, y_val), verbose=0)
    fit_seconds = time.perf_counter() - start
    return finish(model, fit_seconds, x_test, y_test)


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
        "convnet_recipe": CONVNET_SETTINGS,
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
