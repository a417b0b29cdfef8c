"""What a user relies on, where small bugs once slipped past the suite (issue 27): the greys of a
colour photo, see-through and thin drawings, a 5's bar, small drawings, a number's confidence, a
folder with one odd file, and where the MNIST files are read from."""

import numpy as np
import pytest
from notebook import FixedModel, prepare_one
from pictures import pen_drawing
from PIL import Image

# A 5 as a pen draws it (10 pixels wide): a stem and a belly, 146 pixels tall, 96 wide (49 to 145).
FIVE_BODY = [[(92, 60), (88, 118), (115, 112), (135, 128), (140, 158), (125, 188), (100, 196),
              (84, 184), (54, 170)]]


def overlap(one, other):
    """Intersection over union of two inputs' ink (above half)."""
    one, other = one > 0.5, other > 0.5
    return (one & other).sum() / (one | other).sum()


@pytest.mark.parametrize(
    "colour, luma",
    [((255, 0, 0), 0.299), ((0, 255, 0), 0.587), ((0, 0, 255), 0.114)],
    ids=["red", "green", "blue"],
)
def test_a_colour_becomes_the_grey_of_itu_r_601_2_luma(nb, colour, luma):
    """A blue ballpoint is as dark as its luma: the weights the eye gives red, green and blue."""
    for mode in ("RGB", "RGBA"):
        grey = nb.grayscale(Image.new(mode, (8, 6), colour))
        assert grey == pytest.approx(np.full((6, 8), luma), abs=0.002), mode


@pytest.mark.parametrize("ink", [0, 255], ids=["black ink", "white ink"])
def test_a_large_see_through_drawing_reads_as_the_same_drawing_small(nb, ink):
    """A drawing app's export over 2,048 pixels: the ink in the alpha channel, the rest clear."""
    strokes = [[(1000, 300), (1300, 320), (1100, 1800)]]  # A 7, 1,500 pixels tall.
    alpha = np.asarray(pen_drawing((2400, 2100), strokes, 90, ink=255, paper=0, mode="L"))
    rgba = np.zeros(alpha.shape + (4,), np.uint8)
    rgba[..., :3], rgba[..., 3] = ink, alpha
    large = prepare_one(nb, Image.fromarray(rgba))
    small = prepare_one(nb, Image.fromarray(rgba).resize((600, 525), Image.Resampling.BOX))
    assert large.max() == 1 and overlap(large, small) > 0.8


