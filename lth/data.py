"""Datasets as whole tensors.

Two steps keep torchvision out of the training path:

1. `prepare()` reads a dataset once (torchvision's MNIST, Fashion-MNIST and CIFAR-10 classes, the
   CIFAR-10 subset npz, or the synthetic XOR task) and writes its raw train and test tensors
   (uint8 images, int64 labels) to one safetensors file.
2. `load_splits()` reads that file, holds a seeded validation set out of the training set,
   normalises with the dataset's explicit constants and puts every split on the training device,
   where batches are drawn by indexing (no per-sample PIL transforms, no DataLoader workers).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save as to_bytes

from lth.errors import LthError
from lth.io import atomic_path
from lth.seeds import derive_seed


@dataclass(frozen=True)
class RawData:
    """Unnormalised train and test tensors as read from disk (images uint8 N×C×H×W)."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor


@dataclass(frozen=True)
class DatasetInfo:
    """What a model needs to know about a dataset, and how its pixels are normalised.

    Images are scaled to [0, 1] and then standardised per channel with ``mean``/``std`` (the usual
    published statistics of the training set), so normalisation is explicit and recorded.
    """

    name: str
    input_shape: tuple[int, ...]
    num_classes: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    scale: float  # raw value that maps to 1.0 (255 for images, 1 for XOR features)
    reader: Callable[[Path], RawData]

    def normalisation(self) -> dict:
        return {"scale": self.scale, "mean": list(self.mean), "std": list(self.std)}

    def black(self, device: torch.device | str = "cpu") -> torch.Tensor:
        """The normalised value of a zero (black) pixel, per channel: what augmentation pads with,
        computed by the same operations as the images' normalisation, so it is bit-identical."""
        return _normalise(torch.zeros(1, len(self.mean), 1, 1), self, torch.device(device)).flatten()


def _writable(root: Path) -> bool:
    """Whether torchvision may write under ``root``.

    The permission bits decide, not only ``os.access``: for the superuser ``os.access`` is true even
    on a folder marked read-only, and a shared data mirror would be written to. An absent root is
    created (and downloaded into) by torchvision.
    """
    if not root.exists():
        return True
    return os.access(root, os.W_OK) and bool(root.stat().st_mode & stat.S_IWUSR)


@contextlib.contextmanager
def _writable_root(root: Path, entries: list[str]) -> Iterator[Path]:
    """Yield a root torchvision may write to.

    torchvision extracts archives beside them, so a read-only data folder (a shared mirror) is
    mirrored into a temporary folder of symlinks; the checksums are still verified on the
    originals and nothing is copied.
    """
    if _writable(root):
        yield root
        return
    with tempfile.TemporaryDirectory(prefix="lth-data-") as tmp:
        for entry in entries:
            source = root / entry
            if source.is_dir():
                for path in source.rglob("*"):
                    target = Path(tmp) / entry / path.relative_to(source)
                    if path.is_dir():
                        target.mkdir(parents=True, exist_ok=True)
                    else:
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.symlink_to(path.resolve())
            elif source.exists():
                (Path(tmp) / entry).symlink_to(source.resolve())
        yield Path(tmp)


def _torchvision(cls_name: str, entries: list[str]) -> Callable[[Path], RawData]:
    def read(root: Path) -> RawData:
        import torchvision.datasets as tvd

        cls = getattr(tvd, cls_name)
        _check_archives(cls, root)
        try:
            with _writable_root(root, entries) as usable:
                train = cls(str(usable), train=True, download=True)
                test = cls(str(usable), train=False, download=True)
                parts = [_images(train), _labels(train), _images(test), _labels(test)]
        except (OSError, RuntimeError) as exc:
            expected = _expected_files(cls)
            raise LthError(
                f"{cls_name} is not under '{root}' and could not be downloaded "
                f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                f"expected {', '.join(expected)} (set data_root to the folder that holds them)"
            ) from None
        return RawData(*parts)

    return read


