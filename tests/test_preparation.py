"""The photo preparation, helper by helper, on known inputs with known outputs.

Golden pictures: tests/golden/*.png are small pictures of digits (drawn, photographed-looking, on
ruled paper, light on dark, a 5 with a detached bar); tests/golden/expected/ holds the 28×28 input
the notebook made of each when the file was written. A change that moves those inputs fails here.

    python tests/test_preparation.py --update   # rewrite the expected inputs after an intended change
"""

import io
import sys
from pathlib import Path

import numpy as np
import pytest
from notebook import prepare_one
from pictures import naive_input, pen_drawing
from PIL import Image, ImageDraw
from scipy import ndimage

GOLDEN = Path(__file__).resolve().parent / "golden"
PICTURES = sorted(GOLDEN.glob("*.png"))


def expected_input(picture):
    return np.asarray(Image.open(GOLDEN / "expected" / picture.name), np.float32) / 255


@pytest.mark.parametrize("picture", PICTURES, ids=[path.stem for path in PICTURES])
def test_golden_pictures_give_their_stored_28x28_input(nb, picture):
    """Within a stated tolerance: mean difference under 1 % of the grey range, and at most 8 pixels off by 0.2."""
    made = prepare_one(nb, nb.load_digit_image(picture), picture.name)
    difference = np.abs(made - expected_input(picture))
    assert difference.mean() < 0.01 and np.sum(difference > 0.2) <= 8, (difference.mean(), np.sum(difference > 0.2))


def test_there_are_golden_pictures_of_each_kind():
    assert [path.stem for path in PICTURES] == ["five-detached-bar", "one-pad", "photo-2", "photo-7-ruled",
                                               "seven-light-on-dark", "three-thin-pen"]


@pytest.mark.parametrize("picture", PICTURES, ids=[path.stem for path in PICTURES])
def test_golden_inputs_are_mnist_shaped(nb, picture):
    """MNIST's digits fill 20 pixels on their longest side and their centre of mass is at (14, 14)."""
    digit = prepare_one(nb, nb.load_digit_image(picture), picture.name)
    rows, cols = np.nonzero(digit > 0.05)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 in (20, 21), (np.ptp(rows), np.ptp(cols))
    center = (np.indices(digit.shape) * digit).sum(axis=(1, 2)) / digit.sum()
    assert np.all(np.abs(center - 14) <= 0.5), center


def test_a_5_with_a_detached_bar_keeps_its_bar_and_gets_no_note(nb):
    picture = nb.load_digit_image(GOLDEN / "five-detached-bar.png")
    (digit,), (measures,) = nb.prepare_digits(picture)
    assert measures["pieces"] == 2 and measures["missing"] == {}
    assert digit[4:9, 14:24].mean() > 0.2  # The bar, top right, is in the input.


def test_stroke_width_measures_known_strokes(nb):
    width = nb.stroke_width
    assert width(np.ones((40, 5), bool)) == pytest.approx(5, abs=0.6)  # A bar that touches the picture's edges.
    bar = np.zeros((60, 30), bool)
    bar[10:50, 10:18] = True
    assert width(bar) == pytest.approx(8, abs=0.8)
    assert width(np.eye(30, dtype=bool)) == pytest.approx(2.0)  # A one-pixel diagonal: depth 1 everywhere.


def test_find_digits_joins_the_pieces_of_a_digit_and_reads_digits_left_to_right(nb):
    ink = np.zeros((200, 500), np.float32)
    ink[40:160, 300:310] = 1.0  # A stroke on the right: the second digit, 1,200 pixels of ink.
    ink[40:160, 60:70] = 1.0  # A stroke on the left, 1,200 pixels,
    ink[40:46, 85:125] = 1.0  # and a short bar 15 pixels to its side, beyond its box: joined (a 5's flag).
    ink[90:150, 160:170] = 1.0  # A stroke under the bar's columns but half the height away: a digit of its own.
    ink[100:104, 420:470] = 1.0  # A dash, short and far from the digits: left out, and no digit.
    ink[190, 490] = 1.0  # A speck: dropped.
    digits, missing = nb.find_digits(ink, 0.5)
    assert [box for _, box in digits] == [(40, 160, 60, 125), (90, 150, 160, 170), (40, 160, 300, 310)]
    assert [mask.sum() for mask, _ in digits] == [1200 + 240, 600, 1200]
    # The second digit is half as tall as the others, and far from the third: both noted.
    assert missing == {"gap": [2], "size": [2]}
    assert nb.find_digits(np.zeros((10, 10), np.float32), 0.5) == ([], {})


