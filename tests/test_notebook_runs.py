"""The whole notebook, run headless with papermill: accuracy floor, reproducibility, artefacts, devices."""

import re

import h5py
import numpy as np
import pytest
from notebook import cell_text, run_notebook

pytestmark = pytest.mark.usefixtures("mnist_dir")  # CI has no internet: the runs read the local copy.


def printed_accuracy(notebook):
    match = re.search(r"Test accuracy: (\d\.\d{4})", cell_text(notebook, "model.evaluate("))
    assert match, "the notebook did not print its test accuracy"
    return float(match.group(1))


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Two complete runs at the default parameters, each in a folder of its own."""
    folders = [tmp_path_factory.mktemp(f"run{index}") for index in (1, 2)]
    return [(folder, run_notebook(folder)) for folder in folders]


def test_default_run_reaches_98_percent(two_runs):
    assert printed_accuracy(two_runs[0][1]) >= 0.980


def test_same_seed_gives_identical_results(two_runs):
    (first_folder, first), (second_folder, second) = two_runs
    assert printed_accuracy(first) == printed_accuracy(second)
    assert cell_text(first, "most_confused_pairs(confusion)") == cell_text(second, "most_confused_pairs(confusion)")
    # The models themselves are identical, weight for weight.
    with h5py.File(first_folder / "mnist_digit_recognition.h5") as a, \
            h5py.File(second_folder / "mnist_digit_recognition.h5") as b:
        names = []
        a["model_weights"].visit(names.append)
        arrays = [name for name in names if hasattr(a["model_weights"][name], "shape")]
        assert len(arrays) == 4
        for name in arrays:
            assert np.array_equal(a["model_weights"][name][()], b["model_weights"][name][()]), name


def test_run_writes_every_artefact(two_runs):
    folder = two_runs[0][0]
    for name in ("mnist_digit_recognition.h5", "mnist_digit_recognition.keras", "mnist_digit_recognition.tflite",
                 "mnist_digit_recognition_quantized.tflite", "figures/confusion_matrix.png"):
        assert (folder / name).stat().st_size > 0, name
    assert sorted(path.name for path in folder.iterdir() if path.name.startswith(".")) == []  # No temporary files.


def test_h5_reloads_with_the_originals_four_layers(two_runs, nb):
    model = nb["keras"].models.load_model(two_runs[0][0] / "mnist_digit_recognition.h5", compile=False)
    assert [type(layer).__name__ for layer in model.layers] == ["Flatten", "Dense", "Dropout", "Dense"]
    assert model.count_params() == 101_770


def test_mirrored_strategy_over_two_cpu_devices_with_headless_plots(tmp_path, monkeypatch):
    """Multi-device training, tested on the CPU split into two logical devices.

    The kernel also draws every figure with matplotlib's Agg backend, as on a machine with no display.
    """
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = run_notebook(tmp_path, CPU_REPLICAS=2, EPOCHS=2, MIN_TEST_ACCURACY=0.95)
    assert "MirroredStrategy, 2 replica(s)" in cell_text(notebook, "choose_strategy(CPU_REPLICAS)")
    assert printed_accuracy(notebook) >= 0.95
    # The notebook reloads the saved files outside the strategy and checks identical predictions;
    # its run failing would have raised above. Check the file from here too.
    assert (tmp_path / "mnist_digit_recognition.h5").stat().st_size > 0
