import matplotlib
import pytest
from notebook import load_helpers, mnist_data_dir

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