def test_find_digits_keeps_a_4_in_two_strokes_whole_and_cuts_touching_digits_at_their_neck(nb):
    four = np.zeros((100, 100), np.float32)
    four[10:60, 20:26] = 1.0  # The 4's left stroke and bar, one piece ...
    four[54:60, 20:75] = 1.0
    four[10:90, 60:66] = 1.0  # ... and its stem, apart: they share the stem's columns, so one digit.
    (mask, box), = nb.find_digits(four, 0.5)[0]
    assert box == (10, 90, 20, 75) and mask.sum() == four.sum()
    one = np.zeros((100, 100), np.float32)
    one[10:48, 40:47] = one[53:90, 42:49] = 1.0  # A 1 whose stroke broke (a skipping pen): two tall pieces, one digit.
    (mask, box), = nb.find_digits(one, 0.5)[0]
    assert box == (10, 90, 40, 49) and mask.sum() == one.sum()
    seven = np.zeros((100, 100), np.float32)
    seven[10:16, 20:80] = 1.0  # A 7's bar, and its stem, one piece ...
    for row in range(16, 90):
        seven[row, 74 - (row - 16) // 3 : 80 - (row - 16) // 3] = 1.0
    seven[50:55, 35:55] = 1.0  # ... and a crossbar drawn apart, short, to the stem's side: one digit.
    (mask, box), = nb.find_digits(seven, 0.5)[0]
    assert box == (10, 90, 20, 80) and mask.sum() == seven.sum()
    rings = Image.new("L", (140, 80))
    draw = ImageDraw.Draw(rings)
    draw.ellipse((10, 10, 60, 70), outline=255, width=6)  # Two 0s,
    draw.ellipse((76, 10, 126, 70), outline=255, width=6)
    draw.rectangle((60, 38, 76, 41), fill=255)  # joined by a thin stroke: cut where it is thinnest.
    (_, first), (_, second) = nb.find_digits(np.asarray(rings, np.float32) / 255, 0.5)[0]
    assert first[2] == 10 and 60 <= first[3] <= second[2] <= 77 and second[3] == 127, (first, second)


def paper_photo(size=(600, 260), seed=0):
    """A grey paper (232) to draw on; photo() adds the camera's noise."""
    return Image.new("L", size, 232)


def photo(image, seed=0):
    """The drawing with a camera's noise (3 grey levels)."""
    noise = np.random.default_rng(seed).normal(0, 3, image.size[::-1])
    grey = np.asarray(image, np.float32) + noise
    return Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8))


def draw_digit(draw, digit, left, top, height, width, grey):
    """A 1, 4 or 7 as the pen draws it: height pixels tall, strokes width pixels wide, in a grey."""
    lines = {1: [[(0, 0), (0, 1)]], 7: [[(0, 0), (0.55, 0), (0.2, 1)]],
             4: [[(0.4, 0), (0, 0.65), (0.6, 0.65)], [(0.45, 0.3), (0.45, 1)]]}[digit]
    for line in lines:
        points = [(left + x * height, top + y * height) for x, y in line]
        draw.line(points, fill=grey, width=width, joint="curve")


# Three bold digits (pen, 22 px strokes) with, in the middle, a digit that holds little of the ink.
DIGITS_BESIDE_BOLD_ONES = {
    "a thin 1": dict(digit=1, top=50, height=160, width=2, grey=60),
    "a faint pencil 7": dict(digit=7, top=50, height=160, width=6, grey=178),
    "a small thin 7": dict(digit=7, top=100, height=100, width=2, grey=60),  # 1.6 times shorter.
}


@pytest.mark.parametrize(
    "middle", DIGITS_BESIDE_BOLD_ONES.values(), ids=DIGITS_BESIDE_BOLD_ONES.keys()
)
def test_a_thin_faint_or_small_digit_beside_bold_ones_is_found(nb, middle):
    """Issue 28: a digit is judged by its shape and its place in the row, not by its share of the
    picture's ink, and by its own ink."""
    image = paper_photo()
    draw = ImageDraw.Draw(image)
    draw_digit(draw, 4, 40, 50, 160, 22, 20)
    draw_digit(draw, left=250, **middle)
    draw_digit(draw, 7, 400, 50, 160, 22, 20)
    inputs, measures = nb.prepare_digits(photo(image))
    boxes = [measure["box"] for measure in measures]
    assert len(inputs) == 3 and 240 <= boxes[1][2] and boxes[1][3] <= 360, boxes
    assert abs(boxes[1][0] - middle["top"]) < 10
    assert abs(boxes[1][1] - middle["top"] - middle["height"]) < 10


def test_a_mark_left_out_that_could_be_a_digit_or_a_wide_gap_is_noted(nb):
    """A short thin mark beside two digits (too short to be read as one, and with little ink) is
    named in the note, and so is a gap in the row wide enough for a digit."""
    clear = np.eye(10)[[4, 7]]
    image = paper_photo()
    draw = ImageDraw.Draw(image)
    draw_digit(draw, 4, 40, 50, 160, 16, 20)
    draw_digit(draw, 7, 220, 50, 160, 16, 20)
    draw_digit(draw, 1, 380, 150, 55, 3, 20)  # A third as tall as the digits: left out, but noted.
    inputs, measures = nb.prepare_digits(photo(image))
    assert len(inputs) == 2 and measures[0]["missing"] == {"mark": [2]}
    note = nb.doubt_note(clear, inputs, measures)
    assert note == "a mark left out may be a digit (beside digit 2)"
    image = paper_photo((700, 260))
    draw = ImageDraw.Draw(image)
    draw_digit(draw, 4, 40, 50, 160, 16, 20)
    draw_digit(draw, 7, 370, 50, 160, 16, 20)  # 230 pixels after the 4: room for a digit, and
    draw_digit(draw, 1, 480, 50, 160, 16, 20)  # far wider than the row's other gap.
    inputs, measures = nb.prepare_digits(photo(image))
    note = nb.doubt_note(np.eye(10)[[4, 7, 1]], inputs, measures)
    assert note == "a gap wide enough for a digit (after digit 1)"


