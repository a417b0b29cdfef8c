"""Speed, memory and accuracy benchmark: the original recipe against the notebook's, side by side.

    python benchmarks/bench.py                # everything: writes benchmarks/results.json, prints a table
    python benchmarks/bench.py --seeds 0      # fewer seeds, for a quick look
    python benchmarks/bench.py --table        # the performance table of benchmarks/README.md, from results.json

What it measures, in this order:

1. Training, 10 epochs, for each seed: the original recipe and then the notebook's, each in a
   process of its own (so that each pays its own start-up and tracing), one after the other so
   that both see the same machine load. The original recipe is reconstructed here as the
   original script ran it: float64 inputs, batch 32, Adam with its defaults, all 60,000 training
   images, validation on the test set after every epoch. The notebook's recipe is the notebook's
   own code: its code cells run in order through training and the test evaluation, with `SEED`
   overridden as papermill would, and the time is that of the cell that calls `model.fit`. The
   whole process of the original recipe (imports, loading, training, evaluation) is timed too:
   the seed-style script end to end, to compare the whole notebook with.
2. The whole notebook headless, kernel start to the last cell, under `/usr/bin/time -v`: wall
   time and peak resident memory (the largest process: the kernel).
3. The latency of one prediction: direct calls `model(x, training=False)` of the saved model on
   one 28×28 image, after warm-up (the call the drawing pad makes); also `model.predict_on_batch` and `model.predict`.

Timings depend on what else the machine runs: the load average is recorded with the results.
Needs MNIST_DATA_DIR (a folder with the four original MNIST .gz files) and, for the memory
figure, /usr/bin/time (Debian/Ubuntu package "time"; without it the same figure is read with
getrusage).
"""

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "mnist_digit_recognition.ipynb"
RESULTS = ROOT / "benchmarks" / "results.json"
sys.path.insert(0, str(ROOT / "tests"))

GOALS = {  # From the issue: what "fast" means on a 2-core CPU.
    "fit_seconds": 2.0,
    "speedup": 12.0,
    "min_test_accuracy": 0.980,
    "mean_test_accuracy": 0.982,
    "notebook_seconds": 20.0,
    "peak_rss_mb": 1024.0,
    "predict_ms_p50": 2.0,
}


# --- Workers: each runs in a fresh process and prints one JSON line on stdout. ---------------


def quiet_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("MPLBACKEND", "Agg")


def train_original(seed):
    """The original script's recipe, as it ran: returns its fit time and test accuracy."""
    quiet_tensorflow()
    from notebook import load_helpers

    nb = load_helpers()  # For the offline MNIST reader and the (identical) architecture only.
    keras = nb.keras
    (x_train, y_train), (x_test, y_test) = nb.load_mnist_files(os.environ.get("MNIST_DATA_DIR"))
    x_train, x_test = x_train / 255.0, x_test / 255.0  # float64, as in the original
    keras.utils.set_random_seed(seed)
    model = keras.models.clone_model(nb.model)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):
        model.fit(x_train, y_train, epochs=10, validation_data=(x_test, y_test), verbose=2)
    fit_seconds = time.perf_counter() - start
    accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)[1]
    return {"fit_seconds": fit_seconds, "test_accuracy": float(accuracy)}


def train_notebook(seed):
    """Run the notebook's own cells through training and the test evaluation, with SEED=seed."""
    quiet_tensorflow()
    from notebook import fit_seconds, run_until_evaluated

    seconds = {}
    with contextlib.redirect_stdout(sys.stderr):
        namespace = run_until_evaluated(seconds, SEED=seed)
    history = namespace["history"].history
    return {
        "fit_seconds": fit_seconds(seconds),
        "test_accuracy": float(namespace["test_accuracy"]),
        "val_accuracy": [round(value, 4) for value in history["val_accuracy"]],
        "batch_size": namespace["BATCH_SIZE"],
        "learning_rate": namespace["LEARNING_RATE"],  # The peak of the schedule.
        "steps_per_execution": namespace["model"].steps_per_execution,
    }


