"""Make the golden pictures of tests/test_preparation.py (run once; the PNG files are committed).

MNIST_DATA_DIR=/path/to/mnist python tests/golden/make_pictures.py
"""

import math
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pictures import on_ruled_paper, pen_drawing, render_photo  # noqa: E402


def arc(cx, cy, rx, ry, start, stop, steps=24):
    return [
        (
            cx + rx * math.cos(math.radians(start + (stop - start) * t / steps)),
            cy + ry * math.sin(math.radians(start + (stop - start) * t / steps)),
        )
        for t in range(steps + 1)
    ]


def main():
    from notebook import load_helpers, mnist_data_dir

    nb = load_helpers()
    _, (test_images, _) = nb.load_mnist_files(mnist_data_dir())
    rng = np.random.default_rng(2026)
    five = [[(92, 62), (88, 118)] + arc(118, 150, 42, 40, -120, 140)]
    pen_drawing((240, 240), five + [[(124, 56), (176, 52)]], 12, "#202020", "white").save(
        HERE / "five-detached-bar.png"
    )
    pen_drawing((280, 280), [[(150, 50), (138, 232)]], 18, "#111111", "white").save(
        HERE / "one-pad.png"
    )
    three = [arc(150, 100, 55, 45, -160, 90), arc(150, 195, 60, 50, -90, 160)]
    pen_drawing((300, 300), three, 3, "#1a1a60", "#f4f1e8").save(HERE / "three-thin-pen.png")
    seven = [[(70, 70), (190, 66), (115, 215)], [(95, 140), (175, 138)]]
    pen_drawing((260, 260), seven, 14, "#e8ece4", "#2f4a36").save(HERE / "seven-light-on-dark.png")
    photo = render_photo(test_images[1], rng)  # A 2.
    photo.thumbnail((240, 240))
    photo.save(HERE / "photo-2.png")
    picture = on_ruled_paper(render_photo(test_images[0], rng), thickness=1)  # A 7, on lined paper.
    picture.thumbnail((240, 240))
    picture.save(HERE / "photo-7-ruled.png")


if __name__ == "__main__":
    main()
