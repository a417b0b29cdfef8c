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


@pytest.fixture(scope="session")
def untrained_model(nb):
    """Any model of the notebook's architecture: enough where only the plumbing matters."""
    return nb["build_model"]()


@pytest.fixture(scope="session")
def quick_model(nb, mnist_dir):
    """The notebook's model trained briefly (2 epochs) with the notebook's own helpers."""
    keras = nb["keras"]
    keras.utils.set_random_seed(nb["SEED"])
    (x_train, y_train), _ = nb["load_mnist"](mnist_dir)
    epochs, batch_size = 2, nb["BATCH_SIZE"]
    model = nb["compile_model"](nb["build_model"](), len(x_train) // batch_size, epochs)
    batches = nb["mnist_batches"](x_train, y_train, batch_size, seed=nb["SEED"])
    model.fit(batches, epochs=epochs, shuffle=False, verbose=0)
    return model
