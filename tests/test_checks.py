"""Failing fast and saying why: the parameter and path checks, and saving files atomically."""

import errno
import os
import socket
from pathlib import Path

import pytest
from notebook import run_notebook, run_until_evaluated

PARAMETERS = ["EPOCHS", "BATCH_SIZE", "LEARNING_RATE", "SEED", "VALIDATION_SIZE", "MODEL_PATH", "DATA_DIR",
              "OWN_IMAGES", "CONVNET_EPOCHS"]


@pytest.fixture
def defaults(nb):
    """The parameters cell's values."""
    return {name: getattr(nb, name) for name in PARAMETERS}


def test_the_default_parameters_pass(nb, defaults):
    nb.check_parameters(defaults)


@pytest.mark.parametrize("name, value", [("VALIDATION_SIZE", 0), ("LEARNING_RATE", 1), ("LEARNING_RATE", 1e-4),
                                         ("OWN_IMAGES", "my digits"), ("SEED", 2**32 - 1),
                                         ("BATCH_SIZE", 60_000 - 5000), ("EPOCHS", 1),
                                         ("DATA_DIR", None), ("MODEL_PATH", "Model.H5")])
def test_values_at_the_edges_pass(nb, defaults, name, value, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # check_parameters checks the paths too: "my digits" must exist.
    (tmp_path / "my digits").mkdir()
    nb.check_parameters(defaults | {name: value})


@pytest.mark.parametrize("name, value, allowed", [
    ("VALIDATION_SIZE", -1, "a whole number from 0 to 59,999"),
    ("VALIDATION_SIZE", 60_000, "a whole number from 0 to 59,999"),
    ("VALIDATION_SIZE", 5000.0, "a whole number"),
    ("EPOCHS", 0, "a whole number from 1 to 10,000"),
    ("EPOCHS", 10_001, "a whole number from 1 to 10,000"),
    ("EPOCHS", "1", "a whole number from 1 to 10,000, such as 10 (write numbers without quotes)"),
    ("EPOCHS", True, "a whole number"),
    ("BATCH_SIZE", 0, "a whole number from 1 to 60,000"),
    ("BATCH_SIZE", 100_000, "a whole number from 1 to 60,000"),
    ("LEARNING_RATE", -1, "a number above 0 and at most 1"),
    ("LEARNING_RATE", 0, "a number above 0 and at most 1"),
    ("LEARNING_RATE", 1.5, "a number above 0 and at most 1"),
    ("LEARNING_RATE", float("nan"), "a number above 0"),
    ("LEARNING_RATE", float("inf"), "a number above 0"),
    ("LEARNING_RATE", "0.02", "a number above 0"),
    ("SEED", -1, "a whole number from 0 to 4,294,967,295"),
    ("SEED", 2**32, "a whole number from 0 to 4,294,967,295"),
    ("MODEL_PATH", "model.keras", "the path of an .h5 file"),
    ("MODEL_PATH", None, "the path of an .h5 file"),
    ("MODEL_PATH", "", "the path of an .h5 file"),
    ("DATA_DIR", 3, "a path in quotes, such as 'my_digits'."),
    ("OWN_IMAGES", ["a.png"], "a path in quotes, such as 'my_digits'."),
])
def test_a_bad_parameter_is_named_with_its_value_and_what_is_allowed(nb, defaults, name, value, allowed):
    with pytest.raises(nb.ParameterError) as caught:
        nb.check_parameters(defaults | {name: value})
    message = str(caught.value)
    assert message.startswith(f"{name} = {value!r} ({type(value).__name__}) is not allowed: {name} must be "), message
    assert allowed in message, message
    assert isinstance(caught.value, ValueError)


def test_batch_size_must_leave_one_training_step(nb, defaults):
    with pytest.raises(nb.ParameterError, match=r"BATCH_SIZE = 5000 .* at most the 1,000 training images"):
        nb.check_parameters(defaults | {"BATCH_SIZE": 5000, "VALIDATION_SIZE": 59_000})
    nb.check_parameters(defaults | {"BATCH_SIZE": 1000, "VALIDATION_SIZE": 59_000})  # The edge itself passes.


def test_bad_parameters_stop_the_notebook_before_it_loads_data(tmp_path, monkeypatch):
    """Run the notebook's own cells: the check comes first (the missing MNIST folder would fail later)."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"EPOCHS = '1' \(str\) is not allowed"):
        run_until_evaluated(EPOCHS="1", DATA_DIR=str(tmp_path / "no such folder"))
    with pytest.raises(ValueError, match=r"DATA_DIR: .*no such folder' does not exist; check"):
        run_until_evaluated(DATA_DIR=str(tmp_path / "no such folder"))
    with pytest.raises(ValueError, match=r"MODEL_PATH: .*no such folder' does not exist"):
        run_until_evaluated(MODEL_PATH=str(tmp_path / "no such folder" / "model.h5"))
    with pytest.raises(ValueError, match=r"OWN_IMAGES: .*my digits' does not exist; check"):
        run_until_evaluated(OWN_IMAGES=str(tmp_path / "my digits"))
    assert list(tmp_path.iterdir()) == []  # Nothing was written.


def parameters_in(tmp_path, defaults, **changes):
    """The parameters for a run in tmp_path (an MNIST folder there), with changes made to paths in tmp_path."""
    (tmp_path / "mnist").mkdir(exist_ok=True)
    paths = {"MODEL_PATH": tmp_path / "model.h5", "DATA_DIR": tmp_path / "mnist"}
    return defaults | paths | {name: tmp_path / value for name, value in changes.items()}


def test_good_paths_pass_and_leave_nothing_behind(nb, defaults, tmp_path):
    (tmp_path / "pictures").mkdir()
    (tmp_path / "one.png").write_bytes(b"")
    for own_images in ("pictures", "one.png"):
        nb.check_parameters(parameters_in(tmp_path, defaults, OWN_IMAGES=own_images))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mnist", "one.png", "pictures"]


@pytest.mark.parametrize("change, words", [
    ({"MODEL_PATH": "missing/model.h5"}, "MODEL_PATH: '{tmp}/missing' does not exist"),
    ({"MODEL_PATH": "a file/model.h5"}, "MODEL_PATH: '{tmp}/a file' is a regular file, not a"),
    ({"MODEL_PATH": "model folder.h5"}, "MODEL_PATH: '{tmp}/model folder.h5' is a folder, where"),
    ({"MODEL_PATH": "pipe.h5"}, "MODEL_PATH: '{tmp}/pipe.keras' is a named pipe (FIFO), where"),
    ({"DATA_DIR": "missing"}, "DATA_DIR: '{tmp}/missing' does not exist; check DATA_DIR"),
    ({"DATA_DIR": "a file"}, "DATA_DIR: '{tmp}/a file' is a regular file, not a folder"),
    ({"OWN_IMAGES": "missing.png"}, "OWN_IMAGES: '{tmp}/missing.png' does not exist; check"),
    ({"OWN_IMAGES": "pipe.png"}, "OWN_IMAGES: '{tmp}/pipe.png' is a named pipe (FIFO), not a regular file or a folder"),
    ({"OWN_IMAGES": "socket.png"}, "OWN_IMAGES: '{tmp}/socket.png' is a special file, not a regular file or a folder"),
])  # Paths are quoted (issue 29): a space at either end shows.
def test_a_bad_path_is_named_before_training(nb, defaults, tmp_path, change, words):
    (tmp_path / "a file").write_text("not a folder\n")
    (tmp_path / "model folder.h5").mkdir()
    os.mkfifo(tmp_path / "pipe.png")
    os.mkfifo(tmp_path / "pipe.keras")
    with socket.socket(socket.AF_UNIX) as server:  # A kind with no name of its own.
        server.bind(str(tmp_path / "socket.png"))
    with pytest.raises(nb.ParameterError) as caught:
        nb.check_parameters(parameters_in(tmp_path, defaults, **change))
    assert words.format(tmp=tmp_path) in str(caught.value), str(caught.value)


def test_without_data_dir_the_check_reads_mnist_data_dir(nb, defaults, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "missing"))
    words = r"MNIST_DATA_DIR: .*missing' does not exist; check MNIST_DATA_DIR"
    with pytest.raises(nb.ParameterError, match=words):
        nb.check_parameters(defaults | {"DATA_DIR": ""})


def test_a_folder_that_cannot_be_read_is_named(nb, defaults, tmp_path, monkeypatch):
    """Permission denied, tested by refusing the listing (as root, chmod 000 would not stop it)."""
    (tmp_path / "pictures").mkdir()
    real_scandir = os.scandir

    def scandir(path="."):
        if str(path).endswith("pictures"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    words = r"OWN_IMAGES: .*pictures': it cannot be read \(permission denied\)"
    with pytest.raises(nb.ParameterError, match=words):
        nb.check_parameters(parameters_in(tmp_path, defaults, OWN_IMAGES="pictures"))


def test_a_folder_that_cannot_be_written_in_is_named(nb, defaults, tmp_path, monkeypatch):
    """Permission denied on the probe file (as root, a read-only mode would not stop it)."""

    def refused(*args, dir=None, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(dir))

    monkeypatch.setattr(nb.tempfile, "TemporaryFile", refused)
    with pytest.raises(nb.ParameterError, match=r"MODEL_PATH: .*: no file can be written in it \(permission "
                                                   r"denied\); check MODEL_PATH"):
        nb.check_parameters(parameters_in(tmp_path, defaults))


@pytest.fixture
def model_stub():
    """What write_atomically needs: a function that writes a file."""
    return lambda path: open(path, "wb").write(b"model")


def test_write_atomically_writes_and_leaves_only_the_file(nb, tmp_path, model_stub):
    assert nb.write_atomically(tmp_path / "model.h5", model_stub) == tmp_path / "model.h5"
    assert [path.name for path in tmp_path.iterdir()] == ["model.h5"]
    assert (tmp_path / "model.h5").read_bytes() == b"model"


def test_write_atomically_gives_the_writer_a_text_path_beside_the_file(nb, tmp_path, model_stub):
    """Keras 3.13's LiteRT export (Colab's) calls filepath.endswith: a pathlib.Path would fail there."""
    given = []
    nb.write_atomically(tmp_path / "model.tflite", lambda path: given.append(path) or model_stub(path))
    assert isinstance(given[0], str) and Path(given[0]).parent == tmp_path and given[0].endswith(".tflite")


def test_write_atomically_into_a_missing_folder_says_so(nb, tmp_path, model_stub):
    with pytest.raises(OSError) as caught:
        nb.write_atomically(tmp_path / "missing" / "model.h5", model_stub)
    assert str(caught.value) == ("Could not save model.h5 (no such file or directory); the previous file, if any,"
                                 " is unchanged.")
    assert not isinstance(caught.value, FileNotFoundError)  # Not the raw error naming a temporary file.


def test_write_atomically_in_a_folder_it_cannot_write_in_says_permission_denied(nb, tmp_path):
    def refused(temporary):  # What open() raises in a folder the user may not write in (root may: emulated).
        raise PermissionError(errno.EACCES, "Permission denied", str(temporary))

    with pytest.raises(OSError, match=r"^Could not save model\.h5 \(permission denied\); the previous file") as caught:
        nb.write_atomically(tmp_path / "model.h5", refused)
    assert ".model-" not in str(caught.value)


def test_write_atomically_on_a_full_disk_says_so_and_leaves_nothing(nb, tmp_path):
    (tmp_path / "model.h5").write_bytes(b"the previous model")

    def full(temporary):
        with open(temporary, "wb") as file:
            file.write(b"half a model")
        raise OSError(errno.ENOSPC, "No space left on device", temporary)

    with pytest.raises(OSError, match=r"^Could not save model\.h5 \(no space left on device\)"):
        nb.write_atomically(tmp_path / "model.h5", full)
    assert [path.name for path in tmp_path.iterdir()] == ["model.h5"]
    assert (tmp_path / "model.h5").read_bytes() == b"the previous model"


def test_write_atomically_replaces_the_temporary_name_in_a_writers_message(nb, tmp_path):
    def failing(temporary):
        raise RuntimeError(f"Unable to create file (name = '{temporary}', reason unknown)")

    with pytest.raises(OSError) as caught:
        nb.write_atomically(tmp_path / "model.h5", failing)
    assert "name = 'model.h5'" in str(caught.value) and ".model-" not in str(caught.value)


def test_write_atomically_onto_a_folder_says_it_is_a_folder(nb, tmp_path, model_stub):
    (tmp_path / "model.h5").mkdir()
    with pytest.raises(OSError, match=r"^Could not save model\.h5 \(is a directory\)"):
        nb.write_atomically(tmp_path / "model.h5", model_stub)
    assert [path.name for path in tmp_path.iterdir()] == ["model.h5"]


def test_an_interrupted_save_leaves_no_partial_file_and_stops(nb, tmp_path):
    def interrupted(temporary):
        open(temporary, "wb").write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        nb.write_atomically(tmp_path / "model.h5", interrupted)
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_file_is_not_replaced(nb, tmp_path, model_stub):
    """A file its owner made read-only stays as it is (root could write it: the check reads the mode)."""
    path = tmp_path / "model.h5"
    path.write_bytes(b"the kept model")
    path.chmod(0o444)
    with pytest.raises(OSError, match=r"^Could not save model\.h5 \(the file is read-only; make it writable"):
        nb.write_atomically(path, model_stub)
    assert path.read_bytes() == b"the kept model" and (path.stat().st_mode & 0o777) == 0o444
    assert [p.name for p in tmp_path.iterdir()] == ["model.h5"]


def test_predictions_csv_that_is_a_folder_is_named_before_training(nb, defaults, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pictures").mkdir()
    (tmp_path / "predictions.csv").mkdir()
    words = r"OWN_IMAGES: 'predictions\.csv' is a folder, where a file is to be saved"
    with pytest.raises(nb.ParameterError, match=words):
        nb.check_parameters(defaults | {"OWN_IMAGES": "pictures"})


@pytest.mark.notebook
def test_a_misspelt_parameter_given_to_papermill_is_refused_with_the_nearest_name(mnist_dir, tmp_path):
    import papermill

    with pytest.raises(papermill.PapermillExecutionError, match="EPOCS is not a parameter of this notebook: did you "
                                                                "mean EPOCHS?"):
        run_notebook(tmp_path, EPOCS=3)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mnist_digit_recognition.ipynb"]  # Nothing else.


# Nothing breaks, round 3 (issue 29), and a read-only model file (issue 30): refused up front.


def test_every_bad_parameter_is_named_in_one_message(nb, defaults):
    with pytest.raises(nb.ParameterError) as caught:
        nb.check_parameters(
            defaults | {"EPOCHS": 0, "BATCH_SIZE": "512", "MODEL_PATH": "model.keras"}
        )
    lines = str(caught.value).splitlines()
    assert [line.split(" = ")[0] for line in lines] == ["EPOCHS", "BATCH_SIZE", "MODEL_PATH"], lines
    assert lines[1].startswith("BATCH_SIZE = '512' (str) is not allowed"), lines


def test_a_path_is_quoted_as_typed_and_a_space_at_its_ends_is_pointed_out(
    nb, defaults, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my digits").mkdir()
    with pytest.raises(nb.ParameterError) as caught:
        nb.check_parameters(defaults | {"OWN_IMAGES": " my digits"})
    assert str(caught.value) == (
        "OWN_IMAGES: ' my digits' (mind the space at its start or end) does not exist;"
        " check OWN_IMAGES."
    )


def test_a_model_path_in_any_case_saves_lower_case_files(nb):
    assert [path.name for path in nb.model_files("Model.H5")] == [
        "Model.h5",
        "Model.keras",
        "Model.tflite",
        "Model_quantized.tflite",
    ]


@pytest.mark.parametrize("linked", ["model.h5", "model.keras"])
def test_a_model_path_that_is_a_symbolic_link_is_refused_naming_its_target(
    nb, defaults, tmp_path, linked
):
    (tmp_path / "drive").mkdir()
    (tmp_path / "drive" / linked).write_bytes(b"the old model")
    (tmp_path / linked).symlink_to(tmp_path / "drive" / linked)
    with pytest.raises(nb.ParameterError) as caught:
        nb.check_parameters(parameters_in(tmp_path, defaults))
    assert str(caught.value) == (
        f"MODEL_PATH: '{tmp_path / linked}' is a symbolic link to"
        f" '{tmp_path / 'drive' / linked}': set MODEL_PATH there."
    )


@pytest.mark.parametrize(
    "name", ["model.h5", "model.keras", "model.tflite", "model_quantized.tflite"]
)
def test_a_read_only_model_file_is_refused_before_training_naming_it(nb, defaults, tmp_path, name):
    (tmp_path / name).write_bytes(b"a kept model")
    (tmp_path / name).chmod(0o444)
    with pytest.raises(nb.ParameterError) as caught:
        nb.check_parameters(parameters_in(tmp_path, defaults))
    assert str(caught.value) == (
        f"MODEL_PATH: '{tmp_path / name}' is read-only; make it writable or choose"
        " another MODEL_PATH."
    )


def test_a_working_folder_that_cannot_take_predictions_csv_is_refused_before_training(
    nb, defaults, tmp_path, monkeypatch
):
    """A read-only working folder (emulated: as root, a read-only mode would not stop the probe)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pictures").mkdir()
    (tmp_path / "models").mkdir()
    real = nb.tempfile.TemporaryFile

    def refused(*args, dir=None, **kwargs):
        if Path(dir).resolve() == tmp_path:
            raise OSError(errno.EROFS, "Read-only file system", str(dir))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(nb.tempfile, "TemporaryFile", refused)
    parameters = defaults | {"MODEL_PATH": "models/model.h5"}
    nb.check_parameters(parameters)  # Without OWN_IMAGES, nothing is written there.
    with pytest.raises(
        nb.ParameterError,
        match=r"^OWN_IMAGES: predictions\.csv cannot be written in the working folder '.*'; run"
        r" the notebook in a folder you can write in\.$",
    ):
        nb.check_parameters(parameters | {"OWN_IMAGES": "pictures"})
    (tmp_path / "one.png").write_bytes(b"")
    nb.check_parameters(
        parameters | {"OWN_IMAGES": "one.png"}
    )  # A single picture writes no CSV.


