"""The drawing pad's kernel side: drawings arrive through the widget's synced state, answers leave by it."""

import io
import math
import sys
import types

import numpy as np
import pytest
from PIL import Image, ImageDraw
from test_own_images import huge_png_header

PAD_SIZE, PEN = 280, 18  # The page's canvas and felt pen.
ONE = [[(150, 50), (138, 232)]]
SEVEN = [[(78, 62), (205, 58), (120, 236)]]
ZERO = [[(140 + 62 * math.sin(t / 20 * math.pi), 140 - 92 * math.cos(t / 20 * math.pi)) for t in range(41)]]


def canvas(strokes):
    """What the page's canvas holds after these strokes: dark felt-pen lines on white, as RGBA."""
    image = Image.new("RGBA", (PAD_SIZE, PAD_SIZE), "white")
    draw = ImageDraw.Draw(image)
    for points in strokes:
        draw.line(points, fill="#111", width=PEN, joint="curve")
        for x, y in (points[0], points[-1]):  # Round ends.
            draw.ellipse((x - PEN / 2, y - PEN / 2, x + PEN / 2, y + PEN / 2), fill="#111")
    return image


def png(image):
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def send_from_page(pad, drawing, stroke):
    """Deliver a drawing as the page does: one comm update, the PNG bytes in a binary buffer."""
    state, buffer_paths, buffers = {"stroke": stroke}, [], []
    if isinstance(drawing, (bytes, bytearray)):
        buffer_paths, buffers = [["drawing"]], [memoryview(drawing)]
    else:
        state["drawing"] = drawing
    pad._handle_msg({"content": {"data": {"method": "update", "state": state, "buffer_paths": buffer_paths}},
                     "buffers": buffers})


def assert_answer(pad, digit):
    assert pad.digit == digit, pad.status
    assert len(pad.probabilities) == 10 and abs(sum(pad.probabilities) - 1) < 1e-3
    assert int(np.argmax(pad.probabilities)) == digit and f"Read as {digit}," in pad.status


def assert_draw_a_digit(pad):
    assert pad.digit is None and pad.probabilities == [] and pad.model_input == []
    assert pad.status.startswith("Draw a digit")


@pytest.mark.parametrize("strokes, digit", [(ONE, 1), (ZERO, 0), (SEVEN, 7)], ids=["one", "zero", "seven"])
def test_a_drawing_sent_by_the_page_is_read(nb, quick_model, strokes, digit):
    pad = nb["drawing_pad"](quick_model)
    send_from_page(pad, png(canvas(strokes)), stroke=1)
    assert pad.answered == 1
    assert_answer(pad, digit)
    # The page shows the very input the model saw: the photo preparation of the same drawing.
    expected = nb["prepare_digit"](canvas(strokes))
    assert np.array_equal(pad.model_input, np.round(expected * 255).astype(int))


def test_rows_of_grey_pixels_are_read_as_the_png_is(nb, untrained_model):
    pad = nb["drawing_pad"](untrained_model)
    send_from_page(pad, png(canvas(ZERO)), stroke=1)
    from_png = pad.probabilities
    send_from_page(pad, np.asarray(canvas(ZERO).convert("L")).tolist(), stroke=2)
    assert pad.answered == 2 and pad.digit == int(np.argmax(from_png))
    assert np.allclose(pad.probabilities, from_png, atol=1e-4)


def bad_payloads():
    truncated = png(canvas(ONE))[:300]
    return {
        "cleared": None,
        "empty bytes": b"",
        "blank canvas": png(Image.new("RGBA", (PAD_SIZE, PAD_SIZE), "white")),
        "transparent canvas": png(Image.new("RGBA", (PAD_SIZE, PAD_SIZE), (0, 0, 0, 0))),
        "not an image": b"<html>not a drawing</html>",
        "truncated png": truncated,
        "absurd size (header)": huge_png_header(30_000, 30_000),
        "absurd size (bytes)": b"\x89PNG\r\n\x1a\n" + bytes(5_000_000),
        "absurd size (rows)": [[0] * 3] * 100_000,
        "one pixel": [[0]],
        "ragged rows": [[0, 255], [255]],
        "rows of text": [["a", "b"], ["c", "d"]],
        "no rows": [],
        "text": "data:image/png;base64,not base64",
        "number": 7,
        "object": {"width": 280},
    }


