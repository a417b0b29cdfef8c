"""Loading MNIST offline: the notebook's reader of the four original files, on good and broken files."""

import gzip
import hashlib
import shutil
import struct

import numpy as np
import pytest

MNIST_NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
               "t10k-labels-idx1-ubyte.gz")


def write_idx(path, array):
    """Write a gzip-compressed IDX file of uint8 data; return its SHA-256."""
    header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("shape", [(2, 28, 28), (10,), (3, 5, 7)])
def test_read_idx_round_trips_a_small_file(nb, tmp_path, shape):
    array = (np.arange(np.prod(shape)) % 256).astype(np.uint8).reshape(shape)
    sha256 = write_idx(tmp_path / "tiny.gz", array)
    read = nb.read_idx(tmp_path / "tiny.gz", sha256)
    assert read.dtype == np.uint8 and np.array_equal(read, array)


def test_a_file_that_is_not_the_published_one_is_refused_before_it_is_read(nb, tmp_path):
    sha256 = write_idx(tmp_path / "labels.gz", np.arange(10, dtype=np.uint8))
    write_idx(tmp_path / "labels.gz", np.arange(11, dtype=np.uint8))
    with pytest.raises(nb.MnistDataError, match=r"labels\.gz does not match its published SHA-256 .* delete it"):
        nb.read_idx(tmp_path / "labels.gz", sha256)


def test_missing_file_names_the_file_and_the_fix(nb, tmp_path):
    with pytest.raises(nb.MnistDataError, match=r"nothing\.gz is missing from .*: download the four .* DATA_DIR"):
        nb.read_idx(tmp_path / "nothing.gz", "0" * 64)


def test_load_mnist_files_reads_the_original_files_as_keras_does(nb, mnist_dir):
    (x_train, y_train), (x_test, y_test) = nb.load_mnist_files(mnist_dir)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert set(np.unique(y_test)) == set(range(10))
    assert y_test[:5].tolist() == [7, 2, 1, 0, 4] and y_train[:5].tolist() == [5, 0, 4, 1, 9]  # The published order.
    assert int(x_train[0].sum()) == 27525 and x_train.max() == 255  # The first training digit, a 5, byte for byte.


@pytest.fixture
def mnist_copy(mnist_dir, tmp_path):
    for name in MNIST_NAMES:
        shutil.copy(mnist_dir / name, tmp_path / name)
    return tmp_path


def test_wrong_checksum_names_the_file(nb, mnist_copy):
    path = mnist_copy / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF  # One flipped byte: still a file, no longer the published one.
    path.write_bytes(bytes(data))
    with pytest.raises(nb.MnistDataError, match=r"t10k-labels-idx1-ubyte\.gz does not match its published SHA-256"):
        nb.load_mnist_files(mnist_copy)


@pytest.mark.parametrize("name", MNIST_NAMES)
def test_missing_one_of_the_four_files(nb, mnist_copy, name):
    (mnist_copy / name).unlink()
    with pytest.raises(nb.MnistDataError, match=rf"{name.replace('.', '[.]')} is missing"):
        nb.load_mnist_files(mnist_copy)


def test_a_truncated_copy_is_refused(nb, mnist_copy):
    path = mnist_copy / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-1000])
    with pytest.raises(nb.MnistDataError, match="corrupted, truncated or a different file"):
        nb.load_mnist_files(mnist_copy)
