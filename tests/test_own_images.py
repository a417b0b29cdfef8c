"""Tests of the notebook's "Try your own handwriting" helpers and of its folder mode."""

import builtins
import csv
import errno
import io
import os
import pathlib
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from notebook import ROOT, FixedModel, code_cell, exec_cell, prepare_one
from pictures import cast_shadow, huge_png_header, on_ruled_paper, render_photo, two_photo_sheet
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

MODES = ["L", "RGB", "RGBA", "LA", "P", "1", "I;16", "CMYK"]


@pytest.fixture(scope="module")
def mnist_test(nb, mnist_dir):
    return nb.load_mnist_files(mnist_dir)[1]


def digit_like_picture(width, height, points, line_width, ink, paper, mode):
    """A picture of a polyline 'digit' in the given grey levels, converted to mode."""
    image = Image.new("L", (width, height), paper)
    ImageDraw.Draw(image).line(points, fill=ink, width=line_width, joint="curve")
    if mode == "RGBA":
        rgba = image.convert("RGBA")
        rgba.putalpha(255)
        return rgba
    if mode == "I;16":
        return Image.fromarray(np.asarray(image).astype(np.uint16) * 257)
    if mode == "1":
        return image.point(lambda value: 255 if value > (ink + paper) / 2 else 0).convert("1")
    return image.convert(mode)


