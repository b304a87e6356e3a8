"""Datasets: prepared tensor files, seeded validation splits, normalisation, and clear errors when
data is absent. Tests marked ``data`` read the real datasets (skipped when they are absent)."""

from __future__ import annotations

import socket

import pytest
import torch
from safetensors.torch import save_file

from lth import data
from lth.errors import LthError


def test_validation_indices_are_seeded_disjoint_and_cover():
    keep, held = data.validation_indices(1000, 100, split_seed=0)
    assert len(keep) == 900 and len(held) == 100
    assert torch.equal(torch.cat([keep, held]).sort().values, torch.arange(1000))  # disjoint and covering
    assert torch.equal(keep, keep.sort().values) and torch.equal(held, held.sort().values)
    again_keep, again_held = data.validation_indices(1000, 100, split_seed=0)
    assert torch.equal(held, again_held) and torch.equal(keep, again_keep)
    _, other = data.validation_indices(1000, 100, split_seed=1)
    assert not torch.equal(held, other)
    keep0, held0 = data.validation_indices(1000, 0, split_seed=0)
    assert torch.equal(keep0, torch.arange(1000)) and len(held0) == 0
    with pytest.raises(LthError, match="validation_size 1000 must be smaller than the 1000 training examples"):
        data.validation_indices(1000, 1000, 0)


def test_xor_prepared_and_split(xor_file, xor_splits):
    name, raw = data.read_prepared(xor_file)
    assert name == "xor"
    assert raw.train_x.shape == (10000, 2) and raw.test_x.shape == (2000, 2)
    assert raw.train_y.dtype == torch.int64 and set(raw.train_y.unique().tolist()) == {0, 1}
    # Label is the XOR of the rounded features.
    corners = raw.train_x.round().long().clamp(0, 1)
    assert torch.equal(raw.train_y, corners[:, 0] ^ corners[:, 1])
    s = xor_splits
    assert (len(s.train), len(s.val), len(s.test)) == (9000, 1000, 2000)
    assert s.info.input_shape == (2,) and s.info.num_classes == 2
    assert s.provenance(1000, 0)["validation_examples"] == 1000


def test_xor_is_the_same_task_everywhere(tmp_path, xor_file):
    data.prepare("xor", tmp_path, tmp_path / "again.safetensors")
    _, a = data.read_prepared(xor_file)
    _, b = data.read_prepared(tmp_path / "again.safetensors")
    assert torch.equal(a.train_x, b.train_x) and torch.equal(a.test_y, b.test_y)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.safetensors"]


def test_small_handmade_dataset_normalisation(tmp_path):
    """A tiny MNIST-shaped file: normalisation is (x/255 - mean)/std with the dataset's constants."""
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (50, 1, 28, 28), generator=g, dtype=torch.uint8)
    y = torch.randint(0, 10, (50,), generator=g)
    path = tmp_path / "tiny.safetensors"
    save_file(
        {"train_x": x[:40], "train_y": y[:40], "test_x": x[40:], "test_y": y[40:]},
        str(path),
        metadata={"dataset": "mnist"},
    )
    s = data.load_splits(path, 10, 3)
    keep, held = data.validation_indices(40, 10, 3)
    expected = (x[:40][keep].float() / 255 - 0.1307) / 0.3081
    assert torch.allclose(s.train.x, expected, atol=1e-6)
    assert torch.equal(s.val.y, y[:40][held])
    assert s.train.x.dtype == torch.float32 and s.test.x.shape == (10, 1, 28, 28)


def test_prepared_file_errors(tmp_path):
    missing = tmp_path / "none.safetensors"
    with pytest.raises(LthError, match="prepared data file not found") as err:
        data.load_splits(missing, 0, 0)
    assert str(missing) in str(err.value)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x01\x02not safetensors")
    with pytest.raises(LthError, match="is not a prepared lth dataset") as err:
        data.read_prepared(junk)
    assert str(junk) in str(err.value)
    other = tmp_path / "other.safetensors"
    save_file(
        {k: torch.zeros(1) for k in ("train_x", "train_y", "test_x", "test_y")},
        str(other),
        metadata={"dataset": "svhn"},
    )
    with pytest.raises(LthError, match="unknown dataset 'svhn'"):
        data.read_prepared(other)
    with pytest.raises(
        LthError, match=r"unknown dataset 'svhn' \(known: cifar10, cifar10_subset, fashion_mnist, mnist, xor\)"
    ):
        data.prepare("svhn", tmp_path, tmp_path / "o")


@pytest.fixture
def no_network(monkeypatch):
    """Every connection attempt fails at once, as on a machine without network."""

    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_absent_dataset_without_network_names_folder_and_files(tmp_path, no_network, name, folder):
    root = tmp_path / "empty"
    root.mkdir()
    out = tmp_path / "out.safetensors"
    with pytest.raises(LthError) as err:
        data.prepare(name, root, out)
    msg = str(err.value)
    assert str(root) in msg
    for f in (
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ):
        assert f"{folder}/raw/{f}" in msg
    assert "\n" not in msg
    assert not out.exists()


def test_absent_cifar10_subset_names_the_file(tmp_path):
    with pytest.raises(LthError) as err:
        data.prepare("cifar10_subset", tmp_path, tmp_path / "o")
    assert str(tmp_path / "cifar10-subset" / "cifar10_exact_subset.npz") in str(err.value)


