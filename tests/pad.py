"""The drawing pad's page as the tests play it: strokes on its canvas, the canvas as a PNG, and the
comm message that brings it to the kernel. Shared by the pad's tests and the convnet's."""

import io
import math

from pictures import pen_drawing

PAD_SIZE, PAD_WIDTH, PEN = 280, 560, 18  # The page's canvas (280 tall, 560 wide) and felt pen.
ONE = [[(150, 50), (138, 232)]]
SEVEN = [[(78, 62), (205, 58), (120, 236)]]
ZERO = [
    [
        (140 + 62 * math.sin(t / 20 * math.pi), 140 - 92 * math.cos(t / 20 * math.pi))
        for t in range(41)
    ]
]


def canvas(strokes):
    """What the page's canvas holds after these strokes: dark felt-pen lines on white, as RGBA."""
    return pen_drawing((PAD_WIDTH, PAD_SIZE), strokes, PEN, mode="RGBA")


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
    pad._handle_msg(
        {
            "content": {"data": {"method": "update", "state": state, "buffer_paths": buffer_paths}},
            "buffers": buffers,
        }
    )