@pytest.mark.parametrize("mirrored", [False, True], ids=["1 first", "1 second"])
def test_prepare_digits_counts_the_pieces_of_a_digit_within_its_own_mask(nb, mirrored):
    """Issue 27: a slanted 1 in five dashes (its largest a little over a fifth of its ink: a clear
    digit), and beside it a digit whose foot reaches into the 1's box, not into its strokes. Counted
    in the box, the foot would be a sixth piece of the 1, and the 1 would be "no clear digit".
    Mirrored, the 1 is read second: the foot is still not its piece."""
    ink = np.zeros((170, 120), np.float32)
    for dash, (top, left) in enumerate([(10, 58), (27, 46), (44, 34), (61, 22), (78, 10)]):
        ink[top - (dash == 0) : top + 12, left : left + 5] = 1.0  # The first dash is 13 tall.
    ink[80:160, 80:86] = 1.0  # The second digit's stem, and its foot into the 1's box.
    ink[82:86, 54:86] = 1.0
    boxes = [(9, 90, 10, 63), (80, 160, 54, 86)]
    if mirrored:
        ink = ink[:, ::-1]
        boxes = [(top, bottom, 120 - right, 120 - left) for top, bottom, left, right in boxes[::-1]]
    inputs, measures = nb.prepare_digits(Image.fromarray(((1 - ink) * 255).astype(np.uint8)))
    assert [measure["box"] for measure in measures] == boxes
    one = measures[int(mirrored)]
    assert one["pieces"] == 5 and one["largest_piece"] == pytest.approx(65 / 305)
    assert nb.doubt_note(np.eye(10)[[1, 2]], inputs, measures) == ""


def test_two_rows_of_digits_are_read_row_by_row(nb):
    """Issue 29: "12" above "34" reads 1, 2, 3, 4 (left to right, the top row first), not
    1, 3, 2, 4."""
    image = paper_photo((420, 320))
    draw = ImageDraw.Draw(image)
    for digit, left, top in [(1, 110, 20), (7, 200, 25), (4, 90, 185), (7, 230, 175)]:
        draw_digit(draw, digit, left, top, 100, 10, 20)
    _, measures = nb.prepare_digits(photo(image))
    boxes = [measure["box"] for measure in measures]
    rows_and_columns = [(box[0] < 100, box[2] // 100) for box in boxes]
    assert rows_and_columns == [(True, 1), (True, 2), (False, 0), (False, 2)], boxes


def test_a_picture_of_more_marks_than_a_page_of_digits_is_refused_at_once(
    nb, untrained_model, tmp_path, monkeypatch
):
    """Issue 29: 20,000 specks are refused before the work that grows faster than the number of
    marks (joining pieces into digits), read alone or in a folder, with a plain reason (the pad:
    test_drawing_pad.py)."""
    specks = np.full((1000, 1000), 255, np.uint8)
    specks[3::7, 3::7] = 0  # 143 × 143 = 20,449 specks.

    def per_mark_work(*args, **kwargs):
        raise AssertionError("the marks were joined into digits before the refusal")

    with monkeypatch.context() as patch:
        patch.setattr(nb, "joined_pieces", per_mark_work)
        words = r"^picture: too many separate marks to be digits \(20,449, over 2,000\); photograph or"
        with pytest.raises(nb.DigitImageError, match=words + " draw the digits alone$"):
            nb.prepare_digits(Image.fromarray(specks))
    Image.fromarray(specks).save(tmp_path / "specks.png")
    table, errors = nb.recognize_files(untrained_model, [tmp_path / "specks.png"])
    assert len(table) == 0 and errors[0][0] == "specks.png"
    assert "too many separate marks" in errors[0][1]


@pytest.mark.parametrize("line_width, stroke", [(1, 1.0), (3, 1.0), (3, 0.45)])
def test_remove_ruled_lines_erases_lines_and_keeps_the_stroke_that_crosses_them(nb, line_width, stroke):
    """Pen lines 1 or 3 pixels wide under a pen stroke, or a pencil stroke hardly darker."""
    ink = np.zeros((120, 120), np.float32)
    for top in (20, 50, 80, 110):  # Four ruled lines right across.
        ink[top : top + line_width] = 0.3
    ink[10:100, 58:62] = stroke  # A stroke across them.
    cleaned = nb.remove_ruled_lines(ink, 0.05, 2)
    assert cleaned[[20, 50, 80, 110]][:, :50].max() < 0.05  # The lines are gone ...
    assert cleaned[10:100, 58:62].min() > 0.9 * stroke  # ... and the stroke is whole, across them too.
    assert cleaned.min() >= 0  # Ink is never below paper.
    assert np.array_equal(nb.remove_ruled_lines(ink, 0.05, 5), ink)  # Fewer lines than asked: nothing erased.


@pytest.mark.parametrize("angle", [30, 60, 90, 135])
def test_find_ink_takes_neither_a_cast_shadow_nor_its_sharp_edge_for_ink(nb, angle):
    """Noisy paper with one stroke, and a hard shadow edge across it at the angle (half the light beyond it):
    the stroke is ink, as strong in the shade as in the light, and nothing else passes the cut."""
    rows, cols = np.indices((300, 300))
    stroke = (np.abs(cols - 150) < 8) & (rows > 60) & (rows < 240)
    paper = 0.85 + 0.01 * np.random.default_rng(angle).standard_normal((300, 300))
    shade = (cols - 150) * np.cos(np.radians(angle)) + (rows - 150) * np.sin(np.radians(angle)) > 0
    grey = (np.where(stroke, 0.2, paper) * np.where(shade, 0.5, 1.0)).astype(np.float32)
    ink, threshold = nb.find_ink(grey)
    found = ink > threshold
    assert found[stroke].mean() > 0.95 and not found[~ndimage.binary_dilation(stroke, iterations=3)].any()
    assert ink[stroke & shade].mean() == pytest.approx(ink[stroke & ~shade].mean(), abs=0.05)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "I;16", "CMYK", "1"])
