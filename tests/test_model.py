"""The model's exact architecture, and saving it: round trips, portability, and failed saves."""

import os
import stat

import numpy as np
import pytest


@pytest.fixture(scope="module")
def model(nb):
    """The notebook's architecture with trained weights and an optimizer state (one short fit on noise)."""
    keras = nb.keras
    keras.utils.set_random_seed(0)
    model = keras.models.clone_model(nb.model)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    model.fit(rng.random((64, 28, 28), np.float32), rng.integers(0, 10, 64), epochs=1, verbose=0)
    return model


def layer_summary(model):
    return [(type(layer).__name__, layer.output.shape[1:], getattr(layer, "rate", None),
             getattr(getattr(layer, "activation", None), "__name__", None)) for layer in model.layers]


def test_architecture_is_the_classic_four_layers(nb):
    model = nb.model
    assert layer_summary(model) == [
        ("Flatten", (784,), None, None),
        ("Dense", (128,), None, "relu"),
        ("Dropout", (128,), 0.2, None),
        ("Dense", (10,), None, "softmax"),
    ]
    assert model.input_shape == (None, 28, 28)
    assert model.count_params() == 101_770


def predictions(model, images):
    return model.predict(images, batch_size=1000, verbose=0)


def test_keras_file_round_trip_predicts_identically(nb, model, tmp_path):
    path = nb.write_atomically(tmp_path / "model.keras", model.save)
    reloaded = nb.keras.models.load_model(path)
    images = np.random.default_rng(1).random((100, 28, 28), np.float32)
    assert np.array_equal(predictions(reloaded, images), predictions(model, images))
    assert layer_summary(reloaded) == layer_summary(model)
    assert reloaded.optimizer.iterations.numpy() == model.optimizer.iterations.numpy()  # The optimizer's state too.
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # No temporary file left behind.


def test_h5_round_trip_predicts_identically(nb, model, tmp_path):
    path = nb.save_h5(model, tmp_path / "model.h5")
    reloaded = nb.keras.models.load_model(path, compile=False)
    images = np.random.default_rng(1).random((100, 28, 28), np.float32)
    assert np.array_equal(predictions(reloaded, images), predictions(model, images))
    assert [p.name for p in tmp_path.iterdir()] == ["model.h5"]
    with nb.h5py.File(path, "r") as file:  # For inference: no optimizer state, no training config.
        assert list(file) == ["model_weights"] and "training_config" not in file.attrs


def test_h5_loads_in_tf_keras_2_with_identical_predictions(nb, model, tmp_path):
    tf_keras = pytest.importorskip("tf_keras")
    path = nb.save_h5(model, tmp_path / "model.h5")
    legacy = tf_keras.models.load_model(path, compile=False)
    assert [type(layer).__name__ for layer in legacy.layers] == ["Flatten", "Dense", "Dropout", "Dense"]
    images = np.random.default_rng(2).random((100, 28, 28), np.float32)
    assert np.array_equal(legacy(images, training=False).numpy(), model(images, training=False).numpy())


def test_keras2_config_rewrites_only_what_tf_keras_2_names_differently(nb):
    policy = {"class_name": "DTypePolicy", "config": {"name": "float32"}}
    config = {"class_name": "InputLayer", "config": {"batch_shape": [None, 28, 28], "optional": False,
                                                      "dtype": policy, "name": "input_layer"}}
    rewritten = nb.json.loads(nb.json.dumps([config]), object_hook=nb.keras2_config)
    assert rewritten == [{"class_name": "InputLayer", "config": {
        "batch_input_shape": [None, 28, 28], "dtype": "float32", "name": "input_layer"}}]


def test_a_failing_save_keeps_the_previous_file(nb, model, tmp_path, monkeypatch):
    path = nb.save_h5(model, tmp_path / "model.h5")
    before = path.read_bytes()

    def broken_save(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as file:
            file.write(b"half a model")
        raise OSError("No space left on device")

    monkeypatch.setattr(type(model), "save", broken_save)
    with pytest.raises(OSError, match=r"Could not save model\.h5 \(No space left on device\); the previous file"):
        nb.save_h5(model, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.h5"]


def test_saved_files_get_the_usual_permissions(nb, model, tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    path = nb.write_atomically(tmp_path / "model.keras", model.save)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_litert_exports_predict_like_keras_for_any_batch_size(nb, model, tmp_path):
    tf = nb.tf
    images = np.random.default_rng(3).random((25, 28, 28), np.float32)
    expected = predictions(model, images)
    float_path = tmp_path / "model.tflite"
    quantized_path = tmp_path / "model_quantized.tflite"
    with nb.silenced():
        model.export(str(float_path), format="litert", verbose=False)
        model.export(str(quantized_path), format="litert", verbose=False, optimizations=[tf.lite.Optimize.DEFAULT])
    assert quantized_path.stat().st_size < float_path.stat().st_size / 3  # int8 weights instead of float32.
    for count in (1, 0, 25):  # One picture, as an app would, none, and several.
        probabilities = nb.litert_predict(float_path, images[:count])
        assert probabilities.shape == (count, 10)
        assert np.allclose(probabilities, expected[:count], atol=1e-5)
    quantized = nb.litert_predict(quantized_path, images)
    assert np.allclose(quantized.sum(axis=1), 1, atol=1e-4) and np.abs(quantized - expected).max() < 0.05


# Retypeable (issue 30): the save in view is model.save itself, and a failed one keeps the old file.


def save_cell_in_view():
    """The visible code cell (no #@title) that calls model.save, and the visible cells before it."""
    import nbformat
    from notebook import NOTEBOOK

    cells = [
        cell
        for cell in nbformat.read(NOTEBOOK, as_version=4).cells
        if cell.cell_type == "code" and not cell.source.startswith("#@title")
    ]
    index = next(i for i, cell in enumerate(cells) if "model.save(" in cell.source)
    return cells[index], cells[:index]


def names(source, context):
    """The names a cell's code loads (context ast.Load) or defines (ast.Store, imports, defs)."""
    import ast

    tree = ast.parse(
        "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    )
    found = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, context)
    }
    if context is ast.Store:
        found |= {
            (alias.asname or alias.name).split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for alias in node.names
        }
        found |= {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))
        }
    return found


def test_the_save_cell_in_view_uses_only_names_defined_in_view():
    import ast
    import builtins

    cell, before = save_cell_in_view()
    defined = set(dir(builtins)).union(
        *(names(earlier.source, ast.Store) for earlier in [*before, cell])
    )
    assert names(cell.source, ast.Load) <= defined, names(cell.source, ast.Load) - defined


def test_the_save_cell_in_view_keeps_the_previous_file_when_the_save_fails(nb, model, tmp_path):
    cell, _ = save_cell_in_view()
    (tmp_path / "model.keras").write_bytes(b"the previous model")

    class FullDisk:
        def save(self, filepath, *args, **kwargs):
            with open(filepath, "wb") as file:
                file.write(b"half a model")
            raise OSError(28, "No space left on device")

    namespace = {"Path": nb.Path, "MODEL_PATH": str(tmp_path / "model.h5")}
    with pytest.raises(OSError, match="No space left"):
        exec(cell.source, namespace | {"model": FullDisk()})
    assert (tmp_path / "model.keras").read_bytes() == b"the previous model"
    exec(cell.source, namespace | {"model": model})
    reloaded = nb.keras.models.load_model(tmp_path / "model.keras")
    images = np.random.default_rng(4).random((10, 28, 28), np.float32)
    assert np.array_equal(predictions(reloaded, images), predictions(model, images))
    assert [path.name for path in tmp_path.iterdir()] == ["model.keras"]