# Sizes in bytes of the official MNIST-family archives, by md5 (torchvision lists only the md5s):
# a damaged archive is then reported as truncated (N of M bytes) or as altered (same size).
OFFICIAL_SIZES = {
    "f68b3c2dcbeaaa9fbdd348bbdeb94873": 9912422,
    "d53e105ee54ea40749a09fcbcd1e9432": 28881,
    "9fb629c4189551a2d022fa330f9573f3": 1648877,
    "ec29112dd5afa0611ce80d1b7f02629c": 4542,
    "8d4fb7e6c68d591d4c3dfef9ec88bf0d": 26421880,
    "25c81989df183df01b3e8a0aad5dffbe": 29515,
    "bef4ecab320f06d8554ea6380940ec79": 4422102,
    "bb300cfdad3c16e7a12a480ee83cd310": 5148,
}


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_md5(path: Path, md5: str) -> None:
    got = _md5(path)
    if got == md5:
        return
    size, official = path.stat().st_size, OFFICIAL_SIZES.get(md5)
    if official is not None and size != official:
        damage = f"truncated or padded: {size} bytes, the official file has {official}"
    else:
        damage = f"altered: {size} bytes" + (" (the official size)" if official else "")
    raise LthError(f"'{path}' is damaged ({damage}; md5 {got}, expected {md5}): replace it with a fresh copy")


