"""The helpers behind the evaluation views, on small inputs whose answers are known."""

import numpy as np
from notebook import code_cell, exec_cell, run_until


def test_confidence_text_rounds_down_and_never_claims_certainty_it_lacks(nb):
    text = nb.confidence_text
    assert text(0.5) == "50.0%" and text(0.98765) == "98.7%" and text(0.99899) == "99.8%"
    assert text(0.0) == "0.0%" and text(0.0999) == "9.9%" and text(0.1) == "10.0%"
    assert text(0.9991) == ">99.9%" and text(0.999) == ">99.9%" and text(1.0) == ">99.9%"
    assert text(0.12345) == "12.3%" and text(0.99996) == ">99.9%"
    for confidence in np.linspace(0, 0.9989, 500):
        assert "100" not in text(confidence) and float(text(confidence)[:-1]) <= 100 * confidence


def test_sample_grid_holds_the_first_digits_and_some_mistakes(nb):
    labels = np.arange(40) % 10
    digits = labels.copy()
    digits[[3, 15, 20, 21, 30, 33]] += 1  # Six mistakes: one among the first twelve.
    indices = nb.sample_indices(labels, digits, count=16, wrong=4)
    assert list(indices[:12]) == list(range(12))
    assert list(indices[12:]) == [15, 20, 21, 30]
    assert np.sum(digits[indices] != labels[indices]) == 5


def test_prediction_grid_titles_say_the_answer_the_confidence_and_the_truth(nb):
    images = np.zeros((3, 28, 28), np.float32)
    figure = nb.prediction_grid([0, 2], images, np.array([7, 1, 3]), np.array([0.9996, 0.5, 0.42]),
                                   np.array([7, 1, 5]), columns=3, title="check")
    titles = [(axis.get_title(), axis.title.get_color()) for axis in figure.axes if axis.get_title()]
    assert titles == [("7 (>99.9%)\ntrue 7", "black"), ("3 (42.0%)\ntrue 5", "red")]
    nb.plt.close(figure)


def test_digit_evidence_is_the_ink_times_the_gradient_of_the_log_probability(nb):
    """For softmax regression the gradient of log p_d is known: w_d minus the p-weighted mean of the w_j."""
    keras = nb.keras
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    images = np.random.default_rng(4).random((23, 28, 28), np.float32)
    labels = (np.arange(23) % 10).astype(np.uint8)  # As MNIST gives them.
    w, b = (weight.numpy() for weight in model.weights)
    pixels = images.reshape(23, -1)
    scores = pixels @ w + b
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    shares = pixels * (w.T[labels] - p @ w.T)
    expected = np.array([shares[labels == digit].mean(axis=0) for digit in range(10)])
    found = nb.digit_evidence(model, images, labels, batch_size=7)  # Batches that split the digits.
    np.testing.assert_allclose(found.reshape(10, -1), expected, rtol=1e-3, atol=1e-6)


def test_the_recall_exercise_tells_right_from_wrong(capsys):
    """Question 5: the learner's expression, checked by the notebook's own check cell."""
    namespace = run_until("recall_of_9 = None", EPOCHS=1)
    check = code_cell("#@title Check your answer")
    confusion = namespace["confusion"]
    capsys.readouterr()  # What the cells before printed.
    for answer, verdict in ((None, "Replace None"), (confusion[9, 9] / confusion[9].sum(), "Right: "),
                            (confusion[9, 9] / confusion[:, 9].sum(), "Not yet: ")):
        namespace["recall_of_9"] = answer
        exec_cell(check, namespace)
        assert capsys.readouterr().out.startswith(verdict), answer