def test_a_thin_diagonal_stroke_is_one_digit_in_one_piece(nb):
    """A hairline at a slant touches its next pixel only at a corner: one stroke, one digit."""
    picture = np.full((160, 120), 255, np.uint8)
    rows = np.arange(20, 140)
    picture[rows, 30 + rows // 4] = 0  # One pixel per row, a step right every fourth row.
    inputs, measures = nb.prepare_digits(Image.fromarray(picture))
    assert len(inputs) == 1 and measures[0]["pieces"] == 1, measures


@pytest.mark.parametrize("gap", [3, 12])
def test_a_5s_bar_drawn_apart_from_its_body_is_part_of_the_digit(nb, gap):
    """The bar starts gap pixels right of the body, under 15 % of the digit's height (22 pixels)."""
    bar = [[(150 + gap, 60), (190 + gap, 58)]]
    body = prepare_one(nb, pen_drawing((260, 240), FIVE_BODY, 10))
    inputs, measures = nb.prepare_digits(pen_drawing((260, 240), FIVE_BODY + bar, 10))
    assert len(inputs) == 1 and measures[0]["missing"] == {}, measures
    assert not np.array_equal(inputs[0], body)  # The bar's ink is in the input.


def test_a_dash_far_from_a_digit_is_left_out_and_noted(nb):
    """A dash more than 15 % of the digit's height to its side is no part of it."""
    dash = [[(180, 60), (210, 58)]]  # 30 pixels right of the body.
    body = prepare_one(nb, pen_drawing((260, 240), FIVE_BODY, 10))
    inputs, measures = nb.prepare_digits(pen_drawing((260, 240), FIVE_BODY + dash, 10))
    assert len(inputs) == 1 and measures[0]["missing"].get("mark") == [1], measures
    assert np.array_equal(inputs[0], body)


@pytest.mark.parametrize("zoom, pen", [(1, 1.5), (2, 3), (1, 3)], ids=["14 px", "28 px", "bold"])
def test_a_small_drawing_is_prepared_as_the_same_drawing_large(nb, zoom, pen):
    """A 7 about 14 or 28 pixels tall (a thumbnail, a small crop) gives about the input it gives at
    eight times the size: small drawings are resampled larger before their strokes are measured."""
    strokes = [[(5 * zoom, 5 * zoom), (16 * zoom, 5 * zoom), (9 * zoom, 19 * zoom)]]
    drawing = pen_drawing((24 * zoom, 24 * zoom), strokes, pen, zoom=4)
    small = prepare_one(nb, drawing)
    large = prepare_one(nb, drawing.resize((192 * zoom, 192 * zoom), Image.Resampling.BICUBIC))
    assert overlap(small, large) > 0.7 and np.abs(small - large).mean() < 0.06


def test_a_numbers_confidence_is_its_least_sure_digit(nb):
    one, seven = [[(60, 50), (58, 230)]], [[(160, 60), (260, 58), (190, 230)]]
    number = pen_drawing((320, 280), one + seven, 16)
    sure, unsure = np.full(10, 0.02 / 9), np.full(10, 0.4 / 9)
    sure[1], unsure[7] = 0.98, 0.6
    table, errors = nb.recognize_files(FixedModel([sure, unsure]), [("17.png", number)])
    assert errors == [] and list(table.predicted) == ["17"]
    assert list(table.confidence) == [0.6]


def test_one_odd_file_does_not_stop_the_others(nb, monkeypatch):
    """An error the preparation never expected, in one picture: that file named, the rest read."""
    real = nb.prepare_digits

    def prepare_digits(image, name="picture"):
        if name == "odd.png":
            raise ZeroDivisionError("float division by zero")
        return real(image, name)

    monkeypatch.setattr(nb, "prepare_digits", prepare_digits)
    one = pen_drawing((100, 140), [[(50, 20), (48, 120)]], 8)
    pictures = [("a.png", one), ("odd.png", one), ("b.png", one)]
    table, errors = nb.recognize_files(FixedModel(np.eye(10)[[1, 1]]), pictures)
    assert list(table.file) == ["a.png", "b.png"] and list(table.predicted) == ["1", "1"]
    reason = "could not be prepared (ZeroDivisionError: float division by zero)"
    assert errors == [("odd.png", reason)]


def parameters(nb):
    """The parameters cell's values, as check_parameters reads them from the notebook's globals."""
    names = [*nb.LIMITS, "MODEL_PATH", "DATA_DIR", "OWN_IMAGES"]
    return {name: getattr(nb, name) for name in names}


def test_a_stale_mnist_data_dir_does_not_block_a_good_data_dir(nb, tmp_path, monkeypatch):
    """DATA_DIR, when set, is the folder read: the environment's MNIST_DATA_DIR is not checked."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "moved away"))
    (tmp_path / "mnist").mkdir()
    nb.check_parameters(parameters(nb) | {"DATA_DIR": "mnist"})
    with pytest.raises(nb.ParameterError, match="MNIST_DATA_DIR: .*moved away'? does not exist"):
        nb.check_parameters(parameters(nb) | {"DATA_DIR": ""})


def test_a_misspelt_papermill_parameter_is_refused_naming_the_nearest(nb, tmp_path, monkeypatch):
    """papermill -p EPOCS 3 adds a cell "# Parameters" after the parameters cell (IPython keeps it
    in In): its last such cell is read, and a name the notebook does not know stops the run."""
    monkeypatch.chdir(tmp_path)
    good, misspelt = "# Parameters\nEPOCHS = 3\nOWN_IMAGES = ''\n", "# Parameters\nEPOCS = 3\n"
    with pytest.raises(nb.ParameterError) as caught:
        nb.check_parameters(parameters(nb) | {"In": ["import os", good, misspelt]})
    assert str(caught.value) == "EPOCS is not a parameter of this notebook: did you mean EPOCHS?"
    with pytest.raises(nb.ParameterError, match="^COLOUR is not a parameter .* one of .*'EPOCHS'"):
        nb.check_parameters(parameters(nb) | {"In": ["# Parameters\nCOLOUR = 'red'\n"]})
    own_cell = "EPOCS = 3  # A learner's own cell, not papermill's."
    nb.check_parameters(parameters(nb) | {"In": [misspelt, good, own_cell]})
