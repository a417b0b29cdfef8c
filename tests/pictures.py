"""Synthetic pictures for the tests and the benchmarks: phone photos of MNIST digits, pen drawings,
ruled and squared paper, cast shadows, numbers, odd files.

Test code of ours, not the notebook's: tests and benchmarks import it (benchmarks put tests/ on
sys.path); it imports nothing from benchmarks/ or from the test files.
"""

import struct
import zlib

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage


def render_photo(digit, rng):
    """A 28×28 MNIST digit (or several side by side) as a phone photo (an RGB PIL image): dark
    ink on tinted, unevenly lit paper, 100–600 pixels tall, off-centre on a larger canvas,
    slightly blurred and noisy."""
    digit = np.asarray(digit, np.float32) / (255 if np.max(digit) > 1 else 1)
    size = int(rng.integers(100, 601))
    ink = Image.fromarray(digit).resize(
        (round(size * digit.shape[1] / digit.shape[0]), size), Image.Resampling.BICUBIC
    )
    ink = np.clip(np.asarray(ink), 0, 1)
    width, height = (ink.shape[::-1] * rng.uniform(1.2, 2.0, size=2)).astype(int)
    top, left = rng.integers(0, height - size + 1), rng.integers(0, width - ink.shape[1] + 1)
    coverage = np.zeros((height, width), np.float32)
    coverage[top : top + size, left : left + ink.shape[1]] = ink
    coverage = ndimage.gaussian_filter(coverage, rng.uniform(0.3, 1.0) * size / 200)[..., None]
    paper = rng.uniform([215, 205, 170], [255, 250, 240]).astype(np.float32)  # White to yellowish.
    pen = rng.uniform([10, 10, 30], [70, 70, 130]).astype(np.float32)  # Black to blue.
    angle = rng.uniform(0, 2 * np.pi)  # Light falls off across the page in some direction.
    ramp = (
        np.cos(angle) * np.linspace(0, 1, width)[None, :]
        + np.sin(angle) * np.linspace(0, 1, height)[:, None]
    )
    light = (1 - rng.uniform(0, 0.2) * (ramp - ramp.min()) / max(np.ptp(ramp), 1e-6))[..., None]
    pixels = (paper * (1 - coverage) + pen * coverage) * light
    pixels += rng.standard_normal(pixels.shape, dtype=np.float32) * rng.uniform(2, 8)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))  # RGB, from the array's shape.


def naive_input(image):
    """A picture squeezed to 28×28 greys in [0, 1] as it is, with no preparation at all."""
    return np.asarray(image.convert("L").resize((28, 28)), np.float32) / 255


def pen_drawing(size, strokes, width, ink="#111111", paper="white", mode="RGB", zoom=1):
    """Pen strokes (lists of (x, y) points) with round ends, as a felt pen or the pad makes them.

    zoom > 1 draws the picture zoom times larger and averages it down: a pen of any real width.
    """
    image = Image.new(mode, (size[0] * zoom, size[1] * zoom), paper)
    draw, half = ImageDraw.Draw(image), width * zoom / 2
    for points in strokes:
        points = [(x * zoom, y * zoom) for x, y in points]
        draw.line(points, fill=ink, width=round(width * zoom), joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse((x - half, y - half, x + half, y + half), fill=ink)
    return image.reduce(zoom) if zoom > 1 else image


def on_ruled_paper(
    photo, spacing=None, offset=None, thickness=2, grid=False, color=(110, 140, 200)
):
    """The photo with thin ruled lines under its ink, every spacing pixels (a seventh of its
    height: about a third of a digit's) from offset (half a spacing); squared paper if grid.
    The pen's ink is darker than the lines."""
    spacing = spacing or photo.height // 7
    offset = spacing // 2 if offset is None else offset
    pixels = np.asarray(photo).copy()
    lines = np.zeros(pixels.shape[:2], bool)
    for shift in range(thickness):
        lines[offset + shift :: spacing] = True
        if grid:
            lines[:, offset + shift :: spacing] = True
    pixels[lines] = np.minimum(pixels[lines], color)
    return Image.fromarray(pixels)


def cast_shadow(picture, rng):
    """The picture (RGB, PIL) under a cast shadow: a straight edge at a random angle through a
    random point of it, hard or (half the time) soft, blurred over 0.5-5 % of its longest side;
    the far side at 45-70 % of the light. The shadow multiplies the light, so it dims the paper
    and the ink alike."""
    pixels = np.asarray(picture, np.float32)
    height, width = pixels.shape[:2]
    angle, row, col = rng.uniform(0, 2 * np.pi), rng.uniform(0, height), rng.uniform(0, width)
    rows, cols = np.ogrid[:height, :width]
    shade = ((cols - col) * np.cos(angle) + (rows - row) * np.sin(angle) > 0).astype(np.float32)
    if rng.random() < 0.5:
        shade = ndimage.gaussian_filter(shade, rng.uniform(0.005, 0.05) * max(height, width))
    light = 1 - (1 - rng.uniform(0.45, 0.7)) * shade
    return Image.fromarray(np.clip(pixels * light[..., None], 0, 255).astype(np.uint8))


def number_strip(images, rng, gaps):
    """MNIST digits (28×28 uint8) side by side in one float32 strip 40 pixels tall, with gaps."""
    strip = np.zeros((40, 8), np.float32)
    for number, (image, gap) in enumerate(zip(images, gaps)):
        side = round(28 * rng.uniform(0.8, 1.2))
        digit = Image.fromarray(image.astype(np.float32) / 255).resize(
            (side, side), Image.Resampling.BILINEAR
        )
        digit = np.asarray(digit)
        columns = np.flatnonzero(digit.max(axis=0) > 0.1)
        digit = digit[:, columns.min() : columns.max() + 1]
        top = int(np.clip(20 - side // 2 + rng.integers(-3, 4), 0, 40 - side))
        start = strip.shape[1] + (gap if number else 0)
        strip = np.pad(strip, ((0, 0), (0, max(0, start + digit.shape[1] - strip.shape[1]))))
        strip[top : top + side, start : start + digit.shape[1]] = np.maximum(
            strip[top : top + side, start : start + digit.shape[1]], digit
        )
    return np.pad(strip, ((0, 0), (0, 8)))


def two_photo_sheet(photos):
    """Photos pasted side by side, each scaled to the first one's height."""
    height = photos[0].height
    photos = [
        photo.resize((round(photo.width * height / photo.height), height)) for photo in photos
    ]
    sheet, left = Image.new("RGB", (sum(photo.width for photo in photos), height)), 0
    for photo in photos:
        sheet.paste(photo, (left, 0))
        left += photo.width
    return sheet


def huge_png_header(width, height):
    """A tiny PNG file announcing an enormous picture (a decompression bomb)."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