@st.composite
def pictures(draw):
    width, height = draw(st.integers(12, 400)), draw(st.integers(12, 400))
    # The digit's box: anywhere in the picture but its outermost pixels, at least a third of its
    # shorter side. (A stroke lying along the edge is taken for the paper there: "no ink found".)
    side = min(width, height)
    box_w = draw(st.integers(max(4, side // 3), width - 2))
    box_h = draw(st.integers(max(4, side // 3), height - 2))
    left, top = draw(st.integers(1, width - box_w - 1)), draw(st.integers(1, height - box_h - 1))
    fractions = draw(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=2, max_size=5))
    points = [(left + fx * (box_w - 1), top + fy * (box_h - 1)) for fx, fy in fractions]
    xs, ys = [x for x, _ in points], [y for _, y in points]
    if max(xs) - min(xs) + max(ys) - min(ys) < 3:  # Not a mere dot: a line to the box's farthest corner.
        far_x = left + box_w - 1 if xs[0] < left + box_w / 2 else left
        points.append((far_x, top + box_h - 1 if ys[0] < top + box_h / 2 else top))
    line_width = draw(st.integers(1, max(1, min(box_w, box_h) // 6)))
    paper = draw(st.integers(0, 255))
    ink = draw(st.integers(0, 255).filter(lambda value: abs(value - paper) >= 80))
    return digit_like_picture(width, height, points, line_width, ink, paper, draw(st.sampled_from(MODES)))


# Derandomized: the same 60 pictures each run. A search of 20,000 found one miss in 12–60-pixel
# pictures besides strokes on the edge: the test below.
@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(picture=pictures())
def test_prepare_digits_gives_centred_mnist_style_inputs(nb, picture):
    """A scribble may be read as several digits (a wide zigzag); each is an MNIST-style input."""
    inputs, measures = nb.prepare_digits(picture)
    assert inputs.shape == (len(measures), 28, 28) and inputs.dtype == np.float32 and len(inputs) >= 1
    for digit in inputs:
        assert 0 <= digit.min() and digit.max() <= 1 and digit.max() > 0.5
        center = np.array(ndimage.center_of_mass(digit))
        assert np.all(np.abs(center - nb.MNIST_CENTER) <= 1), center
        rows, cols = np.nonzero(digit > 0.1)
        assert max(np.ptp(rows), np.ptp(cols)) + 1 <= nb.MNIST_BOX + 4  # Scaled to MNIST's 20-px box.


@pytest.mark.xfail(strict=True, reason="not mended yet: the 7 is cut in two at a neck column")
def test_a_tiny_seven_of_one_pixel_strokes_is_one_centred_digit(nb):
    """Found by a random search (20 × 20, light ink on dark, a palette picture): the bar and the
    diagonal are read as two digits, and the bar's input carries a stray pixel 2.3 rows off centre."""
    points = [(5.37, 18.0), (16.0, 6.0), (1.0, 6.0), (4.84, 7.41)]
    inputs, _ = nb.prepare_digits(digit_like_picture(20, 20, points, 1, 131, 37, "P"))
    assert len(inputs) == 1
    assert np.all(np.abs(np.array(ndimage.center_of_mass(inputs[0])) - nb.MNIST_CENTER) <= 1)


@pytest.mark.parametrize("ink, paper", [(0, 255), (255, 0), (40, 200)])
def test_prepare_digit_makes_white_ink_on_black_whatever_the_polarity(nb, ink, paper):
    picture = digit_like_picture(300, 200, [(100, 30), (160, 170)], 12, ink, paper, "RGB")
    digit = prepare_one(nb, picture)
    assert digit[0].max() == 0 and digit[:, 0].max() == 0 and digit.max() == 1  # Black frame, white ink.


@pytest.mark.parametrize("mode", ["I;16", "P", "RGBA", "1"])
def test_large_pictures_are_reduced_in_any_mode(nb, mode):
    picture = digit_like_picture(2600, 2100, [(1200, 300), (1300, 1800)], 40, 20, 230, mode)
    digit = prepare_one(nb, picture)
    assert digit.shape == (28, 28) and digit.max() == 1


def test_transparent_png_with_ink_in_the_alpha_channel(nb, tmp_path):
    alpha = np.asarray(digit_like_picture(120, 120, [(60, 10), (60, 110)], 8, 255, 0, "L"))
    for color in (0, 255):  # Black or white ink, painted only through the alpha channel.
        rgba = np.zeros((120, 120, 4), np.uint8)
        rgba[..., :3], rgba[..., 3] = color, alpha
        Image.fromarray(rgba, "RGBA").save(tmp_path / f"ink{color}.png")
        digit = prepare_one(nb, nb.load_digit_image(tmp_path / f"ink{color}.png"))
        assert digit.max() == 1 and digit[:, :8].max() == 0


def test_exif_rotation_is_applied(nb, tmp_path):
    picture = digit_like_picture(200, 100, [(20, 50), (180, 50)], 6, 0, 255, "RGB")  # A horizontal bar.
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display.
    picture.save(tmp_path / "rotated.jpg", exif=exif.tobytes())
    assert nb.load_digit_image(tmp_path / "rotated.jpg").size == (100, 200)


def bad_files(folder):
    """Write one file per kind of bad input; return {file name: expected words of the reason}."""
    good = io.BytesIO()
    digit_like_picture(200, 200, [(100, 20), (100, 180)], 10, 0, 255, "RGB").save(good, "PNG")
    jpeg = io.BytesIO()
    digit_like_picture(200, 200, [(100, 20), (100, 180)], 10, 0, 255, "RGB").save(jpeg, "JPEG")
    (folder / "notes.png").write_text("These are not pixels.\n")
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "truncated.png").write_bytes(good.getvalue()[: len(good.getvalue()) // 2])
    (folder / "truncated.jpg").write_bytes(jpeg.getvalue()[:400])
    Image.new("RGB", (300, 200), "white").save(folder / "blank.png")
    Image.new("L", (64, 64), 128).save(folder / "uniform.jpg")
    (folder / "bomb.png").write_bytes(huge_png_header(30_000, 30_000))
    Image.new("LAB", (64, 64), (50, 0, 0)).save(folder / "lab.tif")
    return {
        "notes.png": "not a picture",
        "empty.jpg": "the file is empty (0 bytes); use a PNG",
        "truncated.png": "truncated",
        "truncated.jpg": "truncated",
        "blank.png": "no ink",
        "uniform.jpg": "no ink",
        "bomb.png": "too large",
        "lab.tif": "no ink",  # Pillow converts LAB pictures; this one is uniform.
    }


def test_each_bad_file_gives_one_clear_error(nb, untrained_model, tmp_path):
    expected = bad_files(tmp_path)
    for name, words in expected.items():
        with pytest.raises(nb.DigitImageError) as caught:
            prepare_one(nb, nb.load_digit_image(tmp_path / name), name)
        assert str(caught.value).startswith(f"{name}: ") and words in caught.value.reason, str(caught.value)
    table, errors = nb.recognize_files(untrained_model, [tmp_path / name for name in expected])
    assert table.empty
    assert sorted(file for file, _ in errors) == sorted(expected)


def test_a_folder_predicts_the_good_files_and_lists_the_bad_ones(nb, untrained_model, tmp_path):
    expected = bad_files(tmp_path)
    for name in ("b.png", "a.jpg", "c.webp", "d.gif", "e.bmp"):
        digit_like_picture(90, 120, [(30, 20), (60, 100)], 6, 30, 220, "RGB").save(tmp_path / name)
    (tmp_path / ".DS_Store").write_bytes(b"\0\1")
    paths, skipped, is_folder = nb.pictures_in(tmp_path)
    assert is_folder and [name for name, _ in skipped] == [".DS_Store"]  # And .tif is read (#29).
    assert "hidden" in skipped[0][1]
    table, errors = nb.recognize_files(untrained_model, paths)
    assert list(table.file) == ["a.jpg", "b.png", "c.webp", "d.gif", "e.bmp"]
    assert table.predicted.str.fullmatch(r"\d+").all() and table.confidence.between(0, 1).all()
    assert np.allclose(np.concatenate(list(table.probabilities)).sum(axis=1), 1, atol=1e-5)
    assert sorted(file for file, _ in errors) == sorted(expected)


def render_folder(nb, images, labels, indexes, folder, seed):
    rng = np.random.default_rng(seed)
    for index in indexes:
        render_photo(images[index], rng).save(folder / f"{index:05d}.jpg", quality=85)
    return {f"{index:05d}.jpg": labels[index] for index in indexes}


def test_accuracy_on_rendered_photos_is_above_a_floor(nb, quick_model, mnist_test, tmp_path):
    images, labels = mnist_test
    indexes = np.random.default_rng(7).choice(len(images), size=150, replace=False)
    truth = render_folder(nb, images, labels, indexes, tmp_path, seed=7)
    table, errors = nb.recognize_files(quick_model, sorted(tmp_path.iterdir()))
    assert errors == []
    accuracy = np.mean(table.predicted.to_numpy() == table.file.map(truth).astype(str).to_numpy())
    clean = np.mean(quick_model.predict(images[indexes] / 255.0, verbose=0).argmax(axis=1) == labels[indexes])
    assert accuracy >= 0.9 and accuracy >= clean - 0.05, (accuracy, clean)


def test_ruled_lines_are_erased_from_photos(nb, quick_model, mnist_test):
    images, labels = mnist_test
    rng = np.random.default_rng(11)
    for index in [0, 1, 2, 3, 4, 7]:  # 7, 2, 1, 0, 4, 9
        photo = render_photo(images[index], rng)
        plain = prepare_one(nb, photo) > 0.5
        for grid in (False, True):
            ruled = prepare_one(nb, on_ruled_paper(photo, grid=grid))
            # The same digit up to a pixel's shift (the centre of mass is rounded to whole pixels).
            shifted = [np.roll(ruled > 0.5, (down, right), (0, 1)) for down in (-1, 0, 1) for right in (-1, 0, 1)]
            overlap = max((plain & other).sum() / (plain | other).sum() for other in shifted)
            assert overlap > 0.8, (index, grid, overlap)
            assert quick_model.predict(ruled[None], verbose=0).argmax() == labels[index], (index, grid)


def test_photos_with_a_cast_shadow_read_about_as_well_as_without(nb, quick_model, mnist_test, tmp_path):
    """Issue 18: a straight shadow edge across the photo, at any angle, hard or soft, the far side at 45-70 %
    of the light (the benchmark's cast_shadow), on the same photos as without."""
    images, labels = mnist_test
    indexes = np.random.default_rng(18).choice(len(images), size=60, replace=False)
    rng, shadow_rng = np.random.default_rng(18), np.random.default_rng(19)
    for index in indexes:
        photo = render_photo(images[index], rng)
        photo.save(tmp_path / f"{index:05d}.jpg", quality=85)
        cast_shadow(photo, shadow_rng).save(tmp_path / f"{index:05d}-shadow.jpg", quality=85)
    table, errors = nb.recognize_files(quick_model, sorted(tmp_path.iterdir()))
    assert errors == []
    right = table.predicted.to_numpy() == table.file.map(lambda name: str(labels[int(name[:5])])).to_numpy()
    shadowed = table.file.str.contains("shadow").to_numpy()
    plain, shadow = right[~shadowed].mean(), right[shadowed].mean()
    assert shadow >= 0.9 and shadow >= plain - 0.05, (shadow, plain)


def test_two_digit_sheets_are_read_as_numbers_or_noted(nb, quick_model, mnist_test):
    """Issue 18: two digits photographed apart and pasted side by side are read right, or carry a note."""
    images, labels = mnist_test
    rng = np.random.default_rng(20)
    pairs = [rng.choice(len(images), 2, replace=False) for _ in range(60)]
    sheets = [(f"{number:02d}", two_photo_sheet([render_photo(images[index], rng) for index in pair]))
              for number, pair in enumerate(pairs)]
    table, errors = nb.recognize_files(quick_model, sheets)
    assert errors == []
    right = table.predicted.to_numpy() == np.array(["".join(map(str, labels[pair])) for pair in pairs])
    noted = table.note.to_numpy() != ""
    assert right.mean() >= 0.85 and (right | noted).mean() >= 0.96, (right.mean(), (right | noted).mean())


@pytest.mark.parametrize("edge", ["vertical", "horizontal", "diagonal"])
def test_a_typed_digit_with_a_hard_shadow_edge_through_the_middle_reads_right(nb, quick_model, edge):
    font = ImageFont.load_default(size=160)  # Pillow's own scalable font, on every machine.
    rows, cols = np.indices((240, 200))
    shade = {"vertical": cols >= 100, "horizontal": rows >= 120, "diagonal": (cols - 100) * 0.6 + rows - 120 > 0}
    for digit in (0, 2, 3, 4, 5, 7):  # Those that the model reads in this font, without a shadow.
        picture = Image.new("RGB", (200, 240), "white")
        ImageDraw.Draw(picture).text((100, 120), str(digit), fill=(20, 20, 20), font=font, anchor="mm")
        plain = prepare_one(nb, picture)
        pixels = np.asarray(picture, np.float32) * np.where(shade[edge], 0.5, 1.0)[..., None]
        shadowed = prepare_one(nb, Image.fromarray(pixels.astype(np.uint8)))
        overlap = ((plain > 0.5) & (shadowed > 0.5)).sum() / ((plain > 0.5) | (shadowed > 0.5)).sum()
        assert overlap > 0.8, (digit, overlap)
        assert quick_model.predict(shadowed[None], verbose=0).argmax() == digit, digit


@pytest.mark.parametrize("paper, pen", [(255, 0), (60, 230)], ids=["black on white", "dark mode"])
@pytest.mark.parametrize("stem", [19, 26], ids=["inside", "touching the right edge"])
def test_long_strokes_of_a_drawing_are_not_taken_for_ruled_lines(nb, stem, paper, pen):
    """A flat drawing's two long strokes are kept, even where one touches the picture's edge
    (issue 28), also drawn light on a dark grey (a drawing app's dark mode)."""
    drawing = np.full((28, 28), paper, np.uint8)
    drawing[4:25, 6:8] = drawing[4:25, stem : stem + 2] = drawing[14:16, 6:stem] = pen  # A square 4.
    ink, threshold = nb.find_ink(nb.grayscale(Image.fromarray(drawing)))
    assert np.array_equal(ink > threshold, drawing == pen)
    # Each stroke pixel holds the pen's share of the way from the paper to the far end of the greys.
    assert np.allclose(ink[drawing == pen], abs(pen - paper) / max(paper, 255 - paper))


# Fail fast and say why (issue 12): the picture size limit, odd files and folders, doubtful answers.


def test_pictures_over_pillows_size_limit_are_refused_in_words(nb, tmp_path):
    """Pillow's own limit (Image.MAX_IMAGE_PIXELS, 89,478,485 pixels) is the one: under it, read; over it, refused."""
    limit = nb.Image.MAX_IMAGE_PIXELS
    sizes = {"under.png": (9000, 9000), "over.png": (11_000, 11_000), "bomb.png": (30_000, 30_000)}
    for name, (width, height) in sizes.items():
        (tmp_path / name).write_bytes(huge_png_header(width, height))
    with pytest.raises(nb.DigitImageError) as caught:  # Under the limit: read, and found truncated.
        nb.load_digit_image(tmp_path / "under.png")
    assert "truncated" in caught.value.reason and "too large" not in caught.value.reason
    for name in ("over.png", "bomb.png"):
        with pytest.raises(nb.DigitImageError) as caught:
            nb.load_digit_image(tmp_path / name)
        assert caught.value.reason.startswith(f"the picture is too large (over Pillow's limit of {limit:,} pixels")
        assert caught.value.reason.endswith("resize it to a few megapixels"), caught.value.reason


def test_a_file_that_cannot_be_read_says_permission_denied(nb, tmp_path, monkeypatch):
    """As root, chmod 000 does not stop reading, so there the refusal is made by open itself."""
    path = tmp_path / "secret.png"
    digit_like_picture(60, 60, [(30, 5), (30, 55)], 5, 0, 255, "RGB").save(path)
    path.chmod(0)
    if os.geteuid() == 0:
        real_open = builtins.open

        def refusing_open(file, *args, **kwargs):
            if os.fspath(file) == str(path):
                raise PermissionError(errno.EACCES, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", refusing_open)
    with pytest.raises(nb.DigitImageError) as caught:
        nb.load_digit_image(path)
    assert caught.value.reason == "the file cannot be read (permission denied)"


def test_a_folder_that_cannot_be_read_says_permission_denied(nb, tmp_path, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0)
    if os.geteuid() == 0:
        real_iterdir = pathlib.Path.iterdir

        def refusing_iterdir(self):
            if self == folder:
                raise PermissionError(errno.EACCES, "Permission denied", str(self))
            return real_iterdir(self)

        monkeypatch.setattr(pathlib.Path, "iterdir", refusing_iterdir)
    try:
        with pytest.raises(nb.DigitImageError) as caught:
            nb.pictures_in(folder)
    finally:
        folder.chmod(0o755)
    assert str(caught.value) == "locked: the folder cannot be read (permission denied)"


def test_a_named_pipe_or_a_device_is_not_taken_for_a_missing_file(nb, tmp_path):
    os.mkfifo(tmp_path / "pipe.png")
    (tmp_path / "zero.png").symlink_to("/dev/zero")
    (tmp_path / "broken.png").symlink_to(tmp_path / "nothing.png")
    expected = {"pipe.png": "a named pipe (FIFO)", "zero.png": "a device", "broken.png": "a broken link"}
    for name, kind in expected.items():
        with pytest.raises(nb.DigitImageError) as caught:
            nb.load_digit_image(tmp_path / name)  # Reading the pipe or /dev/zero would never end.
        assert caught.value.reason.startswith(f"not a picture file but {kind}"), caught.value.reason
    with pytest.raises(nb.DigitImageError, match=r"pipe\.png: a named pipe \(FIFO\), not a picture file or a"):
        nb.pictures_in(tmp_path / "pipe.png")
    with pytest.raises(nb.DigitImageError, match="no such file; check the name"):
        nb.load_digit_image(tmp_path / "nothing.png")


def test_a_folder_lists_what_it_skips_and_why(nb, tmp_path):
    (tmp_path / "b.png").write_bytes(b"")
    (tmp_path / "a subfolder").mkdir()
    (tmp_path / ".hidden.png").write_bytes(b"")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / "notes.txt").write_text("digits\n")
    paths, skipped, _ = nb.pictures_in(tmp_path)
    assert [path.name for path in paths] == ["b.png"]
    reasons = dict(skipped)
    assert list(reasons) == [".hidden.png", ".ipynb_checkpoints", "a subfolder", "notes.txt"]
    assert "hidden" in reasons[".hidden.png"] and "hidden" in reasons[".ipynb_checkpoints"]
    assert "a subfolder" in reasons["a subfolder"] and "not a picture file" in reasons["notes.txt"]


def test_an_empty_folder_says_so_and_writes_a_header_only(nb, untrained_model, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    paths, skipped, is_folder = nb.pictures_in(folder)
    assert paths == [] and is_folder and skipped == [("empty", skipped[0][1])]
    assert "the folder holds no picture file" in skipped[0][1]
    table, errors = nb.recognize_files(untrained_model, paths)
    message = nb.save_predictions(table, tmp_path / "predictions.csv")
    assert message == "Wrote predictions.csv with its header only: no picture in the folder could be read"
    assert (tmp_path / "predictions.csv").read_text() == "file,predicted,confidence,note\n"


def test_pictures_in_memory_are_recognized_and_kept_for_display(nb, untrained_model, mnist_test):
    images, _ = mnist_test
    photo = render_photo(images[0], np.random.default_rng(0))
    table, errors = nb.recognize_files(untrained_model, [("rendered 7", photo)])
    assert errors == [] and list(table.file) == ["rendered 7"] and table.picture[0] is photo
    assert nb.load_digit_image(table.picture[0]) is photo


def noise_picture(seed, mode):
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(100, 400)), int(rng.integers(100, 400))) + ((3,) if mode == "RGB" else ())
    return Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8))


def side_by_side(images, first, second, gap=6):
    """Two MNIST digits next to each other, on a square canvas, rendered as one photo."""
    canvas = np.zeros((56 + gap, 56 + gap), np.uint8)
    top = gap // 2 + 14
    canvas[top : top + 28, :28], canvas[top : top + 28, 28 + gap :] = images[first], images[second]
    return canvas


def test_doubtful_answers_get_a_note(nb, quick_model, mnist_test):
    images, labels = mnist_test
    rng = np.random.default_rng(5)
    pictures = [(f"noise {seed} {mode}", noise_picture(seed, mode)) for seed in range(4) for mode in ("L", "RGB")]
    pictures += [(f"clear {index}", render_photo(images[index], rng)) for index in (0, 1, 2, 3, 4)]
    pictures += [("pair 7 2", render_photo(side_by_side(images, 0, 1), rng))]  # A 7 (larger) and a 2.
    table, errors = nb.recognize_files(quick_model, pictures)
    # Noise of thousands of separate specks is refused at once (issue 29), the rest is noted.
    refused = "too many separate marks"
    assert all(name.startswith("noise") and refused in reason for name, reason in errors)
    notes = dict(zip(table.file, table.note))
    noise = {name: note for name, note in notes.items() if name.startswith("noise")}
    assert all(note.startswith(nb.NO_CLEAR_DIGIT) for note in noise.values()), (noise, errors)
    assert all(notes[f"clear {index}"] == "" for index in (0, 1, 2, 3, 4)), notes
    assert dict(zip(table.file, table.predicted))["pair 7 2"] == "72" and notes["pair 7 2"] == "", table


def test_doubt_note_reads_the_models_answer_and_the_inks_measures(nb):
    digit = np.zeros((28, 28), np.float32)
    digit[4:24, 12:15] = 1.0  # A "1": 6 % ink.
    clear = np.eye(10)[1]
    one_piece = {"missing": {}, "largest_piece": 1.0, "pieces": 1}

    def note(probabilities, digit, measures):  # One digit: stacks of one.
        return nb.doubt_note(probabilities[None], digit[None], [measures])

    assert note(clear, digit, one_piece) == ""
    assert note(np.full(10, 0.1), digit, one_piece) == "no clear digit"
    assert note(clear, np.ones((28, 28)) * 0.3, one_piece) == "no clear digit"
    assert note(clear, digit, one_piece | {"largest_piece": 0.1}) == "no clear digit"
    assert note(clear, digit, one_piece | {"pieces": 500}) == "no clear digit"
    mark = {"missing": {"mark": [1]}}
    assert note(clear, digit, one_piece | mark) == "a mark left out may be a digit (beside digit 1)"
    assert note(np.full(10, 0.1), digit, one_piece | mark) == (
        "no clear digit; a mark left out may be a digit (beside digit 1)")
    three = nb.doubt_note(np.stack([np.full(10, 0.1), clear, np.full(10, 0.1)]), np.stack([digit] * 3),
                             [one_piece] * 3)
    assert three == "no clear digit (digit 1, 3)"


def test_the_helpers_call_no_pillow_api_that_colabs_pillow_deprecates(nb, mnist_test, monkeypatch):
    """Pillow 11.3, Colab's, deprecates Image.fromarray's mode argument; newer versions do not warn.

    Emulate that warning on any version, and run every helper that makes arrays into pictures.
    """
    real_fromarray = nb.Image.fromarray

    def fromarray(array, mode=None):
        if mode is not None:
            warnings.warn("'mode' parameter is deprecated and will be removed in Pillow 13", DeprecationWarning,
                          stacklevel=2)
        return real_fromarray(array)

    monkeypatch.setattr(nb.Image, "fromarray", fromarray)
    images, _ = mnist_test
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        photo = render_photo(images[0], np.random.default_rng(0))
        prepare_one(nb, photo)
        prepare_one(nb, images[1])


def test_picture_names_in_any_case_are_read_and_listed_in_name_order(nb, tmp_path):
    for name in ("IMG_1234.JPG", "b.Png", "a.jpeg", "Scan.WEBP", "notes.TXT"):
        (tmp_path / name).write_bytes(b"")
    paths, skipped, _ = nb.pictures_in(tmp_path)
    assert [path.name for path in paths] == ["IMG_1234.JPG", "Scan.WEBP", "a.jpeg", "b.Png"]
    assert [name for name, _ in skipped] == ["notes.TXT"]
    assert nb.pictures_in(tmp_path / "IMG_1234.JPG") == ([tmp_path / "IMG_1234.JPG"], [], False)


def test_recognize_files_sorts_by_name_floors_the_confidence_and_notes_doubt(nb, mnist_test):
    images, _ = mnist_test
    rng = np.random.default_rng(1)
    pictures = [(name, render_photo(images[index], rng)) for name, index in (("c", 0), ("a", 1), ("b", 2))]
    sure, unsure, saturated = np.full(10, 0.00004 / 9), np.full(10, 0.6 / 9), np.eye(10, dtype=np.float32)[7]
    sure[7], unsure[1] = 0.99996, 0.4
    table, errors = nb.recognize_files(FixedModel([sure, unsure, saturated]), pictures)
    assert errors == [] and list(table.file) == ["a", "b", "c"]  # The model saw them in name order.
    assert list(table.predicted) == ["7", "1", "7"]
    assert list(table.confidence) == [0.9999, 0.4, 0.9999]  # Rounded down: 0.99996, or even 1.0, shows as 0.9999.
    assert list(table.note) == ["", "no clear digit", ""]


def test_save_predictions_writes_the_rows_as_shown(nb, tmp_path):
    table = pd.DataFrame({"file": ["a.png", "b, c.jpg"], "predicted": [7, 1], "confidence": [0.9999, 0.4],
                          "note": ["", "no clear digit"], "input": [None, None]})
    message = nb.save_predictions(table, tmp_path / "predictions.csv")
    assert message == "Wrote predictions.csv with 2 row(s)"
    assert (tmp_path / "predictions.csv").read_text() == (
        'file,predicted,confidence,note\na.png,7,0.9999,\n"b, c.jpg",1,0.4,no clear digit\n')


def test_a_pixel_mode_pillow_cannot_convert_is_named(nb, monkeypatch):
    picture = Image.new("RGB", (40, 40), "white")

    def refuse(mode, *args, **kwargs):
        raise ValueError(f"conversion from RGB to {mode} not supported")

    monkeypatch.setattr(picture, "convert", refuse)
    words = r"^odd\.tif: unsupported pixel mode RGB; save it as an RGB PNG or JPEG$"
    with pytest.raises(nb.DigitImageError, match=words):
        nb.grayscale(picture, "odd.tif")


def test_a_photo_with_a_corrupt_exif_block_is_read_without_a_warning(nb, tmp_path):
    picture = digit_like_picture(120, 160, [(60, 20), (60, 140)], 10, 20, 230, "RGB")
    picture.save(tmp_path / "broken-exif.jpg", exif=b"Exif\x00\x00II*\x00\x08\x00\x00\x00\xff\xff\x01\x02garbage")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # In the notebook, a warning would show as stderr under the cell.
        image = nb.load_digit_image(tmp_path / "broken-exif.jpg")
        assert prepare_one(nb, image).max() == 1


def test_a_float_picture_with_huge_values_is_not_called_blank(nb):
    array = np.zeros((60, 40), np.float32)
    array[10:50, 18:23] = 1e6  # A "1" in floats far above 65,535, as some scientific TIFF files hold.
    digit = prepare_one(nb, array)
    assert digit.max() == 1 and np.array_equal(digit, prepare_one(nb, array / 1e6))


def test_the_sample_pictures_are_read_as_their_names_say(nb, quick_model):
    """samples/ holds photos rendered from MNIST test digits, named by their digits: one of them is a number."""
    paths, skipped, _ = nb.pictures_in(ROOT / "samples")
    table, errors = nb.recognize_files(quick_model, paths)
    truth = table.file.str.split("-").str[0]
    assert skipped == [] and errors == [] and (truth.str.len() > 1).any()
    assert (table.predicted == truth).sum() >= len(table) - 1, table[["file", "predicted", "confidence"]]


# Nothing breaks, round 3 (issue 29): hostile names, a safe CSV, the pictures people have.


def a_digit(path, **save):
    digit_like_picture(90, 120, [(45, 15), (45, 105)], 8, 20, 235, "RGB").save(path, **save)


def run_plot_cell(nb, model, table, monkeypatch):
    """Run the notebook's own figure cell on table, drawing the figure as a notebook would."""
    plt = nb.plt
    monkeypatch.setattr(plt, "show", lambda: plt.gcf().canvas.draw())
    namespace = dict(vars(nb), model=model, reader=model, own_table=table)
    exec(code_cell("Plot each picture, squeezed and prepared").source, namespace)
    plt.close("all")


def test_names_that_are_not_text_are_shown_and_written_escaped(
    nb, untrained_model, tmp_path, monkeypatch
):
    """A Windows zip's Latin-1 name (undecodable bytes), and a name matplotlib reads as $math$."""
    folder = tmp_path / "pictures"
    folder.mkdir()
    a_digit(os.fsdecode(bytes(folder) + b"/caf\xe9.png"))
    a_digit(folder / "$\\x$.png")
    paths, _, _ = nb.pictures_in(folder)
    table, errors = nb.recognize_files(untrained_model, paths)
    assert errors == [] and list(table.file) == ["$\\x$.png", "caf\\xe9.png"]
    run_plot_cell(nb, untrained_model, table, monkeypatch)
    nb.save_predictions(table, tmp_path / "predictions.csv")
    written = pd.read_csv(
        tmp_path / "predictions.csv", dtype={"predicted": str}, keep_default_na=False
    )
    assert list(written.file) == ["$\\x$.png", "caf\\xe9.png"]


def test_predictions_csv_is_exact_and_safe_in_a_spreadsheet(nb, tmp_path):
    """RFC 4180 quoting (a carriage return too), OWASP's formula guard, predicted kept as text."""
    names = [
        '=HYPERLINK("http://x").png',
        "+1.png",
        "-1.png",
        "@sum.png",
        "\tt.png",
        "a\rb.png",
        'x, "y".png',
    ]
    table = pd.DataFrame(
        {
            "file": names,
            "predicted": ["007", "02134", "1", "2", "3", "4", "5"],
            "confidence": [0.9999, 0.5, 0.25, 0.125, 0.1, 0.2, 0.3],
            "note": [""] * 7,
        }
    )
    nb.save_predictions(table, tmp_path / "predictions.csv")
    raw = (tmp_path / "predictions.csv").read_bytes()
    assert raw.count(b"\r\n") == 8 and b'"a\rb.png"' in raw
    with open(tmp_path / "predictions.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    guarded = ["'" + name if name[0] in "=+-@\t" else name for name in names]
    assert (
        rows[0] == ["file", "predicted", "confidence", "note"]
        and [row[0] for row in rows[1:]] == guarded
    )
    read = pd.read_csv(
        tmp_path / "predictions.csv", dtype={"predicted": str}, keep_default_na=False
    )
    assert list(read.file) == guarded and list(read.predicted[:2]) == ["007", "02134"]
    assert 'dtype={"predicted": str}' in (ROOT / "README.md").read_text()  # How to read it back.


def test_a_picture_that_vanishes_after_recognition_is_still_shown_and_written(
    nb, untrained_model, tmp_path, monkeypatch
):
    for name in ("a.png", "b.jpg"):
        a_digit(tmp_path / name)
    table, errors = nb.recognize_files(untrained_model, sorted(tmp_path.iterdir()))
    (tmp_path / "a.png").unlink()  # Deleted, or moved by a sync client, before the figure.
    run_plot_cell(nb, untrained_model, table, monkeypatch)
    assert (
        nb.save_predictions(table, tmp_path / "predictions.csv")
        == "Wrote predictions.csv with 2 row(s)"
    )


def test_every_format_pillow_reads_is_read_from_folders(nb, tmp_path):
    for name in ("a.tif", "b.TIFF", "c.png"):
        a_digit(tmp_path / name)
    (tmp_path / "d.avif").write_bytes(b"")
    (tmp_path / "e.eps").write_text("%!PS-Adobe-3.0 EPSF-3.0\n")
    paths, skipped, _ = nb.pictures_in(tmp_path)
    avif = ["d.avif"] if "AVIF" in Image.OPEN else []
    assert [path.name for path in paths] == ["a.tif", "b.TIFF", "c.png", *avif]
    assert [name for name, _ in skipped] == ["e.eps"]  # Ghostscript's format: never opened.
    assert nb.load_digit_image(tmp_path / "a.tif").size == (90, 120)


def test_eps_bytes_are_never_handed_to_ghostscript(nb, tmp_path, monkeypatch):
    from PIL import EpsImagePlugin

    def never(*args, **kwargs):
        raise AssertionError("the EPS reader was called")

    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", never)
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "load", never)
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n0 0 moveto 9 9 lineto stroke\n"
    (tmp_path / "x.png").write_bytes(eps)
    with pytest.raises(nb.DigitImageError, match="not a picture Pillow can read"):
        nb.load_digit_image(tmp_path / "x.png")


def test_a_heic_photo_is_refused_with_the_iphone_setting_that_avoids_it(
    nb, untrained_model, tmp_path
):
    (tmp_path / "IMG_0001.HEIC").write_bytes(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(64))
    paths, skipped, _ = nb.pictures_in(tmp_path)
    assert [path.name for path in paths] == ["IMG_0001.HEIC"] and skipped == []
    _, errors = nb.recognize_files(untrained_model, paths)
    assert errors == [("IMG_0001.HEIC", errors[0][1])] and "HEIC photo" in errors[0][1]
    assert "Settings → Camera → Formats → Most Compatible" in errors[0][1]


def animation(path, first_has_ink):
    blank = Image.new("L", (90, 120), 235)
    digit = digit_like_picture(90, 120, [(45, 15), (45, 105)], 8, 20, 235, "L")
    frames = [digit, blank] if first_has_ink else [blank, digit]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=200)


def test_an_animated_picture_says_only_its_first_frame_was_read(nb, untrained_model, tmp_path):
    animation(tmp_path / "blank first.gif", first_has_ink=False)
    animation(tmp_path / "ink first.gif", first_has_ink=True)
    table, errors = nb.recognize_files(untrained_model, sorted(tmp_path.iterdir()))
    assert [file for file, _ in errors] == ["blank first.gif"]
    assert "no ink" in errors[0][1] and "only the first of its 2 frames was read" in errors[0][1]
    assert (
        list(table.file) == ["ink first.gif"]
        and "only the first of its 2 frames was read" in table.note[0]
    )


def test_a_folder_that_can_be_listed_but_not_searched_says_so(nb, tmp_path, monkeypatch):
    """Read permission without execute (x): emulated, as root would pass the check."""
    folder = tmp_path / "pictures"
    folder.mkdir()
    for name in ("a.png", "b.png"):
        a_digit(folder / name)
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        if pathlib.Path(path).parent == folder:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    with pytest.raises(nb.DigitImageError) as caught:
        nb.pictures_in(folder)
    assert str(caught.value).startswith(
        "pictures: the folder can be listed but not searched (permission denied)"
    )


def test_thousands_of_skipped_files_are_counted_with_a_few_examples(nb, tmp_path):
    for number in range(2000):
        (tmp_path / f"note{number:04d}.txt").write_bytes(b"")
    a_digit(tmp_path / "a.png")
    paths, skipped, _ = nb.pictures_in(tmp_path)
    assert [path.name for path in paths] == ["a.png"]
    assert [name for name, _ in skipped] == [
        "note0000.txt",
        "note0001.txt",
        "note0002.txt",
        "1,997 more files",
    ]
    assert len({reason for _, reason in skipped}) == 1


def test_a_picture_name_ending_in_a_space_is_explained(nb, tmp_path):
    a_digit(tmp_path / "x.png ", format="PNG")
    _, skipped, _ = nb.pictures_in(tmp_path)
    assert skipped[0] == ("x.png ", "skipped: its name ends with a space after .png; rename it")


def test_the_pictures_figure_names_each_file_in_legible_type(nb, untrained_model, monkeypatch):
    """Issue 30: the file names under the pictures were set in 7 points, too small at page width."""
    picture = digit_like_picture(90, 120, [(45, 15), (45, 105)], 8, 20, 235, "RGB")
    table, _ = nb.recognize_files(untrained_model, [("a-rather-long-name.png", picture)])
    namespace = vars(nb) | {"own_table": table, "reader": untrained_model}
    monkeypatch.setattr(nb.plt, "show", lambda: None)
    exec_cell(code_cell("#@title Plot each picture, squeezed and prepared"), namespace)
    titles = [axis.title for axis in nb.plt.gcf().axes if axis.get_title()]
    assert "a-rather-long-name.png" in "".join(t.get_text().replace("\n", "") for t in titles)
    assert min(title.get_fontsize() for title in titles) >= 9
    nb.plt.close("all")
