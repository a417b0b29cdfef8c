"""The optional convnet: the notebook's own cells build and train it, and every later step takes it."""

import contextlib

import numpy as np
import pytest
from notebook import code_cell, exec_cell, run_until
from pad import ONE, canvas, png, send_from_page
from PIL import Image


@pytest.fixture(scope="module")
def convnet(nb):
    """The convnet exactly as the notebook's cell builds it, untrained (seeded)."""
    nb.keras.utils.set_random_seed(5)
    namespace = {"keras": nb.keras}
    exec_cell(code_cell("convnet = keras.Sequential("), namespace)
    return namespace["convnet"]


@pytest.fixture(scope="module")
def trained(mnist_dir, tmp_path_factory):
    """The notebook run through the convnet section, in a folder of its own: one short epoch each."""
    folder = tmp_path_factory.mktemp("convnet")
    with contextlib.chdir(folder):
        return folder, run_until("reader = convnet if CONVNET_EPOCHS else model", EPOCHS=1, CONVNET_EPOCHS=1,
                         VALIDATION_SIZE=50_000)


def test_the_convnet_takes_the_same_28_by_28_images_and_has_fewer_weights(nb, convnet):
    assert convnet.input_shape == (None, 28, 28) and convnet.output_shape == (None, 10)
    assert convnet.count_params() < nb.model.count_params() / 2
    kinds = {type(layer).__name__ for layer in convnet.layers}
    assert {"Conv2D", "MaxPooling2D", "Dense"} <= kinds <= {"Reshape", "Conv2D", "MaxPooling2D", "Flatten",
                                                            "Dropout", "Dense"}


def test_digit_evidence_works_for_the_convnet_image_by_image(nb, convnet):
    """Batched and averaged by digit, it equals each image's ink times its own gradient, one at a time."""
    tf = nb.tf
    images = np.random.default_rng(6).random((5, 28, 28)).astype(np.float32)
    labels = np.array([2, 7, 2, 2, 7], np.uint8)
    with pytest.warns(RuntimeWarning, match="Mean of empty slice|invalid value encountered"):
        evidence = nb.digit_evidence(convnet, images, labels, batch_size=2)  # No 0, 1, 3, ... here:
    assert np.isnan(evidence[[0, 1, 3]]).all()  # a digit with no image has no evidence.
    assert evidence.shape == (10, 28, 28) and np.isfinite(evidence[[2, 7]]).all()
    shares = []
    for image, label in zip(images, labels):
        pixels = tf.constant(image[None])
        with tf.GradientTape() as tape:
            tape.watch(pixels)
            log_probability = tf.math.log(convnet(pixels, training=False)[0, int(label)])
        shares.append(image * tape.gradient(log_probability, pixels).numpy()[0])
    shares = np.array(shares)
    for digit in (2, 7):
        np.testing.assert_allclose(evidence[digit], shares[labels == digit].mean(axis=0), rtol=1e-4, atol=1e-7)


def test_the_section_trains_the_convnet_compares_and_hands_it_on(trained):
    folder, trained = trained
    comparison = trained["comparison"]
    assert list(comparison.index) == ["dense network", "convnet, 1 epochs"]
    assert comparison.loc["dense network", "weights"] == 101_770
    assert comparison["test accuracy"].between(0.8, 1).all()
    assert comparison["mistakes"].sum() == round(10_000 * (2 - comparison["test accuracy"].sum()))
    assert trained["reader"] is trained["convnet"] and trained["convnet_path"].name == "mnist_convnet.keras"
    assert (folder / trained["convnet_path"]).is_file()


def test_the_drawing_pad_loads_the_convnets_file(nb, convnet, tmp_path):
    path = tmp_path / "mnist_convnet.keras"
    convnet.save(path)
    pad = nb.drawing_pad(str(path))
    send_from_page(pad, png(canvas(ONE)), 1)
    assert len(pad.digits) == 1 and len(pad.probabilities[0]) == 10


def test_pictures_with_no_digit_read_are_answered_without_calling_the_convnet(nb, convnet, tmp_path):
    """TensorFlow's Conv2D fails on an empty batch: a folder of only refused pictures gives an empty table
    and each refusal, for the convnet and for a model compared with it."""
    Image.new("L", (60, 60), 255).save(tmp_path / "blank.png")
    (tmp_path / "notes.png").write_text("not a picture")
    table, errors = nb.recognize_files(convnet, sorted(tmp_path.iterdir()), dense=nb.model)
    assert table.empty and [name for name, _ in errors] == ["blank.png", "notes.png"]
    assert "no ink found" in errors[0][1]