def _check_idx(path: Path) -> None:
    """An extracted MNIST-family file must be as long as its own idx header says."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(4)
        if len(head) < 4 or head[:2] != b"\0\0" or head[2] != 0x08 or not 1 <= head[3] <= 3:
            raise LthError(f"'{path}' is damaged: not an idx file of bytes (header {head.hex() or 'empty'})")
        dims = f.read(4 * head[3])
    if len(dims) < 4 * head[3]:
        raise LthError(f"'{path}' is damaged: truncated inside its header ({size} bytes)")
    shape = [int.from_bytes(dims[i : i + 4], "big") for i in range(0, len(dims), 4)]
    expected = 4 + len(dims) + math.prod(shape)
    if size != expected:
        raise LthError(
            f"'{path}' is damaged: {size} bytes, but its header ({' x '.join(map(str, shape))}) needs {expected}; "
            "delete it so that it is extracted again from its .gz"
        )


def _check_archives(cls, root: Path) -> None:
    """Name a damaged data file before torchvision mistakes it for an absent one.

    torchvision reads the extracted files when all are present (MNIST's idx files without any
    check, so a truncated one ends in a bare tensor shape error) and otherwise (re-)downloads,
    which for a .gz or .tar.gz of the wrong md5 here means an unreachable network reported as
    "not found". So the files torchvision would use are checked the way it would, naming the
    damage: extracted idx files against their header, archives and CIFAR batches by md5.
    """
    if hasattr(cls, "resources"):  # MNIST family: (archive name, md5) pairs, extracted beside them
        raw = root / cls.__name__ / "raw"
        extracted = [raw / Path(name).stem for name, _ in cls.resources]
        if all(p.is_file() for p in extracted):
            for path in extracted:
                _check_idx(path)
            return
        archives = [(raw / name, md5) for name, md5 in cls.resources]
    else:  # CIFAR: md5-listed batches in base_folder, else the archive
        batches = [(root / cls.base_folder / name, md5) for name, md5 in cls.train_list + cls.test_list]
        archives = batches if all(p.is_file() for p, _ in batches) else [(root / cls.filename, cls.tgz_md5)]
    for path, md5 in archives:
        if path.is_file():
            _check_md5(path, md5)


def _expected_files(cls) -> list[str]:
    if hasattr(cls, "resources"):  # MNIST family: list of (url or name, md5)
        folder = cls.__name__
        return [f"{folder}/raw/{Path(str(r[0])).name}" for r in cls.resources]
    return [getattr(cls, "filename", cls.__name__)]


def _images(ds) -> torch.Tensor:
    data = torch.as_tensor(np.asarray(ds.data))
    if data.ndim == 3:  # N×H×W grayscale
        return data.unsqueeze(1).contiguous()
    return data.permute(0, 3, 1, 2).contiguous()  # N×H×W×C -> N×C×H×W


def _labels(ds) -> torch.Tensor:
    return torch.as_tensor(np.asarray(ds.targets), dtype=torch.int64)


CIFAR10_SUBSET_FILE = "cifar10-subset/cifar10_exact_subset.npz"


def _read_cifar10_subset(root: Path) -> RawData:
    """Read the real-image CIFAR-10 subset (official 3072-byte rows: R, G, B planes of 32×32)."""
    path = root if root.suffix == ".npz" else root / CIFAR10_SUBSET_FILE
    if not path.is_file():
        raise LthError(f"cifar10_subset: file not found: '{path}' (expected {CIFAR10_SUBSET_FILE} under data_root)")
    with np.load(path, allow_pickle=False) as npz:
        missing = {"train_data", "train_index", "test_data", "test_index", "train_labels_all", "test_labels_all"} - set(
            npz.files
        )
        if missing:
            raise LthError(f"cifar10_subset: '{path}' lacks arrays {sorted(missing)}")
        train_x = torch.from_numpy(npz["train_data"].reshape(-1, 3, 32, 32).copy())
        test_x = torch.from_numpy(npz["test_data"].reshape(-1, 3, 32, 32).copy())
        train_y = torch.from_numpy(npz["train_labels_all"][npz["train_index"]].astype(np.int64))
        test_y = torch.from_numpy(npz["test_labels_all"][npz["test_index"]].astype(np.int64))
    return RawData(train_x, train_y, test_x, test_y)


XOR_TRAIN, XOR_TEST, XOR_NOISE = 10000, 2000, 0.1


def _read_xor(root: Path) -> RawData:
    """Synthetic XOR: the four corners of the unit square with Gaussian jitter, label x1 XOR x2.

    Seeded by a fixed seed (the task is the same for everyone); ``root`` is unused.
    """
    g = torch.Generator().manual_seed(derive_seed("xor"))

    def sample(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        corners = torch.randint(0, 2, (n, 2), generator=g)
        x = corners.float() + XOR_NOISE * torch.randn(n, 2, generator=g)
        return x, (corners[:, 0] ^ corners[:, 1]).long()

    return RawData(*sample(XOR_TRAIN), *sample(XOR_TEST))


# CIFAR-10's per-channel mean and standard deviation (pixel values / 255), for the full set and the subset.
CIFAR10_MEAN, CIFAR10_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)

DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in [
        DatasetInfo("mnist", (1, 28, 28), 10, (0.1307,), (0.3081,), 255.0, _torchvision("MNIST", ["MNIST"])),
        DatasetInfo(
            "fashion_mnist",
            (1, 28, 28),
            10,
            (0.2860,),
            (0.3530,),
            255.0,
            _torchvision("FashionMNIST", ["FashionMNIST"]),
        ),
        DatasetInfo(
            "cifar10",
            (3, 32, 32),
            10,
            CIFAR10_MEAN,
            CIFAR10_STD,
            255.0,
            _torchvision("CIFAR10", ["cifar-10-batches-py", "cifar-10-python.tar.gz"]),
        ),
        DatasetInfo("cifar10_subset", (3, 32, 32), 10, CIFAR10_MEAN, CIFAR10_STD, 255.0, _read_cifar10_subset),
        DatasetInfo("xor", (2,), 2, (0.0,), (1.0,), 1.0, _read_xor),
    ]
}


def dataset_info(name: str) -> DatasetInfo:
    if name not in DATASETS:
        raise LthError(f"unknown dataset '{name}' (known: {', '.join(sorted(DATASETS))})")
    return DATASETS[name]


def prepare(name: str, root: str | os.PathLike, out: str | os.PathLike) -> dict:
    """Read dataset ``name`` from ``root`` (downloading when absent) and write its tensors to ``out``."""
    info = dataset_info(name)
    raw = info.reader(Path(root))
    check_raw(raw, info, f"{name} under '{root}'")
    meta = {
        "dataset": name,
        "root": str(root),
        "train_examples": str(len(raw.train_y)),
        "test_examples": str(len(raw.test_y)),
        "normalisation": json.dumps(info.normalisation()),
    }
    tensors = {"train_x": raw.train_x, "train_y": raw.train_y, "test_x": raw.test_x, "test_y": raw.test_y}
    blob = to_bytes({k: v.contiguous() for k, v in tensors.items()}, metadata=meta)
    with atomic_path(out) as tmp:
        tmp.write_bytes(blob)
    return meta


def check_raw(raw: RawData, info: DatasetInfo, where: str) -> None:
    """Raise LthError (prefixed with ``where``) unless each split has inputs of the dataset's
    shape and type and one integer label in 0..classes-1 per input: an out-of-range label would
    otherwise surface as an IndexError (or a device assert) deep in training."""
    for split in ("train", "test"):
        x, y = getattr(raw, f"{split}_x"), getattr(raw, f"{split}_y")
        if tuple(x.shape[1:]) != info.input_shape:
            raise LthError(
                f"{where}: {split} inputs have shape {tuple(x.shape[1:])}, {info.name} has {info.input_shape}"
            )
        if (x.dtype == torch.uint8) != (info.scale == 255.0) or x.dtype == torch.bool:
            raise LthError(
                f"{where}: {split} inputs are {x.dtype}, expected {'uint8' if info.scale == 255.0 else 'floats'}"
            )
        if y.ndim != 1 or len(y) != len(x):
            raise LthError(f"{where}: {split} labels have shape {tuple(y.shape)} for {len(x)} inputs")
        if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
            raise LthError(f"{where}: {split} labels are {y.dtype}, expected integers")
        bad = y[(y < 0) | (y >= info.num_classes)]
        if len(bad):
            raise LthError(
                f"{where}: {split} labels hold {int(bad[0])}, outside 0..{info.num_classes - 1} "
                f"({info.name} has {info.num_classes} classes)"
            )
    if len(raw.train_y) == 0:
        raise LthError(f"{where}: no training examples")


def read_prepared(path: str | os.PathLike) -> tuple[str, RawData]:
    """Read and check a file written by `prepare` (safetensors: no pickle is ever loaded)."""
    path = Path(path)
    if not path.is_file():
        raise LthError(f"prepared data file not found: '{path}' (run 'lth data' first)")
    try:
        with safe_open(str(path), framework="pt") as f:
            name = (f.metadata() or {}).get("dataset")
            tensors = {k: f.get_tensor(k) for k in ("train_x", "train_y", "test_x", "test_y")}
    except Exception as exc:  # safetensors raises several types for a corrupt or foreign file
        raise LthError(f"'{path}' is not a prepared lth dataset ({exc})") from None
    if name not in DATASETS:
        raise LthError(f"'{path}' names an unknown dataset {name!r}")
    raw = RawData(**tensors)
    check_raw(raw, DATASETS[name], f"'{path}'")
    return name, raw


def require_dataset(path: str | os.PathLike, dataset: str, owner: str) -> None:
    """Fail, naming both, unless the prepared file at ``path`` holds ``dataset``, the dataset that
    ``owner`` (a network, named with its file) was built for. Reads only the file's header, so it
    runs before any work: an MNIST network on Fashion-MNIST would otherwise run and report
    chance accuracy, and a CIFAR network on MNIST end in a shape traceback."""
    path = Path(path)
    if not path.is_file():
        raise LthError(f"prepared data file not found: '{path}' (run 'lth data' first)")
    try:
        with safe_open(str(path), framework="pt") as f:
            name = (f.metadata() or {}).get("dataset")
    except Exception as exc:  # safetensors raises several types for a corrupt or foreign file
        raise LthError(f"'{path}' is not a prepared lth dataset ({exc})") from None
    if name != dataset:
        raise LthError(f"'{path}' holds {name} but {owner} was built for {dataset}")


@dataclass(frozen=True)
class Split:
    """One split: normalised inputs and labels, both on the training device."""

    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return len(self.y)


@dataclass(frozen=True)
class Splits:
    train: Split
    val: Split
    test: Split
    info: DatasetInfo

    def provenance(self, validation_size: int, split_seed: int, train_fraction: float = 1.0) -> dict:
        return {
            "dataset": self.info.name,
            "train_examples": len(self.train),
            "validation_examples": len(self.val),
            "test_examples": len(self.test),
            "validation_size": validation_size,
            "split_seed": split_seed,
            "train_fraction": train_fraction,
            "normalisation": self.info.normalisation(),
        }


def validation_indices(n_train: int, validation_size: int, split_seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices of the kept training examples and of the held-out validation examples."""
    if validation_size >= n_train:
        raise LthError(f"validation_size {validation_size} must be smaller than the {n_train} training examples")
    g = torch.Generator().manual_seed(derive_seed(split_seed, "validation"))
    perm = torch.randperm(n_train, generator=g)
    return perm[validation_size:].sort().values, perm[:validation_size].sort().values