def predict_latency(model_path, calls=1000):
    """Milliseconds per prediction of one image: p50 and p90 of direct calls, after warm-up."""
    quiet_tensorflow()
    from notebook import load_helpers

    nb = load_helpers()
    keras, np = nb.keras, nb.np
    model = keras.models.load_model(model_path, compile=False)
    image = np.random.default_rng(0).random((1, 28, 28), np.float32)

    def percentiles(function, n):
        for _ in range(max(10, n // 20)):
            function()
        times = []
        for _ in range(n):
            start = time.perf_counter()
            function()
            times.append((time.perf_counter() - start) * 1000)
        quantiles = statistics.quantiles(times, n=10)
        return {"p50": statistics.median(times), "p90": quantiles[-1]}

    return {
        "model_call": percentiles(lambda: model(image, training=False).numpy(), calls),
        "model_predict_on_batch": percentiles(lambda: model.predict_on_batch(image), calls),
        "model_predict": percentiles(lambda: model.predict(image, verbose=0), 50),
    }


# --- The driver. -------------------------------------------------------------------------------


def run_worker(*arguments):
    """Run this script as a worker in a new process and return its JSON answer."""
    command = [sys.executable, __file__, *map(str, arguments)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]) | {"process_seconds": time.perf_counter() - start}


def run_notebook_headless():
    """Execute a copy of the notebook in a temporary folder; return seconds, peak RSS and the folder."""
    folder = Path(tempfile.mkdtemp(prefix="mnist-bench-"))
    copy = folder / NOTEBOOK.name
    shutil.copy(NOTEBOOK, copy)
    jupyter = Path(sys.executable).with_name("jupyter")
    command = [str(jupyter), "execute", "--inplace", "--timeout=600", copy.name]
    time_binary = shutil.which("time", path="/usr/bin:/bin")
    env = dict(os.environ, MPLBACKEND="Agg")
    if time_binary:
        start = time.perf_counter()
        done = subprocess.run([time_binary, "-v", *command], cwd=folder, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"The notebook failed headless:\n{done.stderr[-3000:]}")
        rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
        elapsed = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", done.stderr).group(1)
        seconds = sum(float(part) * 60**power for power, part in enumerate(reversed(elapsed.split(":"))))
        method = "/usr/bin/time -v"
    else:  # Same figures from the kernel's own accounting: the largest reaped descendant.
        import resource

        start = time.perf_counter()
        done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
        seconds = wall = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"The notebook failed headless:\n{done.stderr[-3000:]}")
        rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        method = "getrusage(RUSAGE_CHILDREN), /usr/bin/time missing"
    return {"seconds": seconds, "wall": wall, "peak_rss_mb": rss_kb / 1024, "method": method, "folder": folder,
            "slowest_cells": slowest_cells(copy)}


def slowest_cells(executed_notebook, top=6):
    """The cells that took longest in the headless run, from nbclient's timing metadata."""
    import datetime

    import nbformat

    timings = []
    for cell in nbformat.read(executed_notebook, as_version=4).cells:
        execution = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in execution and "shell.execute_reply" in execution:
            begin, end = (datetime.datetime.fromisoformat(execution[key].replace("Z", "+00:00"))
                          for key in ("iopub.execute_input", "shell.execute_reply"))
            first_line = next((line for line in cell.source.splitlines() if not line.startswith("#")), "")
            timings.append(((end - begin).total_seconds(), first_line[:60]))
    return [{"seconds": round(seconds, 2), "cell": line} for seconds, line in sorted(timings, reverse=True)[:top]]


def machine():
    from importlib.metadata import version

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"cpu": cpu, "threads": os.cpu_count(), "tensorflow": version("tensorflow"), "keras": version("keras"),
            "python": platform.python_version()}


def benchmark(seeds, skip_notebook=False):
    if not os.environ.get("MNIST_DATA_DIR"):
        sys.exit("Set MNIST_DATA_DIR to a folder with the four MNIST .gz files.")
    load_before = os.getloadavg()
    original, ours = [], []
    for seed in seeds:
        print(f"seed {seed}: original recipe ...", end=" ", flush=True)
        original.append(run_worker("--train", "original", "--seed", seed))
        print(f"{original[-1]['fit_seconds']:.1f} s; notebook recipe ...", end=" ", flush=True)
        ours.append(run_worker("--train", "notebook", "--seed", seed))
        print(f"{ours[-1]['fit_seconds']:.2f} s", flush=True)
    baseline = statistics.median(run["fit_seconds"] for run in original)
    fit = statistics.median(run["fit_seconds"] for run in ours)
    results = {
        "baseline_fit_seconds": round(baseline, 2),
        "fit_seconds": round(fit, 3),
        "speedup": round(baseline / fit, 1),
        "test_accuracy": [round(run["test_accuracy"], 4) for run in ours],
        "seeds": list(seeds),
        "fit_seconds_per_seed": [round(run["fit_seconds"], 3) for run in ours],
        "baseline_fit_seconds_per_seed": [round(run["fit_seconds"], 2) for run in original],
        "baseline_test_accuracy": [round(run["test_accuracy"], 4) for run in original],
        "recipe": {key: ours[0][key] for key in ("batch_size", "learning_rate", "steps_per_execution")},
        "script_seconds": round(statistics.median(run["process_seconds"] for run in original), 1),
    }
    if not skip_notebook:
        print("notebook headless ...", end=" ", flush=True)
        headless = run_notebook_headless()
        print(f"{headless['seconds']:.1f} s, {headless['peak_rss_mb']:.0f} MB", flush=True)
        print("prediction latency ...", end=" ", flush=True)
        latency = run_worker("--predict", headless["folder"] / "mnist_digit_recognition.h5")
        shutil.rmtree(headless["folder"], ignore_errors=True)
        results.update({
            "notebook_seconds": round(headless["seconds"], 1),
            "notebook_vs_script": round(headless["seconds"] / results["script_seconds"], 2),
            "peak_rss_mb": round(headless["peak_rss_mb"]),
            "memory_method": headless["method"],
            "notebook_slowest_cells": headless["slowest_cells"],
            "predict_ms_p50": round(latency["model_call"]["p50"], 3),
            "predict_ms": {name: {key: round(value, 3) for key, value in figures.items()}
                           for name, figures in latency.items() if isinstance(figures, dict)},
        })
        print(f"{results['predict_ms_p50']:.2f} ms", flush=True)
    results.update(machine())
    results["load_average"] = {"before": [round(x, 2) for x in load_before],
                               "after": [round(x, 2) for x in os.getloadavg()]}
    results["date"] = time.strftime("%Y-%m-%d")
    results["goals_met"] = goals_met(results)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    return results