def test_large_pictures_in_any_mode_give_the_input_of_their_small_version(nb, mode):
    small = Image.open(GOLDEN / "three-thin-pen.png").convert("L")
    large = small.resize((small.width * 9, small.height * 9), Image.Resampling.NEAREST)
    pictures = {"small": small, "large": large}
    if mode == "I;16":
        pictures = {key: Image.fromarray(np.asarray(value).astype(np.uint16) * 257) for key, value in pictures.items()}
    elif mode == "1":
        pictures = {key: value.point(lambda grey: 255 if grey > 128 else 0).convert("1") for key, value in
                    pictures.items()}
    else:
        pictures = {key: value.convert(mode) for key, value in pictures.items()}
    made = {key: prepare_one(nb, picture) for key, picture in pictures.items()}
    assert max(large.size) > 2 * nb.WORK_SIZE  # Reduced before the preparation.
    assert np.abs(made["large"] - made["small"]).mean() < 0.03


def test_grayscale_lays_see_through_pictures_on_paper_of_the_other_shade(nb):
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 0] = (0, 0, 0, 255)  # Black ink, opaque, on a see-through background.
    assert nb.grayscale(Image.fromarray(rgba, "RGBA")).tolist() == [[0, 1], [1, 1]]
    rgba[0, 0] = (255, 255, 255, 255)  # White ink: laid on black.
    assert nb.grayscale(Image.fromarray(rgba, "RGBA")).tolist() == [[1, 0], [0, 0]]
    sixteen = Image.fromarray(np.array([[0, 32768, 65535]], np.uint16))
    assert nb.grayscale(sixteen) == pytest.approx(np.array([[0, 0.5, 1]]), abs=1e-4)


def test_naive_input_squeezes_the_picture_as_it_is():
    picture = np.full((56, 84), 255, np.uint8)
    picture[:, :42] = 0  # Black left half, white right half.
    squeezed = naive_input(Image.fromarray(picture))
    assert squeezed.shape == (28, 28) and squeezed.dtype == np.float32
    assert squeezed[:, :13].max() == 0 and squeezed[:, 15:].min() == 1  # Pillow's bicubic filter rings at the edge.


MAY_BE_MISSING = {"mark": [2], "gap": [1], "size": [1, 3]}


@pytest.mark.parametrize("top, ink_share, largest_piece, pieces, missing, note", [
    (0.9, 0.25, 0.2, 200, {}, ""),  # Every measure at its limit, on the clear side.
    (0.8999, 0.1, 1.0, 1, {}, "no clear digit"),
    (0.95, 0.2501, 1.0, 1, {}, "no clear digit"),
    (0.95, 0.1, 0.1999, 1, {}, "no clear digit"),
    (0.95, 0.1, 1.0, 201, {}, "no clear digit"),
    (0.95, 0.1, 1.0, 1, {"mark": [2]}, "a mark left out may be a digit (beside digit 2)"),
    (0.95, 0.1, 1.0, 1, {"gap": [1]}, "a gap wide enough for a digit (after digit 1)"),
    (0.95, 0.1, 1.0, 1, {"size": [1, 3]}, "sizes too different for one number (digit 1, 3)"),
    (0.45, 0.1, 1.0, 1, MAY_BE_MISSING,
     "no clear digit; a mark left out may be a digit (beside digit 2); a gap wide enough for a"
     " digit (after digit 1); sizes too different for one number (digit 1, 3)"),
])
def test_doubt_note_limits(nb, top, ink_share, largest_piece, pieces, missing, note):
    probabilities = np.full(10, (1 - top) / 9)
    probabilities[3] = top
    digit = np.zeros((28, 28), np.float32)
    digit.flat[: round(ink_share * 784)] = 1.0
    digit[0, 0] += ink_share * 784 - round(ink_share * 784)  # The exact share of ink.
    measures = {"missing": missing, "largest_piece": largest_piece, "pieces": pieces}
    assert nb.doubt_note(probabilities[None], digit[None], [measures]) == note
    # In a number, the note says which digits are unclear.
    clear = {"missing": missing, "largest_piece": 1.0, "pieces": 1}
    number = nb.doubt_note(np.stack([np.eye(10)[1], probabilities]), np.stack([digit * 0, digit]), [clear, measures])
    assert number == note.replace("no clear digit", "no clear digit (digit 2)")