def stratified_subset(labels: torch.Tensor, fraction: float, seed: int) -> torch.Tensor:
    """Sorted positions of a stratified subset of ``labels`` holding ``fraction`` of each class.

    Rounding: a class with n examples contributes ``floor(fraction·n + 1/2)`` of them (the
    nearest integer, halves up: the same rule as pruning counts), so each class's share of the
    subset is its share of the whole up to that one rounding. Each class's examples are drawn
    in the order of a permutation seeded by (``seed``, class) and independent of ``fraction``,
    so the subsets of one seed are nested (the 10% subset lies inside the 25% one). A fraction
    that leaves a class empty is an error.
    """
    if fraction == 1.0:
        return torch.arange(len(labels))
    chosen = []
    for label in torch.unique(labels).tolist():
        where = torch.nonzero(labels == label).flatten()
        take = int(math.floor(round(fraction * len(where), 9) + 0.5))
        if take == 0:
            raise LthError(f"train_fraction {fraction} leaves class {label} ({len(where)} examples) with none")
        g = torch.Generator().manual_seed(derive_seed(seed, "subset", label))
        chosen.append(where[torch.randperm(len(where), generator=g)[:take]])
    return torch.cat(chosen).sort().values


def _normalise(x: torch.Tensor, info: DatasetInfo, device: torch.device) -> torch.Tensor:
    """Scaled and standardised on the CPU, then moved: the inputs are the same bits on every device."""
    x = x.to(dtype=torch.float32) / info.scale
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = torch.tensor(info.mean).view(shape)
    std = torch.tensor(info.std).view(shape)
    return ((x - mean) / std).contiguous().to(device)


def load_splits(
    path: str | os.PathLike,
    validation_size: int,
    split_seed: int,
    device: torch.device | str = "cpu",
    train_fraction: float = 1.0,
) -> Splits:
    """Load a prepared dataset as normalised train/validation/test tensors on ``device``.

    ``train_fraction`` < 1 trains on a stratified subset of the examples left after the
    validation hold-out (`stratified_subset`, seeded by ``split_seed``); validation and test
    sets stay whole, so networks trained on different fractions are judged on the same data.
    """
    device = torch.device(device)
    name, raw = read_prepared(path)
    info = DATASETS[name]
    keep, held = validation_indices(len(raw.train_y), validation_size, split_seed)
    keep = keep[stratified_subset(raw.train_y[keep], train_fraction, split_seed)]

    def split(x: torch.Tensor, y: torch.Tensor) -> Split:
        return Split(_normalise(x, info, device), y.to(device))

    return Splits(
        train=split(raw.train_x[keep], raw.train_y[keep]),
        val=split(raw.train_x[held], raw.train_y[held]),
        test=split(raw.test_x, raw.test_y),
        info=info,
    )
