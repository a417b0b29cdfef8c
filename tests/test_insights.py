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


def test_confidence_text_rounds_down_and_never_claims_certainty_it_lacks(nb):
    text = nb["confidence_text"]
    assert text(0.5) == "50.0%" and text(0.98765) == "98.7%" and text(0.99899) == "99.8%"
    assert text(0.9991) == ">99.9%" and text(1.0) == ">99.9%"
    for confidence in np.linspace(0, 0.9989, 500):
        assert "100" not in text(confidence) and float(text(confidence)[:-1]) <= 100 * confidence


def test_sample_grid_holds_the_first_digits_and_some_mistakes(nb):
    labels = np.arange(40) % 10
    digits = labels.copy()
    digits[[3, 15, 20, 21, 30, 33]] += 1  # Six mistakes: one among the first twelve.
    indices = nb["sample_indices"](labels, digits, count=16, wrong=4)
    assert list(indices[:12]) == list(range(12))
    assert list(indices[12:]) == [15, 20, 21, 30]
    assert np.sum(digits[indices] != labels[indices]) == 5


def test_digit_evidence_adds_up_to_the_models_scores(nb):
    """Each pixel's share, summed with the constant part, gives the score (log-probability up to a constant)."""
    keras = nb["keras"]
    keras.utils.set_random_seed(3)
    model = nb["build_model"]()
    image = np.random.default_rng(4).random((1, 28, 28), np.float32)
    shares = nb["digit_evidence"](model, np.repeat(image, 10, axis=0), np.arange(10))  # The image as each digit.
    w1, b1, w2, b2 = (weight.numpy() for weight in model.weights)
    active = (image.reshape(1, -1) @ w1 + b1) > 0
    scores = shares.reshape(10, -1).sum(axis=1) + (active * b1) @ w2 + b2
    log_probabilities = np.log(model(image, training=False).numpy())
    np.testing.assert_allclose(scores - scores[0, 0], log_probabilities - log_probabilities[0, 0], atol=1e-4)


def test_predict_digits_agrees_with_keras_evaluate(nb):
    """The views read predict_digits; their accuracy is the one model.evaluate reports."""
    model = nb["compile_model"](nb["build_model"](), steps_per_epoch=1)
    rng = np.random.default_rng(5)
    images, labels = rng.random((300, 28, 28), np.float32), rng.integers(0, 10, 300)
    _, accuracy = model.evaluate(images, labels, batch_size=100, verbose=0)
    assert np.sum(nb["predict_digits"](model, images)[0] == labels) == round(accuracy * len(labels))