def pen_stroke(width, points=((150, 41), (138, 239)), size=(280, 280), zoom=4):
    """A felt-pen line (a 1 as the pad draws it), of any real width: drawn zoom times larger, averaged down."""
    return pen_drawing(size, [points], width, ink=17, paper=255, mode="L", zoom=zoom)


def test_the_input_changes_smoothly_with_the_pen_width(nb, quick_model):
    """No cliff (the issue: a 1 198 px tall read as 7 with an 18 px pen, as 1 a shade thinner). From a 10 to a 30 px
    pen in half-pixel steps, neighbouring inputs differ by at most 2 % of the grey range on average (a cliff moved
    5 %), the input's ink never drops by more than 1.5 pixels' worth as the pen grows, and the answer stays put."""
    inputs = np.stack([prepare_one(nb, pen_stroke(width)) for width in np.arange(10, 30.5, 0.5)])
    steps = np.abs(np.diff(inputs, axis=0)).mean(axis=(1, 2))
    assert steps.max() < 0.02, steps.round(4)
    ink = inputs.sum(axis=(1, 2))
    assert np.diff(ink).min() > -1.5 and ink[-1] > ink[0] + 5, ink.round(1)
    answers = quick_model.predict(inputs, verbose=0)
    assert set(answers.argmax(axis=1)) == {1}, answers.argmax(axis=1)


def update():
    """Rewrite tests/golden/expected/ from the notebook's current preparation."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from notebook import load_helpers

    nb = load_helpers()
    (GOLDEN / "expected").mkdir(exist_ok=True)
    for picture in PICTURES:
        made = prepare_one(nb, nb.load_digit_image(picture), picture.name)
        Image.fromarray(np.round(made * 255).astype(np.uint8)).save(GOLDEN / "expected" / picture.name)
        print("wrote", GOLDEN / "expected" / picture.name)


def test_tight_crops_to_the_ink_and_places_its_box_in_the_picture(nb):
    part = np.pad(np.ones((2, 4)), ((2, 3), (1, 5)))  # Ink in rows 2–3, columns 1–4.
    cropped, box = nb.tight(part, top=5, left=7)
    assert np.array_equal(cropped, np.ones((2, 4))) and box == (7, 9, 8, 12)
    assert nb.tight(part)[1] == (2, 4, 1, 5)


@pytest.mark.parametrize("speck", [(60, 45), (10, 35), (105, 35)], ids=["beside", "above", "below"])
def test_a_speck_of_dust_near_a_digit_is_left_out_of_its_box(nb, speck):
    """Dust is smaller both ways than a tenth of the tallest mark: it is neither a digit nor a piece of one."""
    ink = np.zeros((120, 260), np.float32)
    ink[20:100, 30:40] = ink[20:100, 150:160] = 1  # Two 1s.
    ink[speck[0] : speck[0] + 3, speck[1] : speck[1] + 3] = 1
    digits, missing = nb.find_digits(ink, 0.5)
    assert [box for _, box in digits] == [(20, 100, 30, 40), (20, 100, 150, 160)] and not missing


@pytest.mark.parametrize("pen", [25, 45])
def test_a_bold_marker_digit_is_thinned_to_an_mnist_stroke(nb, pen):
    """A ring drawn with a marker as wide as a fifth of its height or more: MNIST's pens were finer."""
    picture = Image.new("L", (200, 200), "white")
    ImageDraw.Draw(picture).ellipse((40, 20, 160, 180), outline="black", width=pen)
    inputs = nb.prepare_digits(picture)[0]
    assert nb.stroke_width(inputs[0] > 0.5) <= nb.STROKE_RANGE[1] + 0.1


def test_a_blank_picture_is_refused_saying_there_is_no_ink(nb):
    with pytest.raises(nb.DigitImageError) as caught:
        nb.prepare_digits(Image.new("L", (200, 200), "white"))
    assert str(caught.value) == (
        "picture: no ink found: the picture is blank or one colour; photograph a written digit")


def test_a_picture_over_the_largest_side_is_refused_before_it_is_decoded(nb, tmp_path):
    Image.new("L", (1200, 300), "white").save(tmp_path / "wide.png")
    with pytest.raises(nb.DigitImageError) as caught:
        nb.load_digit_image(tmp_path / "wide.png", max_side=1000)
    assert str(caught.value) == "wide.png: a picture far larger than the pad"
    assert nb.load_digit_image(tmp_path / "wide.png", max_side=1200).size == (1200, 300)


@pytest.mark.parametrize("name", ["IMG_0001.HEIC", "photo.heif"])
def test_a_heic_or_heif_file_is_refused_as_a_heic_photo(nb, tmp_path, name):
    (tmp_path / name).write_bytes(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(64))
    with pytest.raises(nb.DigitImageError, match=f"^{name}: a HEIC photo: save it as JPEG"):
        nb.load_digit_image(tmp_path / name)


