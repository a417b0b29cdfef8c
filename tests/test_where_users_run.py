"""The notebook where its users run it: Colab with the notebook alone, a terminal, no network.

The runs go through tools/run.py, the command of `make run`, in a folder that holds the notebook
alone. Colab is emulated by a stand-in `google.colab` package on the kernel's path, and by Keras's
own cache holding what Colab's internet would serve (MNIST and the repository's sample pictures).
A proxy that refuses every connection stands for a machine without network.
"""

import ast
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import textwrap

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from notebook import NOTEBOOK, ROOT, cell_text, code_cell, stderr_outputs

SAMPLES = sorted(path.name for path in (ROOT / "samples").iterdir())
MODEL_FILES = [
    "mnist_digit_recognition.h5",
    "mnist_digit_recognition.keras",
    "mnist_digit_recognition.tflite",
    "mnist_digit_recognition_quantized.tflite",
    "mnist_convnet.keras",
]
NO_NETWORK = "http://127.0.0.1:9"  # The discard port: nothing listens, every connection is refused.

STANDIN = {  # The stand-in google.colab: it records what the notebook asks of Colab.
    "__init__.py": '''
        """A stand-in for Colab's google.colab, and for the copy of MNIST its internet serves."""
        import keras.src.utils.file_utils as file_utils

        checked = file_utils.validate_file


        def validate_file(path, *args, **kwargs):
            # The cached mnist.npz, made from the four original files, holds the published
            # arrays but not the published file's bytes: its checksum differs.
            return str(path).endswith("mnist.npz") or checked(path, *args, **kwargs)


        file_utils.validate_file = validate_file
        ''',
    "files.py": """
        import os


        def download(filename):
            with open(os.environ["COLAB_STANDIN_LOG"], "a") as log:
                print("download", filename, file=log)


        def upload():
            raise AssertionError("Run all must never wait for an upload")
        """,
    "output.py": """
        import os
        import types

        _widgets = types.SimpleNamespace(_installed_url=None)  # What anywidget reads in Colab.


        def enable_custom_widget_manager():
            with open(os.environ["COLAB_STANDIN_LOG"], "a") as log:
                print("enable_custom_widget_manager", file=log)
        """,
}


def tools_module(name):
    """A module of tools/, imported from its file."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def alone(folder):
    """A folder that holds the notebook and nothing else, as Colab opens it from the badge."""
    folder.mkdir()
    shutil.copy(NOTEBOOK, folder / NOTEBOOK.name)
    return folder


def run_as_make_run(folder, executed, env, *arguments):
    """tools/run.py, as `make run` calls it, in folder; its terminal output, in order."""
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "run.py"), NOTEBOOK.name, str(executed), *arguments],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def offline_env(tmp_path):
    """The environment of a machine without network, without MNIST_DATA_DIR, with an empty cache."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"MNIST_DATA_DIR", "no_proxy", "NO_PROXY"}
    }
    keras_home = tmp_path / "keras"
    (keras_home / "datasets").mkdir(parents=True)
    proxies = dict.fromkeys(["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"], NO_NETWORK)
    return env | proxies | {"KERAS_HOME": str(keras_home)}