@pytest.mark.parametrize("payload", bad_payloads().values(), ids=bad_payloads().keys())
def test_a_bad_payload_gives_the_draw_a_digit_state_and_never_raises(nb, untrained_model, payload):
    pad = nb["drawing_pad"](untrained_model)
    send_from_page(pad, png(canvas(ONE)), stroke=1)
    assert pad.digit is not None
    send_from_page(pad, payload, stroke=2)
    assert pad.answered == 2
    assert_draw_a_digit(pad)


def test_an_empty_pad_only_prompts_and_a_broken_drawing_says_so(nb, untrained_model):
    pad = nb["drawing_pad"](untrained_model)
    assert_draw_a_digit(pad)
    assert pad.status == nb["PAD_PROMPT"]
    send_from_page(pad, png(Image.new("RGBA", (PAD_SIZE, PAD_SIZE), "white")), stroke=1)
    assert pad.status == nb["PAD_PROMPT"]
    send_from_page(pad, b"not a png", stroke=2)
    assert pad.status.startswith("Draw a digit: ") and "not a picture" in pad.status


def test_a_failing_model_still_gives_an_answer_state(nb, untrained_model):
    pad = nb["drawing_pad"](untrained_model)

    def broken(images, training=False):
        raise RuntimeError("out of memory")

    pad.model = broken
    send_from_page(pad, png(canvas(ONE)), stroke=1)
    assert_draw_a_digit(pad)
    assert "RuntimeError" in pad.status


@pytest.mark.parametrize("save", ["save_keras", "save_h5"])
def test_a_saved_model_reads_drawings_as_the_original(nb, untrained_model, tmp_path, save):
    path = nb[save](untrained_model, tmp_path / f"model.{save.removeprefix('save_')}")
    original = nb["drawing_pad"](untrained_model)
    send_from_page(original, png(canvas(SEVEN)), stroke=1)
    loaded = nb["keras"].models.load_model(path, compile=False)
    for pad in (nb["drawing_pad"](path), nb["drawing_pad"](str(path)), nb["drawing_pad"](loaded)):
        send_from_page(pad, png(canvas(SEVEN)), stroke=1)
        assert pad.digit == original.digit and pad.probabilities == original.probabilities


def test_a_model_of_another_shape_is_refused(nb):
    keras = nb["keras"]
    other = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10)])
    with pytest.raises(ValueError, match="28×28 images to 10 probabilities"):
        nb["drawing_pad"](other)


def test_stored_and_headless_outputs_are_one_stable_sentence(nb, untrained_model):
    first, second = nb["drawing_pad"](untrained_model), nb["drawing_pad"](untrained_model)
    (data, _), (other, _) = first._repr_mimebundle_(), second._repr_mimebundle_()
    assert data["text/plain"] == other["text/plain"] == nb["PAD_HEADLESS_TEXT"]
    # The page's view: its model id differs between runs (nbval skips it; the normalizer strips it).
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == first.model_id


def test_in_colab_the_custom_widget_manager_is_enabled(nb, untrained_model, monkeypatch):
    calls = []
    output = types.ModuleType("google.colab.output")
    output.enable_custom_widget_manager = lambda: calls.append("enabled")
    colab = types.ModuleType("google.colab")
    colab.output = output
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.output", output)
    nb["drawing_pad"](untrained_model)
    assert calls and set(calls) == {"enabled"}


def test_the_pad_and_its_page_agree_on_names(nb):
    """The page's module reads and writes exactly the kernel's synced traits."""
    esm = nb["DrawingPad"]._esm
    for name in ("drawing", "stroke", "answered", "digit", "probabilities", "model_input", "status"):
        assert nb["DrawingPad"].class_traits()[name].metadata.get("sync") and f'"{name}"' in esm, name
    assert "https://" not in esm and "import " not in esm  # No network: the pad must work offline.
    assert "setPointerCapture" in esm and "touch-action: none" in nb["DrawingPad"]._css