@pytest.mark.parametrize("picture", ["photo-2.png", "photo-7-ruled.png"])
@pytest.mark.parametrize("exposure", [0.4, 0.7])
def test_a_darker_exposure_of_a_photo_gives_the_same_ink(nb, picture, exposure):
    """Ink is measured as a share of the paper's light, so a dim photo reads as a bright one does."""
    grey = nb.grayscale(Image.open(GOLDEN / picture))
    ink, threshold = nb.find_ink(grey)
    dim_ink, dim_threshold = nb.find_ink(grey * np.float32(exposure))
    assert np.allclose(dim_ink, ink, atol=1e-4) and dim_threshold == pytest.approx(threshold, abs=1e-5)


def boxes_found(nb, ink):
    """The boxes of the digits find_digits reads in ink (cut at 0.5), in reading order."""
    return [box for _, box in nb.find_digits(ink, 0.5)[0]]


def test_a_short_mark_far_below_a_digit_is_noted_not_joined_to_it(nb):
    """A bar more than half the digit's height below it (a dash on the next line) is not its stroke."""
    ink = np.zeros((220, 200), np.float32)
    ink[20:100, 50:60] = 1  # A 1,
    ink[150:170, 40:70] = 1  # and a short bar 50 rows under it (a 5's bar would touch or nearly).
    digits, missing = nb.find_digits(ink, 0.5)
    assert [box for _, box in digits] == [(20, 100, 50, 60)] and missing == {"mark": [1]}
    ink[150:170] = 0
    ink[115:135, 40:70] = 1  # 15 rows under it: a piece of the digit.
    assert boxes_found(nb, ink) == [(20, 135, 40, 70)]


@pytest.mark.parametrize("kind", ["JPEG", "BMP", "PNG"])
def test_a_still_picture_counts_one_frame(nb, tmp_path, kind):
    """JPEG and BMP have no frame count in Pillow: one frame, so no note about an animation."""
    path = tmp_path / f"still.{kind.lower()}"
    Image.new("RGB", (40, 40), "white").save(path, kind)
    assert nb.load_digit_image(path).info["frames"] == 1


@pytest.mark.parametrize("seed", [0, 1])
def test_film_grain_on_the_paper_is_not_taken_for_ink(nb, seed):
    """Noise of a tenth of the grey range: the cut stays five noise widths above the paper."""
    grey = nb.grayscale(Image.open(GOLDEN / "photo-2.png"))
    clean_ink, clean_threshold = nb.find_ink(grey)
    digit = ndimage.binary_dilation(clean_ink > clean_threshold, iterations=3)
    grain = np.random.default_rng(seed).normal(0, 0.1, grey.shape).astype(np.float32)
    ink, threshold = nb.find_ink(np.clip(grey + grain, 0, 1))
    assert ((ink > threshold) & ~digit).sum() <= 5  # Pixels of grain read as ink, off the digit.
    assert ((ink > threshold) & digit).sum() > 0.6 * (clean_ink > clean_threshold).sum()


def test_pieces_keep_joining_until_no_more_join(nb):
    """A short piece too far from a short piece alone, but near enough once that one has joined the
    tall stroke it touches, is part of the digit too: joining is repeated, not done in one pass."""
    groups = [[165, 180, 5, 20, [1]], [130, 145, 30, 45, [2]], [0, 100, 40, 50, [3]]]
    assert nb.joined_pieces(groups, tallest=100) == [[0, 180, 5, 50, [1, 2, 3]]]


def digits_in_a_row(top, lefts, heights=None):
    """find_digits's row: solid digits 50 columns wide at these left edges, 100 rows tall unless
    heights are given."""
    heights = heights or [100] * len(lefts)
    return [(np.ones((tall, 50), np.float32), (top, top + tall, left, left + 50))
            for left, tall in zip(lefts, heights, strict=True)]


@pytest.mark.parametrize("last_gap, note", [(90, {"gap": [2]}), (75, {}), (60, {})])
def test_a_gap_over_twice_the_narrowest_and_most_of_a_digit_wide_is_noted(nb, last_gap, note):
    """Three digits 100 rows tall, 35 columns apart, then last_gap: 90 is over twice 35 (not
    thrice) and over 0.8 of a digit's height (a digit may be missing there); 75 is not over 0.8
    of a digit's height; 60 is neither."""
    assert nb.missing_digits([digits_in_a_row(0, [0, 85, 135 + last_gap])], marks=[]) == note


@pytest.mark.parametrize("last_gap, note", [(91, {"gap": [2]}), (90, {})])
def test_a_gap_exactly_twice_the_narrowest_is_not_noted(nb, last_gap, note):
    """Narrowest gap 45: a last gap of 90 is twice it, not over; 91 is (both over 0.8 × 100)."""
    assert nb.missing_digits([digits_in_a_row(0, [0, 95, 145 + last_gap])], marks=[]) == note


def test_a_wide_gap_in_the_second_row_is_numbered_after_the_first_row(nb):
    """Two digits, then on the next row three with a wide gap after the second: after digit 4."""
    rows = [digits_in_a_row(0, [0, 85]), digits_in_a_row(200, [0, 85, 225])]
    assert nb.missing_digits(rows, marks=[]) == {"gap": [4]}