@pytest.fixture(scope="module")
def colab_run(tmp_path_factory, nb, mnist_dir):
    """The notebook alone in an empty folder, run to the end at EPOCHS=1 as Colab would run it."""
    tmp_path = tmp_path_factory.mktemp("colab")
    env = offline_env(tmp_path)
    package = tmp_path / "path" / "google" / "colab"  # google/ stays a namespace package.
    package.mkdir(parents=True)
    for name, text in STANDIN.items():
        (package / name).write_text(textwrap.dedent(text).lstrip())
    paths = [str(tmp_path / "path"), env.get("PYTHONPATH")]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    env["COLAB_STANDIN_LOG"] = str(tmp_path / "colab.log")
    # What Colab's internet serves, already in Keras's cache: get_file downloads none of it.
    cache = tmp_path / "keras" / "datasets"
    (x_train, y_train), (x_test, y_test) = nb.load_mnist_files(mnist_dir)
    np.savez(cache / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    for name in SAMPLES:
        shutil.copy(ROOT / "samples" / name, cache / name)
    folder = alone(tmp_path / "content")
    executed = tmp_path / "executed.ipynb"
    result = run_as_make_run(folder, executed, env, "-p", "EPOCHS", "1", "-p", "CONVNET_EPOCHS", "1")
    assert result.returncode == 0, result.stdout[-3000:]
    offered = (tmp_path / "colab.log").read_text().splitlines()
    return folder, nbformat.read(executed, as_version=4), result.stdout, offered


@pytest.mark.notebook
def test_colab_with_the_notebook_alone_runs_to_the_end_without_stderr(colab_run):
    folder, notebook, _, _ = colab_run
    last = [cell for cell in notebook.cells if cell.cell_type == "code"][-1]
    assert last.execution_count is not None
    assert stderr_outputs(notebook) == []
    assert sorted(path.name for path in folder.iterdir()) == sorted(MODEL_FILES + [NOTEBOOK.name])


@pytest.mark.notebook
def test_colab_offers_the_h5_once_and_shows_the_pad(colab_run):
    offered = colab_run[3]
    downloads = [line for line in offered if line.startswith("download")]
    assert downloads == [f"download {MODEL_FILES[0]}"]
    assert "enable_custom_widget_manager" in offered


@pytest.mark.notebook
def test_colab_with_the_notebook_alone_reads_the_repository_samples(colab_run):
    notebook = colab_run[1]
    assert cell_text(notebook, "UPLOAD = False") == (
        f"Reading the {len(SAMPLES)} sample photos of the project's repository\n"
    )
    table = cell_text(notebook, "recognize_files(reader, own_paths")
    assert [name for name in SAMPLES if name not in table] == []
    for hard in ("squared-paper", "chalk", "shadow", "1984", "hard"):
        assert hard in table


@pytest.mark.notebook
def test_make_run_shows_progress_and_ends_with_a_summary(colab_run):
    output = colab_run[2]
    assert "Executing:" in output  # papermill's progress bar.
    assert "without encryption" not in output and "Traceback" not in output
    lines = output.rstrip().splitlines()
    summary = lines[lines.index("Files written:") - 1 :]
    assert summary[0].startswith("Test accuracy: 0.")
    assert summary[0] == cell_text(colab_run[1], "model.evaluate(").strip()
    assert summary[2:-1] == [f"  {name}" for name in sorted(MODEL_FILES)]
    assert summary[-1].startswith("The executed notebook, with every output: ")


def test_the_summary_names_predictions_csv_when_the_run_wrote_it(tmp_path):
    run = tools_module("run")
    (tmp_path / "photo.png").write_bytes(b"")
    os.utime(tmp_path / "photo.png", (0, 0))  # There before the run.
    (tmp_path / "predictions.csv").write_text("file,predicted\n")
    written = run.written_since(1000, [tmp_path, tmp_path])
    assert written == [tmp_path / "predictions.csv"]
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                outputs=[nbformat.v4.new_output("stream", text="Test accuracy: 0.9800\n")]
            )
        ]
    )
    lines = run.summary(notebook, written, "build/run.ipynb")
    assert lines[:3] == ["Test accuracy: 0.9800", "Files written:", f"  {written[0]}"]


@pytest.mark.notebook
def test_offline_without_a_local_copy_one_short_error_comes_last(tmp_path):
    executed = tmp_path / "executed.ipynb"
    result = run_as_make_run(alone(tmp_path / "run"), executed, offline_env(tmp_path))
    assert result.returncode == 1
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("MnistDataError: MNIST could not be downloaded"), result.stdout[-2000:]
    for needed in ("DATA_DIR", "MNIST_DATA_DIR", "https://ossci-datasets.s3.amazonaws.com/mnist/"):
        assert needed in last
    assert len(last) < 300 and "Traceback" not in result.stdout
    notebook = nbformat.read(executed, as_version=4)
    fit = next(cell for cell in notebook.cells if "model.fit(" in cell.source)
    assert fit.execution_count is None  # Stopped before any training.


