"""What a user relies on, where small bugs once slipped past the suite (issue 27): the greys of a
colour photo, see-through and thin drawings, a 5's bar, small drawings, a number's confidence, a
folder with one odd file, and where the MNIST files are read from."""

import numpy as np
import pytest
from notebook import prepare_one
from pictures import pen_drawing
from PIL import Image

# A 5 as a pen draws it: a stem and a belly (top at y = 60, bottom at y = 196), and its top bar.
FIVE_BODY = [
    [(92, 60), (88, 118), (120, 112), (150, 130), (158, 160), (140, 190), (110, 196), (84, 184)]
]


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


@pytest.mark.parametrize("gap", [4, 12])
def test_a_5s_bar_drawn_apart_from_its_body_is_part_of_the_digit(nb, gap):
    """The bar starts gap pixels right of the body's stem, under 15 % of the digit's height away."""
    bar = [[(92 + 9 + gap, 52), (170, 50)]]
    body = prepare_one(nb, pen_drawing((240, 240), FIVE_BODY, 10))
    inputs, measures = nb.prepare_digits(pen_drawing((240, 240), FIVE_BODY + bar, 10))
    assert len(inputs) == 1 and measures[0]["left_out"] == 0, measures
    assert inputs[0][:8].sum() > body[:8].sum() + 10  # The bar's ink is in the input, at its top.


def test_a_dash_far_from_a_digit_is_left_out_and_noted(nb):
    """A dash more than 15 % of the digit's height to its side is no part of it."""
    dash = [[(200, 52), (225, 52)]]
    body = prepare_one(nb, pen_drawing((240, 240), FIVE_BODY, 10))
    inputs, measures = nb.prepare_digits(pen_drawing((240, 240), FIVE_BODY + dash, 10))
    assert len(inputs) == 1 and measures[0]["left_out"] > 0, measures
    assert np.array_equal(inputs[0], body)


@pytest.mark.parametrize("zoom", [1, 2])
def test_a_small_drawing_is_prepared_as_the_same_drawing_large(nb, zoom):
    """A 7 about 14 or 28 pixels tall (a thumbnail, a small crop) gives about the input it gives at
    eight times the size: small drawings are resampled larger before their strokes are measured."""
    strokes = [[(5 * zoom, 5 * zoom), (16 * zoom, 5 * zoom), (9 * zoom, 19 * zoom)]]
    small = prepare_one(nb, pen_drawing((24 * zoom, 24 * zoom), strokes, 1.5 * zoom, zoom=4))
    large = prepare_one(
        nb,
        pen_drawing((24 * zoom, 24 * zoom), strokes, 1.5 * zoom, zoom=4).resize(
            (192 * zoom, 192 * zoom), Image.Resampling.BICUBIC
        ),
    )
    assert overlap(small, large) > 0.7 and np.abs(small - large).mean() < 0.06


class FixedModel:
    """A stand-in for the model: each input gets the next row of fixed probabilities."""

    def __init__(self, rows):
        self.rows = np.array(rows, np.float32)

    def __call__(self, images, training=False):
        assert len(images) == len(self.rows) and not training
        return self.rows


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


def test_a_stale_mnist_data_dir_does_not_block_a_good_data_dir(nb, tmp_path, monkeypatch):
    """DATA_DIR, when set, is the folder read: the environment's MNIST_DATA_DIR is not checked."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "moved away"))
    (tmp_path / "mnist").mkdir()
    values = {name: getattr(nb, name) for name in [*nb.LIMITS, "MODEL_PATH", "OWN_IMAGES"]}
    nb.check_parameters(values | {"DATA_DIR": "mnist"})
    with pytest.raises(nb.ParameterError, match="MNIST_DATA_DIR: .*moved away does not exist"):
        nb.check_parameters(values | {"DATA_DIR": ""})