# The rules' edges, as the finder's comments state them: a mutant moving one by a pixel fails.
def test_as_many_marks_as_max_marks_are_read_and_one_more_is_refused(nb):
    """A 1 among 1,998 specks is 2,000 marks ("More: noise or a texture"): read, the specks
    dropped as dust; one speck more is refused."""
    ink = np.zeros((240, 300), np.float32)
    ink[0:100, 0:10] = 1  # The 1.
    rows, cols = np.mgrid[120:240:2, 20:300:2].reshape(2, -1)
    ink[rows[: nb.MAX_MARKS - 1], cols[: nb.MAX_MARKS - 1]] = 1
    assert boxes_found(nb, ink) == [(0, 100, 0, 10)]
    ink[rows[nb.MAX_MARKS - 1], cols[nb.MAX_MARKS - 1]] = 1
    with pytest.raises(nb.DigitImageError, match=rf"\({nb.MAX_MARKS + 1:,}, over {nb.MAX_MARKS:,}\)"):
        nb.find_digits(ink, 0.5)


def test_ink_at_the_threshold_is_paper(nb):
    ink = np.zeros((60, 60), np.float32)
    ink[10:50, 10:20] = 1
    ink[10:50, 40:50] = 0.5  # Exactly the threshold: not above it.
    assert boxes_found(nb, ink) == [(10, 50, 10, 20)]


@pytest.mark.parametrize("height, joined", [(39, True), (40, False)])
def test_a_mark_40_percent_as_tall_as_the_tallest_is_a_digit_not_a_piece(nb, height, joined):
    """Beside a digit 100 rows tall and 5 columns off its side: a piece (a 5's bar) when under 40
    rows, a digit of its own from 40 rows on, which must share half its width to join."""
    assert nb.one_digit((0, 100, 0, 20), (30, 30 + height, 25, 45), tallest=100) is joined


@pytest.mark.parametrize("gap, joined", [(49, True), (50, False)])
def test_a_short_mark_joins_a_digit_less_than_half_its_height_below_it(nb, gap, joined):
    assert nb.one_digit((0, 100, 0, 20), (100 + gap, 120 + gap, 0, 20), tallest=100) is joined


@pytest.mark.parametrize("gap, joined", [(24, True), (25, False)])
def test_stacked_pieces_a_quarter_of_the_taller_apart_are_two_rows(nb, gap, joined):
    """Two tall pieces in the same columns (a 1 broken by a skipping pen, or two rows)."""
    assert nb.one_digit((0, 100, 0, 20), (100 + gap, 160 + gap, 0, 20), tallest=100) is joined


@pytest.mark.parametrize("height, digits, missing", [(40, 2, {"size": [2]}), (39, 1, {"mark": [1]})])
def test_a_mark_apart_is_a_digit_from_40_percent_of_the_tallest(nb, height, digits, missing):
    ink = np.zeros((120, 120), np.float32)
    ink[0:100, 0:10] = 1
    ink[60 : 60 + height, 60:70] = 1  # 50 columns away: too far to be a piece of the 1.
    found, noted = nb.find_digits(ink, 0.5)
    assert (len(found), noted) == (digits, missing)  # A digit 2.5 times smaller, or a mark: noted.


@pytest.mark.parametrize("length, box", [(10, (0, 100, 0, 17)), (9, (0, 100, 0, 10))])
def test_a_mark_a_tenth_as_long_as_the_tallest_is_kept_and_a_shorter_one_is_dust(nb, length, box):
    ink = np.zeros((120, 40), np.float32)
    ink[0:100, 0:10] = 1
    ink[50 : 50 + length, 16] = 1  # A hairline 6 columns off the 1's side: a piece of it, or dust.
    assert boxes_found(nb, ink) == [box]


@pytest.mark.parametrize("column, box", [(25, (0, 100, 0, 26)), (26, (0, 100, 0, 10))])
def test_a_short_mark_joins_a_digit_up_to_mark_reach_beyond_its_side(nb, column, box):
    """15 columns beyond a 1 100 rows tall (MARK_REACH of it) a short mark is a piece of it."""
    ink = np.zeros((120, 40), np.float32)
    ink[0:100, 0:10] = 1
    ink[40:60, column] = 1
    assert boxes_found(nb, ink) == [box]


@pytest.mark.parametrize("width, digits", [(46, 1), (47, 2)])
def test_a_mark_is_cut_at_its_neck_only_when_over_max_width_times_its_height(nb, width, digits):
    """Two blocks 40 rows tall joined by a thin bar: 46 columns is 1.15 × 40, not over it."""
    ink = np.zeros((60, 80), np.float32)
    ink[10:50, 10 : 10 + width - 26] = 1
    ink[28:30, 10 + width - 26 : 10 + width - 20] = 1  # The neck, 2 rows thick.
    ink[10:50, 10 + width - 20 : 10 + width] = 1
    assert len(nb.find_digits(ink, 0.5)[0]) == digits


