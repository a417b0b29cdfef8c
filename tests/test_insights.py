"""The helpers behind the evaluation views, on small inputs whose answers are known."""

import numpy as np


def test_most_confused_pairs_reads_the_largest_off_diagonal_cells(nb):
    confusion = np.diag([50, 60, 70])
    confusion[2, 1], confusion[0, 2], confusion[1, 0] = 9, 4, 9
    assert nb["most_confused_pairs"](confusion) == [
        "2 read as 1: 9 times", "1 read as 0: 9 times", "0 read as 2: 4 times"
    ]
    assert nb["most_confused_pairs"](np.diag([5, 5])) == []  # No mistakes, no pairs.


def test_gallery_holds_only_wrong_predictions_most_confident_first(nb):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 500)
    digits = np.where(rng.random(500) < 0.2, (labels + 1) % 10, labels)
    confidences = rng.random(500)
    mistakes = nb["confident_mistakes"](labels, digits, confidences, count=12)
    assert len(mistakes) == 12
    assert np.all(digits[mistakes] != labels[mistakes])
    assert np.all(np.diff(confidences[mistakes]) <= 0)
    assert confidences[mistakes[0]] == confidences[digits != labels].max()
    successes = nb["unsure_successes"](labels, digits, confidences, count=12)
    assert np.all(digits[successes] == labels[successes]) and np.all(np.diff(confidences[successes]) >= 0)


def test_predict_digits_batches_match_a_single_call(nb):
    model = nb["build_model"]()
    images = np.random.default_rng(1).random((25, 28, 28), np.float32)
    digits, confidences, probabilities = nb["predict_digits"](model, images, batch_size=7)
    assert probabilities.shape == (25, 10) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert np.allclose(probabilities, model(images, training=False).numpy(), atol=1e-6)
    assert np.array_equal(digits, probabilities.argmax(axis=1))
    assert np.array_equal(confidences, probabilities.max(axis=1))
