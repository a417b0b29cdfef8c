import matplotlib
import pytest
from notebook import load_helpers, mnist_data_dir, run_until_evaluated

# Plotting helpers run headless in this process. (Not through MPLBACKEND: the notebook kernels
# that nbval and papermill start would inherit it and stop showing figures.)
matplotlib.use("Agg")


@pytest.fixture(scope="session")
def nb():
    """The notebook's helpers, executed once for the whole test session."""
    return load_helpers()


@pytest.fixture(scope="session")
def mnist_dir():
    """The local copy of the four original MNIST files; tests that need it skip without it."""
    folder = mnist_data_dir()
    if folder is None:
        pytest.skip("set MNIST_DATA_DIR to a folder with the four MNIST .gz files")
    return folder


@pytest.fixture(scope="session")
def untrained_model(nb):
    """The notebook's model as its `keras.Sequential` cell builds it, untrained: enough for the plumbing."""
    return nb.model


@pytest.fixture(scope="session")
def quick_model(mnist_dir):
    """The notebook's model trained briefly (2 epochs) by the notebook's own cells."""
    return run_until_evaluated(EPOCHS=2)["model"]