@pytest.mark.parametrize("bridges, digits", [(3, 2), (4, 1)])
def test_touching_digits_are_cut_where_a_column_holds_at_most_one_and_a_half_strokes(
    nb, bridges, digits
):
    """Two combs of one-pixel lines (strokes 2 pixels wide by stroke_width's measure), 10 teeth
    each, joined by bridges of one-pixel lines: 3 pixels a column is 1.5 strokes, a neck."""
    ink = np.zeros((40, 50), np.float32)
    ink[10:29, [10, 37]] = 1  # The combs' backs,
    ink[10:29:2, 10:22] = ink[10:29:2, 26:38] = 1  # their teeth,
    ink[[12, 16, 20, 24][:bridges], 22:26] = 1  # and the bridges between them.
    assert nb.stroke_width(ink > 0) == 2
    assert len(nb.find_digits(ink, 0.5)[0]) == digits


@pytest.mark.parametrize("short, digits", [(30, 2), (29, 1)])
def test_a_wide_mark_is_cut_only_into_halves_60_percent_as_tall_as_it(nb, short, digits):
    """A block 50 rows tall, a thin neck, and a block 30 rows tall (0.6 × 50): cut in two; one
    row shorter, the short half could be a flourish: the mark stays whole."""
    ink = np.zeros((70, 90), np.float32)
    ink[10:60, 10:40] = 1
    ink[40:42, 40:42] = 1  # The neck.
    ink[60 - short : 60, 42:72] = 1
    assert len(nb.find_digits(ink, 0.5)[0]) == digits


@pytest.mark.parametrize("mark, noted", [((20, 25), True), ((20, 24), False), ((25, 1), True),
                                         ((24, 1), False)])
def test_a_mark_a_quarter_as_tall_or_a_tenth_of_the_ink_is_noted(nb, mark, noted):
    """Beside one digit 100 × 50 (5,000 pixels of ink): a mark 25 rows tall, or holding 500
    pixels of ink, may be a digit; one row or one column less is not."""
    part = np.ones(mark, np.float32)
    marks = [(part, (0, mark[0], 100, 100 + mark[1]))]
    noted_marks = {"mark": [1]} if noted else {}
    assert nb.missing_digits([digits_in_a_row(0, [0])], marks) == noted_marks


@pytest.mark.parametrize("tall, note", [(180, {}), (181, {"size": [1]})])
def test_sizes_are_noted_when_one_digit_is_over_max_sizes_times_another(nb, tall, note):
    assert nb.missing_digits([digits_in_a_row(0, [0, 85], [100, tall])], marks=[]) == note


@pytest.mark.parametrize("digit", [1, 2, 3])
def test_a_mark_left_out_is_noted_beside_the_digit_nearest_it(nb, digit):
    """A mark 30 rows tall under one of three digits: the note names that digit."""
    left = 85 * (digit - 1) + 20
    marks = [(np.ones((30, 10), np.float32), (120, 150, left, left + 10))]
    assert nb.missing_digits([digits_in_a_row(0, [0, 85, 170])], marks) == {"mark": [digit]}


def test_a_digit_whose_top_is_at_the_rows_bottom_starts_the_next_row(nb):
    """Only a digit whose top is above the row's bottom joins the row: this one is read second,
    though it stands to the left."""
    ink = np.zeros((200, 150), np.float32)
    ink[0:100, 100:150] = ink[100:200, 0:50] = 1
    assert boxes_found(nb, ink) == [(0, 100, 100, 150), (100, 200, 0, 50)]


def test_a_pencil_digit_beside_a_pen_digit_in_a_flat_drawing_is_raised_to_the_pens_ink(nb):
    """Noise-free white paper: each mark is still cut at a share of its own darkest."""
    drawing = np.full((100, 140), 255, np.uint8)
    drawing[20:80, 30:36] = 0  # A 1 in black pen,
    drawing[20:80, 100:106] = 170  # and one in grey pencil.
    ink, threshold = nb.find_ink(nb.grayscale(Image.fromarray(drawing)))
    assert ink[20:80, 100:106].min() == pytest.approx(ink[20:80, 30:36].min(), rel=0.01)
    assert ink[20:80, 100:106].min() > threshold


@pytest.mark.parametrize("extra, side", [(0, 2048), (1, 1025)])
def test_a_picture_over_twice_the_work_size_is_reduced_before_the_work(nb, extra, side):
    """Up to 2,048 pixels wide it is worked whole; one pixel more, at half its size."""
    grey = nb.grayscale(Image.new("L", (2 * nb.WORK_SIZE + extra, 10), 255))
    assert grey.shape[1] == side


def test_a_picture_file_pillow_finds_short_of_data_is_refused_as_corrupt(nb, tmp_path):
    """Pillow raises a ValueError (no error number) for this damaged BMP header."""
    data = io.BytesIO()
    Image.new("L", (40, 40), 200).save(data, "BMP")
    damaged = bytearray(data.getvalue())
    damaged[30] ^= 1  # The compression field.
    (tmp_path / "damaged.bmp").write_bytes(bytes(damaged))
    with pytest.raises(nb.DigitImageError, match=r"truncated or corrupt \(not enough image data\)"):
        nb.load_digit_image(tmp_path / "damaged.bmp")


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    update()
