"""Failing fast and saying why: the parameter and path checks, and saving files atomically."""

import errno
import os

import pytest
from notebook import run_until_evaluated

PARAMETERS = ["EPOCHS", "BATCH_SIZE", "LEARNING_RATE", "SEED", "VALIDATION_SIZE", "MIN_TEST_ACCURACY", "MODEL_PATH",
              "DATA_DIR", "OWN_IMAGES", "CPU_THREADS_PER_OP", "CPU_REPLICAS", "FIGURES_DIR"]


@pytest.fixture
def defaults(nb):
    """The parameters cell's values."""
    return {name: nb[name] for name in PARAMETERS}


def test_the_default_parameters_pass(nb, defaults):
    nb["check_parameters"](defaults)


@pytest.mark.parametrize("name, value", [("VALIDATION_SIZE", 0), ("CPU_THREADS_PER_OP", 0), ("LEARNING_RATE", 1),
                                         ("MIN_TEST_ACCURACY", 0), ("OWN_IMAGES", "my digits"), ("SEED", 2**32 - 1),
                                         ("BATCH_SIZE", 60_000 - 5000)])
def test_values_at_the_edges_pass(nb, defaults, name, value, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # check_parameters checks the paths too: "my digits" must exist.
    (tmp_path / "my digits").mkdir()
    nb["check_parameters"](defaults | {name: value})


@pytest.mark.parametrize("name, value, allowed", [
    ("VALIDATION_SIZE", -1, "a whole number from 0 to 59,999"),
    ("VALIDATION_SIZE", 60_000, "a whole number from 0 to 59,999"),
    ("VALIDATION_SIZE", 5000.0, "a whole number"),
    ("EPOCHS", 0, "a whole number from 1 to 10,000"),
    ("EPOCHS", "1", "a whole number from 1 to 10,000 (write numbers without quotes)"),
    ("EPOCHS", True, "a whole number"),
    ("BATCH_SIZE", 0, "a whole number from 1 to 60,000"),
    ("BATCH_SIZE", 100_000, "a whole number from 1 to 60,000"),
    ("LEARNING_RATE", -1, "a number above 0 and at most 1"),
    ("LEARNING_RATE", 0, "a number above 0 and at most 1"),
    ("LEARNING_RATE", float("nan"), "a number above 0"),
    ("LEARNING_RATE", "0.02", "a number above 0"),
    ("SEED", -1, "a whole number from 0 to 4,294,967,295"),
    ("SEED", 2**32, "a whole number from 0 to 4,294,967,295"),
    ("MIN_TEST_ACCURACY", 97, "a number from 0 to 1"),
    ("CPU_THREADS_PER_OP", -1, "a whole number from 0 up"),
    ("CPU_REPLICAS", 0, "a whole number from 1 to 64"),
    ("MODEL_PATH", "model.keras", "the path of an .h5 file"),
    ("MODEL_PATH", None, "the path of an .h5 file"),
    ("FIGURES_DIR", "", "the path of a folder"),
    ("DATA_DIR", 3, "None or a path"),
    ("OWN_IMAGES", ["a.png"], "None or a path"),
])
def test_a_bad_parameter_is_named_with_its_value_and_what_is_allowed(nb, defaults, name, value, allowed):
    with pytest.raises(nb["ParameterError"]) as caught:
        nb["check_parameters"](defaults | {name: value})
    message = str(caught.value)
    assert message.startswith(f"{name} = {value!r} ({type(value).__name__}) is not allowed: {name} must be "), message
    assert allowed in message, message
    assert isinstance(caught.value, ValueError)


def test_batch_size_must_leave_one_training_step(nb, defaults):
    with pytest.raises(nb["ParameterError"], match=r"BATCH_SIZE = 5000 .* at most 1,000: .* leaves 1,000"):
        nb["check_parameters"](defaults | {"BATCH_SIZE": 5000, "VALIDATION_SIZE": 59_000})
    nb["check_batch_size"](512, 8, 5000)  # 4,096 images a step, 55,000 to train on.
    with pytest.raises(nb["ParameterError"], match=r"BATCH_SIZE = 512 .* at most 125: .* each of 8 replica\(s\)"):
        nb["check_batch_size"](512, 8, 59_000)


def test_bad_parameters_stop_the_notebook_before_it_loads_data(tmp_path, monkeypatch):
    """Run the notebook's own cells: the check comes first (the missing MNIST folder would fail later)."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"EPOCHS = '1' \(str\) is not allowed"):
        run_until_evaluated(EPOCHS="1", DATA_DIR=str(tmp_path / "no such folder"))
    with pytest.raises(ValueError, match=r"DATA_DIR: .*no such folder does not exist; check DATA_DIR"):
        run_until_evaluated(DATA_DIR=str(tmp_path / "no such folder"))
    with pytest.raises(ValueError, match=r"MODEL_PATH: the folder .*no such folder does not exist"):
        run_until_evaluated(MODEL_PATH=str(tmp_path / "no such folder" / "model.h5"))
    with pytest.raises(ValueError, match=r"OWN_IMAGES: .*my digits does not exist; check OWN_IMAGES"):
        run_until_evaluated(OWN_IMAGES=str(tmp_path / "my digits"))
    assert list(tmp_path.iterdir()) == []  # Nothing was written.


def paths(tmp_path, **changes):
    """The arguments of check_paths for a run in tmp_path, with changes."""
    data = tmp_path / "mnist"
    data.mkdir(exist_ok=True)
    return {"model_path": tmp_path / "model.h5", "data_dir": data, "own_images": None,
            "figures_dir": tmp_path / "figures"} | changes


def test_good_paths_pass_and_leave_nothing_behind(nb, tmp_path):
    (tmp_path / "pictures").mkdir()
    nb["check_paths"](**paths(tmp_path, own_images=tmp_path / "pictures"))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mnist", "pictures"]


@pytest.mark.parametrize("change, words", [
    ({"model_path": "missing/model.h5"}, "MODEL_PATH: the folder {tmp}/missing does not exist"),
    ({"model_path": "a file/model.h5"}, "MODEL_PATH: the folder {tmp}/a file is a regular file, not a folder"),
    ({"model_path": "model folder.h5"}, "MODEL_PATH: {tmp}/model folder.h5 is a folder, where a model file"),
    ({"figures_dir": "missing/figures"}, "FIGURES_DIR: the folder {tmp}/missing does not exist"),
    ({"figures_dir": "a file"}, "FIGURES_DIR: {tmp}/a file is a regular file, not a folder"),
    ({"data_dir": "missing"}, "DATA_DIR: {tmp}/missing does not exist; check DATA_DIR"),
    ({"data_dir": "a file"}, "DATA_DIR: {tmp}/a file is a file; name the folder"),
    ({"own_images": "missing.png"}, "OWN_IMAGES: {tmp}/missing.png does not exist; check OWN_IMAGES"),
    ({"own_images": "pipe.png"}, "OWN_IMAGES: {tmp}/pipe.png is a named pipe (FIFO), not a file or a folder"),
])
def test_a_bad_path_is_named_before_training(nb, tmp_path, change, words):
    (tmp_path / "a file").write_text("not a folder\n")
    (tmp_path / "model folder.h5").mkdir()
    os.mkfifo(tmp_path / "pipe.png")
    arguments = paths(tmp_path, **{key: tmp_path / value for key, value in change.items()})
    with pytest.raises(nb["ParameterError"]) as caught:
        nb["check_paths"](**arguments)
    assert words.format(tmp=tmp_path) in str(caught.value), str(caught.value)


def test_check_paths_names_a_folder_it_cannot_read(nb, tmp_path, monkeypatch):
    """Permission denied, tested by refusing the listing (as root, chmod 000 would not stop it)."""
    (tmp_path / "pictures").mkdir()
    real_scandir = os.scandir

    def scandir(path="."):
        if str(path).endswith("pictures"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(nb["ParameterError"], match=r"OWN_IMAGES: .*pictures cannot be read \(permission denied\)"):
        nb["check_paths"](**paths(tmp_path, own_images=tmp_path / "pictures"))


def test_check_paths_names_a_folder_it_cannot_write_in(nb, tmp_path, monkeypatch):
    """Permission denied on the probe file (as root, a read-only mode would not stop it)."""

    def refused(*args, dir=None, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(dir))

    monkeypatch.setattr(nb["tempfile"], "TemporaryFile", refused)
    with pytest.raises(nb["ParameterError"], match=r"MODEL_PATH: no file can be written in the folder .* \(permission "
                                                   r"denied\); choose another MODEL_PATH"):
        nb["check_paths"](**paths(tmp_path))


@pytest.fixture
def model_stub():
    """What write_atomically needs: a function that writes a file."""
    return lambda path: open(path, "wb").write(b"model")


def test_write_atomically_into_a_missing_folder_names_the_folder(nb, tmp_path, model_stub):
    with pytest.raises(OSError) as caught:
        nb["write_atomically"](tmp_path / "missing" / "model.h5", model_stub)
    assert str(caught.value) == (f"Could not save model.h5 (the folder {tmp_path / 'missing'} does not exist); the"
                                 " previous file, if any, is unchanged.")
    assert not isinstance(caught.value, FileNotFoundError)  # Not the raw error naming a temporary file.


def test_write_atomically_in_a_folder_it_cannot_write_in_says_permission_denied(nb, tmp_path, model_stub, monkeypatch):
    def refused(*args, dir=None, prefix="", suffix="", **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", os.path.join(dir, f"{prefix}x1y2z3{suffix}"))

    monkeypatch.setattr(nb["tempfile"], "mkstemp", refused)
    with pytest.raises(OSError, match=r"^Could not save model\.h5 \(permission denied\); the previous file") as caught:
        nb["write_atomically"](tmp_path / "model.h5", model_stub)
    assert ".model-" not in str(caught.value)


def test_write_atomically_on_a_full_disk_says_so_and_never_names_the_temporary_file(nb, tmp_path):
    def full(temporary):
        with open(temporary, "wb") as file:
            file.write(b"half a model")
        raise OSError(errno.ENOSPC, "No space left on device", temporary)

    with pytest.raises(OSError, match=r"^Could not save model\.h5 \(the disk is full\)"):
        nb["write_atomically"](tmp_path / "model.h5", full)
    assert list(tmp_path.iterdir()) == []


def test_write_atomically_replaces_the_temporary_name_in_a_writers_message(nb, tmp_path):
    def failing(temporary):
        raise RuntimeError(f"Unable to create file (name = '{temporary}', reason unknown)")

    with pytest.raises(OSError) as caught:
        nb["write_atomically"](tmp_path / "model.h5", failing)
    assert "name = 'model.h5'" in str(caught.value) and ".model-" not in str(caught.value)


def test_write_atomically_onto_a_folder_says_it_is_a_folder(nb, tmp_path, model_stub):
    (tmp_path / "model.h5").mkdir()
    with pytest.raises(OSError, match=r"^Could not save model\.h5 \(model\.h5 is a folder, not a regular file\)"):
        nb["write_atomically"](tmp_path / "model.h5", model_stub)
    assert [path.name for path in tmp_path.iterdir()] == ["model.h5"]