# --- real datasets ----------------------------------------------------------------------------------


@pytest.mark.data
def test_mnist_prepared_shapes(mnist_file):
    name, raw = data.read_prepared(mnist_file)
    assert name == "mnist"
    assert raw.train_x.shape == (60000, 1, 28, 28) and raw.train_x.dtype == torch.uint8
    assert raw.test_x.shape == (10000, 1, 28, 28) and raw.test_x.dtype == torch.uint8
    assert raw.train_y.shape == (60000,) and raw.train_y.dtype == torch.int64
    assert raw.test_y.shape == (10000,)
    assert set(raw.train_y.unique().tolist()) == set(range(10))
    assert int(raw.train_x.max()) == 255 and int(raw.train_x.min()) == 0


@pytest.mark.data
def test_mnist_validation_split_and_normalisation(mnist_file):
    s = data.load_splits(mnist_file, 5000, 0)
    assert (len(s.train), len(s.val), len(s.test)) == (55000, 5000, 10000)
    assert s.train.x.shape == (55000, 1, 28, 28) and s.train.x.dtype == torch.float32
    # Normalised with the published training-set statistics: mean ≈ 0, std ≈ 1.
    assert abs(s.train.x.mean().item()) < 0.01
    assert s.train.x.std().item() == pytest.approx(1.0, abs=0.01)
    # The validation examples are 5000 of the 60000 training images, chosen by the split seed.
    _, raw = data.read_prepared(mnist_file)
    keep, held = data.validation_indices(60000, 5000, 0)
    assert torch.equal(s.val.y, raw.train_y[held]) and torch.equal(s.train.y, raw.train_y[keep])
    _, held1 = data.validation_indices(60000, 5000, 1)
    assert not torch.equal(held, held1)
    assert len(set(held.tolist()) & set(keep.tolist())) == 0
    assert len(set(held.tolist()) | set(keep.tolist())) == 60000
    other = data.load_splits(mnist_file, 5000, 1)
    assert not torch.equal(other.val.y, s.val.y) or not torch.equal(other.val.x, s.val.x)
    assert torch.equal(other.test.x, s.test.x)  # the test set never changes


@pytest.mark.data
def test_fashion_mnist_prepared(fashion_mnist_file):
    name, raw = data.read_prepared(fashion_mnist_file)
    assert name == "fashion_mnist"
    assert raw.train_x.shape == (60000, 1, 28, 28) and raw.test_x.shape == (10000, 1, 28, 28)
    s = data.load_splits(fashion_mnist_file, 5000, 0)
    assert abs(s.train.x.mean().item()) < 0.01
    assert s.train.x.std().item() == pytest.approx(1.0, abs=0.02)


MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


@pytest.mark.data
def test_read_only_data_root_is_left_untouched(real_data_root, tmp_path):
    raw = real_data_root / "FashionMNIST" / "raw"
    if not all((raw / f).is_file() for f in MNIST_FILES):
        pytest.skip(f"real datasets not found at {real_data_root} (missing FashionMNIST); set LTH_DATA_ROOT")
    root = tmp_path / "readonly"
    (root / "FashionMNIST" / "raw").mkdir(parents=True)
    for f in MNIST_FILES:
        (root / "FashionMNIST" / "raw" / f).symlink_to(raw / f)
    folders = [root / "FashionMNIST" / "raw", root / "FashionMNIST", root]
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    for folder in folders:
        folder.chmod(0o555)
    try:
        meta = data.prepare("fashion_mnist", root, tmp_path / "fm.safetensors")
    finally:
        for folder in folders:
            folder.chmod(0o755)
    assert meta["train_examples"] == "60000"
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


@pytest.mark.data
def test_cifar10_subset(real_data_root, tmp_path):
    npz = real_data_root / data.CIFAR10_SUBSET_FILE
    if not npz.is_file():
        pytest.skip(
            f"real datasets not found at {real_data_root} (missing {data.CIFAR10_SUBSET_FILE}); set LTH_DATA_ROOT"
        )
    meta = data.prepare("cifar10_subset", real_data_root, tmp_path / "c.safetensors")
    assert (meta["train_examples"], meta["test_examples"]) == ("7292", "761")
    name, raw = data.read_prepared(tmp_path / "c.safetensors")
    assert name == "cifar10_subset"
    assert raw.train_x.shape == (7292, 3, 32, 32) and raw.train_x.dtype == torch.uint8
    assert raw.test_x.shape == (761, 3, 32, 32)
    for y in (raw.train_y, raw.test_y):
        assert y.dtype == torch.int64 and int(y.min()) >= 0 and int(y.max()) <= 9
    assert set(raw.train_y.unique().tolist()) == set(range(10))
    s = data.load_splits(tmp_path / "c.safetensors", 500, 0)
    assert (len(s.train), len(s.val), len(s.test)) == (6792, 500, 761)
    assert s.train.x.shape[1:] == (3, 32, 32)
    # Per-channel normalisation with CIFAR-10's statistics: channel means near 0 on a real-image subset.
    assert s.train.x.mean(dim=(0, 2, 3)).abs().max().item() < 0.1