def test_a_read_only_predictions_csv_is_refused_before_training(
    nb, defaults, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pictures").mkdir()
    (tmp_path / "predictions.csv").write_text("file\r\n")
    (tmp_path / "predictions.csv").chmod(0o444)
    with pytest.raises(
        nb.ParameterError,
        match=r"^OWN_IMAGES: 'predictions\.csv' is read-only; make it writable or move it\.$",
    ):
        nb.check_parameters(parameters_in(tmp_path, defaults) | {"OWN_IMAGES": "pictures"})


@pytest.mark.parametrize(
    "changes, unit", [({"EPOCHS": 10_000}, "hours"), ({"BATCH_SIZE": 1}, "minutes")]
)
def test_a_long_run_says_how_long_before_training(nb, defaults, changes, unit, capsys):
    """EPOCHS = 10000: over an hour; BATCH_SIZE = 1: 550,000 steps, more than a few minutes."""
    nb.check_parameters(defaults)
    assert capsys.readouterr().out == ""
    nb.check_parameters(defaults | changes)
    out = capsys.readouterr().out
    took = float(out.split("expect about ")[1].split(f" {unit}")[0].replace(",", ""))
    parameters = defaults | changes
    assert out.startswith(
        f"Note: EPOCHS = {parameters['EPOCHS']} and BATCH_SIZE = {parameters['BATCH_SIZE']} make"
    )
    assert took > 1 if unit == "hours" else took > 10


def test_write_atomically_writes_through_a_symbolic_link(nb, tmp_path, model_stub):
    """The link stays a link; its target gets the new file (renamed beside it); nothing is left."""
    (tmp_path / "drive").mkdir()
    (tmp_path / "drive" / "model.h5").write_bytes(b"the old model")
    (tmp_path / "model.h5").symlink_to(tmp_path / "drive" / "model.h5")
    nb.write_atomically(tmp_path / "model.h5", model_stub)
    assert (tmp_path / "model.h5").is_symlink() and (
        tmp_path / "drive" / "model.h5"
    ).read_bytes() == b"model"
    assert sorted(path.name for path in tmp_path.rglob("*")) == ["drive", "model.h5", "model.h5"]


def test_write_atomically_patches_no_global(nb, tmp_path):
    """Issue 27: product code must not patch the process-wide tempfile.tempdir (it did)."""
    before, seen = nb.tempfile.tempdir, []
    nb.write_atomically(
        tmp_path / "model.h5",
        lambda path: seen.append(nb.tempfile.tempdir) or open(path, "wb").close(),
    )
    assert seen == [before]