def test_offline_the_samples_section_notes_it_and_renders_its_own(tmp_path, nb, monkeypatch):
    """The samples cell alone, with no samples/ and no network: one note, and Run all goes on."""
    monkeypatch.chdir(tmp_path)
    for name in ("http_proxy", "https_proxy"):
        monkeypatch.setenv(name, NO_NETWORK)
    monkeypatch.setattr(nb.keras.src.backend.config, "_KERAS_DIR", str(tmp_path))
    namespace = dict(vars(nb))
    rng = np.random.default_rng(0)
    namespace |= {"test_images": rng.integers(0, 256, (50, 28, 28), np.uint8), "y_test": rng.integers(0, 10, 50)}
    output = io.StringIO()
    with monkeypatch.context() as patch:
        patch.setattr(sys, "stdout", output)
        exec(code_cell("UPLOAD = False").source, namespace)
    lines = output.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("Could not fetch the sample photos from GitHub (")
    assert lines[1] == "Reading 6 MNIST test digits as pictures of dark ink on white paper"
    assert len(namespace["own_paths"]) == 6 and os.listdir(tmp_path) == ["datasets"]


def test_the_samples_listed_in_the_notebook_are_the_repository_samples():
    (assignment,) = [
        node
        for node in ast.parse(code_cell("UPLOAD = False").source).body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "SAMPLES"
    ]
    namespace = {}
    exec(compile(ast.Module([assignment], []), "samples", "exec"), namespace)
    assert namespace["SAMPLES"] == SAMPLES


def install_cell_outputs(env):
    """The install cell run twice in a kernel where anywidget seems missing: with pip able to
    install it (it is there already, so no network is needed), and with pip failing."""
    fake = (
        "import importlib.util\nfound = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *rest: None if name == 'anywidget'"
        " else found(name, *rest)"
    )
    install = code_cell("#@title Install what this runtime lacks").source
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(fake),
            nbformat.v4.new_code_cell(install),
            nbformat.v4.new_code_cell(f"import os\nos.environ['PIP_CONSTRAINT'] = {env['BAD']!r}"),
            nbformat.v4.new_code_cell(install),
        ]
    )
    NotebookClient(notebook, kernel_name="python3", allow_errors=True, timeout=300).execute(env=env)
    return [cell.outputs for cell in notebook.cells]


def test_the_install_cell_installs_without_a_restart_note_and_says_when_pip_fails(tmp_path):
    bad = tmp_path / "constraints.txt"
    bad.write_text("anywidget==0.0.1\n")  # No such version: pip must fail.
    env = dict(os.environ, PIP_NO_INDEX="1", BAD=str(bad))
    outputs = install_cell_outputs(env)
    assert outputs[1] == [], outputs[1]  # No "Note: you may need to restart the kernel".
    (error,) = outputs[3]
    assert error.output_type == "error" and error.ename == "RuntimeError"
    assert error.evalue.startswith("pip could not install anywidget:"), error.evalue


def test_the_notebook_asks_colab_for_no_gpu():
    normalize = tools_module("nbnormalize").normalize
    notebook = nbformat.v4.new_notebook(metadata={"accelerator": "GPU", "colab": {"gpuType": "T4"}})
    metadata = normalize(notebook, "x.ipynb").metadata
    assert "accelerator" not in metadata and "gpuType" not in metadata.colab
    stored = nbformat.read(NOTEBOOK, as_version=4).metadata
    assert "accelerator" not in stored and "gpuType" not in stored.colab


def test_the_drawing_pad_says_what_it_is_in_a_static_view(nb, untrained_model):
    """GitHub and nbviewer show the text/html; Jupyter and Colab, running widgets, the live pad."""
    data, _ = nb.DrawingPad(untrained_model)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "object at 0x" not in data["text/html"] and "pad" in data["text/html"]