def goals_met(results):
    accuracies = results["test_accuracy"]
    met = {
        "fit_seconds": results["fit_seconds"] <= GOALS["fit_seconds"],
        "speedup": results["speedup"] >= GOALS["speedup"],
        "test_accuracy": min(accuracies) >= GOALS["min_test_accuracy"]
        and statistics.mean(accuracies) >= GOALS["mean_test_accuracy"],
    }
    for key in ("notebook_seconds", "peak_rss_mb", "predict_ms_p50"):
        if key in results:
            met[key] = results[key] <= GOALS[key]
    return met


def table(results):
    """The performance table of benchmarks/README.md, in Markdown, from the results."""
    accuracies = results["test_accuracy"]
    met = results.get("goals_met") or goals_met(results)
    mark = {True: "✓", False: "✗"}
    rows = [
        ("10 epochs of training (fit only)", f"{results['baseline_fit_seconds']:.1f} s",
         f"{results['fit_seconds']:.2f} s", f"≤ {GOALS['fit_seconds']:.1f} s", met["fit_seconds"]),
        ("Speed-up over the original recipe", "1×", f"{results['speedup']:.1f}×",
         f"≥ {GOALS['speedup']:.0f}×", met["speedup"]),
        (f"Test accuracy, seeds {', '.join(map(str, results['seeds']))}",
         ", ".join(f"{a:.4f}" for a in results.get("baseline_test_accuracy", [])) or "–",
         ", ".join(f"{a:.4f}" for a in accuracies) + f" (mean {statistics.mean(accuracies):.4f})",
         f"each ≥ {GOALS['min_test_accuracy']:.3f}, mean ≥ {GOALS['mean_test_accuracy']:.3f}",
         met["test_accuracy"]),
    ]
    if "notebook_seconds" in results:
        rows += [
            ("Whole run headless: the seed-style script, end to end, against the notebook",
             f"{results['script_seconds']:.1f} s",
             f"{results['notebook_seconds']:.1f} s ({results['notebook_vs_script']:.2f}×)",
             f"≤ {GOALS['notebook_seconds']:.0f} s", met["notebook_seconds"]),
            ("Peak resident memory of that run", "–", f"{results['peak_rss_mb']:.0f} MB",
             f"≤ {GOALS['peak_rss_mb'] / 1024:.1f} GB", met["peak_rss_mb"]),
            ("One prediction, `model(x)` p50", "–", f"{results['predict_ms_p50']:.2f} ms",
             f"≤ {GOALS['predict_ms_p50']:.0f} ms", met["predict_ms_p50"]),
        ]
    lines = ["| Measure | Original recipe | Notebook | Goal | Met |", "|---|---|---|---|---|"]
    lines += [f"| {name} | {old} | {new} | {goal} | {mark[ok]} |" for name, old, new, goal, ok in rows]
    recipe = results.get("recipe", {})
    lines += [
        "",
        f"Measured by `make bench` on {results['date']}: {results['cpu']}, {results['threads']} threads, "
        f"TensorFlow {results['tensorflow']}, Python {results['python']}; medians over the seeds, "
        f"each run in a fresh process (load average {results['load_average']['before'][0]:.1f} at the start). "
        f"Notebook recipe: batch {recipe.get('batch_size')}, peak learning rate {recipe.get('learning_rate')}, "
        f"{recipe.get('steps_per_execution')} steps per execution.",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--skip-notebook", action="store_true", help="training comparison only")
    parser.add_argument("--table", action="store_true", help="print the benchmarks/README.md table from results.json")
    parser.add_argument("--train", choices=["original", "notebook"], help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--predict", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.train:
        worker = train_original if args.train == "original" else train_notebook
        print(json.dumps(worker(args.seed)))
    elif args.predict:
        print(json.dumps(predict_latency(args.predict)))
    elif args.table:
        print(table(json.loads(RESULTS.read_text())))
    else:
        print(table(benchmark(args.seeds, args.skip_notebook)))


if __name__ == "__main__":
    main()
