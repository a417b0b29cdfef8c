"""Loading MNIST: the notebook's IDX reader and loader, on good and broken files."""

import gzip
import hashlib
import shutil
import struct

import numpy as np
import pytest


def write_idx(path, array, magic=None):
    """Write a gzip-compressed IDX file of uint8 data; return its SHA-256."""
    header = magic if magic is not None else bytes([0, 0, 8, array.ndim])
    payload = header + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_read_idx_round_trips_a_small_file(nb, tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    sha256 = write_idx(tmp_path / "tiny.gz", images)
    assert np.array_equal(nb["read_idx"](tmp_path / "tiny.gz", sha256, ndim=3), images)


def test_wrong_magic_number_is_refused(nb, tmp_path):
    labels = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "labels.gz", labels, magic=bytes([0, 0, 9, 1]))  # 0x09 is not unsigned byte
    with pytest.raises(nb["MnistDataError"], match=r"labels\.gz has the wrong magic number"):
        nb["read_idx"](tmp_path / "labels.gz", ndim=1)


def test_labels_file_under_an_image_name_is_refused(nb, tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros(5, np.uint8))
    with pytest.raises(nb["MnistDataError"], match="wrong magic number .* image file"):
        nb["read_idx"](tmp_path / "train-images-idx3-ubyte.gz", ndim=3)


def test_truncated_data_is_refused(nb, tmp_path):
    path = tmp_path / "short.gz"
    payload = bytes([0, 0, 8, 1]) + struct.pack(">I", 100) + bytes(60)  # Announces 100 bytes, holds 60.
    path.write_bytes(gzip.compress(payload))
    with pytest.raises(nb["MnistDataError"], match=r"short\.gz holds 60 bytes .* announces 100 .* truncated"):
        nb["read_idx"](path, ndim=1)


def test_truncated_gzip_file_is_refused(nb, tmp_path):
    path = tmp_path / "cut.gz"
    write_idx(path, np.zeros((3, 28, 28), np.uint8))
    path.write_bytes(path.read_bytes()[:-12])
    with pytest.raises(nb["MnistDataError"], match=r"cut\.gz is not a complete gzip file"):
        nb["read_idx"](path, ndim=3)


def test_missing_file_names_the_file_and_the_fix(nb, tmp_path):
    with pytest.raises(nb["MnistDataError"], match=r"nothing\.gz is missing .* MNIST_DATA_DIR"):
        nb["read_idx"](tmp_path / "nothing.gz")


def test_missing_folder_is_refused(nb, tmp_path):
    with pytest.raises(nb["MnistDataError"], match="does not exist"):
        nb["load_mnist"](tmp_path / "no-such-folder")


def test_load_mnist_reads_the_original_files(nb, mnist_dir):
    (x_train, y_train), (x_test, y_test) = nb["load_mnist"](mnist_dir)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert set(np.unique(y_test)) == set(range(10))
    assert y_test[:5].tolist() == [7, 2, 1, 0, 4]  # The published order of the test set.


def test_without_a_folder_the_loader_reads_mnist_data_dir(nb, mnist_dir, monkeypatch):
    monkeypatch.setenv("MNIST_DATA_DIR", str(mnist_dir))
    monkeypatch.setattr(nb["keras"].datasets.mnist, "load_data", None)  # Calling Keras would fail.
    (x_train, _), _ = nb["load_mnist"](None)
    assert x_train.shape == (60000, 28, 28)


@pytest.fixture
def mnist_copy(mnist_dir, tmp_path):
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(mnist_dir / name, tmp_path / name)
    return tmp_path


def test_wrong_checksum_names_the_file(nb, mnist_copy):
    path = mnist_copy / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF  # One flipped byte: still a file, no longer the published one.
    path.write_bytes(bytes(data))
    with pytest.raises(nb["MnistDataError"], match=r"t10k-labels-idx1-ubyte\.gz does not match its published SHA-256"):
        nb["load_mnist"](mnist_copy)


def test_missing_one_of_the_four_files(nb, mnist_copy):
    (mnist_copy / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(nb["MnistDataError"], match=r"train-labels-idx1-ubyte\.gz is missing"):
        nb["load_mnist"](mnist_copy)


def test_offline_without_a_local_copy_says_how_to_fix_it(nb, monkeypatch):
    def no_network(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- [Errno -3] "
                        "Temporary failure in name resolution")

    monkeypatch.setattr(nb["keras"].datasets.mnist, "load_data", no_network)
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    message = "Could not download MNIST .* Connect to the internet .* MNIST_DATA_DIR"
    with pytest.raises(nb["MnistDataError"], match=message):
        nb["load_mnist"](None)


def test_normalize_maps_bytes_to_float32_in_0_1(nb):
    pixels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    scaled = nb["normalize"](pixels).numpy()
    assert scaled.dtype == np.float32
    assert scaled[0, 0] == 0.0 and scaled[-1, -1] == 1.0
    np.testing.assert_allclose(scaled, pixels / 255.0, rtol=1e-7)


def epochs_of(dataset, count):
    """The label batches of `count` passes over a dataset, as lists of numpy arrays."""
    return [[labels.numpy() for _, labels in dataset] for _ in range(count)]


def test_unshuffled_batches_come_in_order_with_a_last_smaller_batch(nb):
    images = np.arange(10 * 28 * 28, dtype=np.uint64).reshape(10, 28, 28) % 256
    images, labels = images.astype(np.uint8), np.arange(10, dtype=np.uint8)
    batches = list(nb["mnist_batches"](images, labels, batch_size=4))
    assert [len(labels) for _, labels in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([x for x, _ in batches]), nb["normalize"](images).numpy())
    np.testing.assert_array_equal(np.concatenate([y for _, y in batches]), labels)


def test_shuffled_batches_are_full_new_each_epoch_and_reproducible(nb):
    count, batch_size = 103, 10
    images = np.repeat(np.arange(count, dtype=np.uint8), 28 * 28).reshape(count, 28, 28)
    labels = np.arange(count, dtype=np.uint8)  # Each image is filled with its own label.
    first, again = (epochs_of(nb["mnist_batches"](images, labels, batch_size, seed=7), 3) for _ in range(2))
    for epoch in first:
        assert [len(batch) for batch in epoch] == [batch_size] * (count // batch_size)  # Remainder dropped.
        seen = np.concatenate(epoch)
        assert len(set(seen.tolist())) == len(seen)  # No image twice in an epoch.
    assert not np.array_equal(np.concatenate(first[0]), np.concatenate(first[1]))  # A new order each epoch.
    assert all(np.array_equal(np.concatenate(a), np.concatenate(b)) for a, b in zip(first, again))  # Same seed.
    for batch_images, batch_labels in nb["mnist_batches"](images, labels, batch_size, seed=7):
        np.testing.assert_array_equal(np.rint(batch_images.numpy()[:, 0, 0] * 255), batch_labels.numpy())  # Pairs kept.
