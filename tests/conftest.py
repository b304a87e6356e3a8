"""Shared fixtures: where the real datasets live, prepared tensor files, small models and masks.

Real-data tests are marked ``@pytest.mark.data`` and skip (with a message naming the folder) when
the datasets are absent. Point ``LTH_DATA_ROOT`` at a folder in torchvision's layout
(MNIST/raw/*.gz, FashionMNIST/raw/*.gz, cifar10-subset/cifar10_exact_subset.npz) to run them
elsewhere; by default the folder ``<repo>/../shared/data`` is used.

Threads: torch runs on ``LTH_TEST_THREADS`` CPU threads (default 1) for the whole session, and the
real-accuracy tests on ``LTH_TEST_ACCURACY_THREADS`` (default: the same). One thread is the default
because these networks are small: on a 2-core machine that is also running other jobs, two torch
threads made training 10-30x slower (threads wait on each other at every kernel), e.g. the two
accuracy tests took over 10 minutes instead of 30 s. On a dedicated machine, set both to 2.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from lth import data, masks, models
from lth.specs import ModelSpec

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
THREADS = int(os.environ.get("LTH_TEST_THREADS", "1"))
ACCURACY_THREADS = int(os.environ.get("LTH_TEST_ACCURACY_THREADS", str(THREADS)))

torch.set_num_threads(THREADS)

# Folder and files each real dataset needs under the data root (checked before preparing, so that a
# partial data folder skips instead of trying to download).
RAW_FILES = {
    "mnist": (
        "MNIST/raw",
        [
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
        ],
    ),
    "fashion_mnist": (
        "FashionMNIST/raw",
        [
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
        ],
    ),
    "cifar10_subset": ("cifar10-subset", ["cifar10_exact_subset.npz"]),
}


@pytest.fixture
def accuracy_threads():
    """Run a real-accuracy test on ``ACCURACY_THREADS`` torch threads, restoring the count afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(ACCURACY_THREADS)
    yield ACCURACY_THREADS
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def data_root() -> Path:
    """``LTH_DATA_ROOT`` if set, else ``<repo>/../shared/data``."""
    env = os.environ.get("LTH_DATA_ROOT")
    return Path(env).expanduser().resolve() if env else (REPO.parent / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def real_data_root(data_root: Path) -> Path:
    """The data root, or a skip naming it when it is absent."""
    if not data_root.is_dir():
        pytest.skip(f"real datasets not found at {data_root}; set LTH_DATA_ROOT")
    return data_root


class Prepared:
    """Prepares each real dataset at most once per session (lazily) with `lth.data.prepare`.

    The raw archives are symlinked into a private folder first: torchvision extracts archives
    beside them, and the shared data folder must stay untouched even when the tests run as a user
    who could write to it.
    """

    def __init__(self, root: Path, workdir: Path):
        self.root, self.workdir, self.files = root, workdir, {}

    def __call__(self, name: str) -> Path:
        if name not in self.files:
            folder, names = RAW_FILES[name]
            raw = self.root / folder
            missing = [n for n in names if not (raw / n).is_file()]
            if missing:
                pytest.skip(
                    f"real datasets not found at {self.root} (missing {raw.relative_to(self.root) / missing[0]}); set LTH_DATA_ROOT"
                )
            mirror = self.workdir / "root" / raw.relative_to(self.root)
            mirror.mkdir(parents=True, exist_ok=True)
            for n in names:
                if not (mirror / n).exists():
                    (mirror / n).symlink_to(raw / n)
            out = self.workdir / f"{name}.safetensors"
            data.prepare(name, self.workdir / "root", out)
            self.files[name] = out
        return self.files[name]


@pytest.fixture(scope="session")
def prepared(real_data_root: Path, tmp_path_factory) -> Prepared:
    """``prepared('mnist')``, ``prepared('fashion_mnist')``, ``prepared('cifar10_subset')``: path of the prepared tensor file."""
    return Prepared(real_data_root, tmp_path_factory.mktemp("prepared"))


@pytest.fixture(scope="session")
def mnist_file(prepared) -> Path:
    return prepared("mnist")


@pytest.fixture(scope="session")
def fashion_mnist_file(prepared) -> Path:
    return prepared("fashion_mnist")


@pytest.fixture(scope="session")
def xor_file(tmp_path_factory) -> Path:
    """The synthetic XOR task (no files needed), prepared once."""
    out = tmp_path_factory.mktemp("xor") / "xor.safetensors"
    data.prepare("xor", out.parent, out)
    return out


@pytest.fixture(scope="session")
def xor_splits(xor_file):
    """XOR with 1000 validation examples held out: 9000 train, 1000 val, 2000 test."""
    return data.load_splits(xor_file, 1000, 0)


def build_model(hidden=(300, 100), input_shape=(1, 28, 28), num_classes=10, seed=0, init="glorot_normal"):
    """An initialised MLP (LeNet-300-100 on MNIST-shaped input by default)."""
    spec = ModelSpec(hidden=tuple(hidden), init=init)
    model = models.build(spec, input_shape, num_classes)
    models.initialise(model, spec, seed)
    return model


@pytest.fixture
def make_model():
    """Factory: ``make_model(hidden=(8,), input_shape=(2,), num_classes=2, seed=0)``."""
    return build_model


def pruned_mask(model, weights, rounds: int, rate: float = 0.2, output_rate: float = 0.1):
    """The mask after ``rounds`` rounds of layerwise magnitude pruning of ``weights``."""
    mask = masks.full_mask(model)
    rates = {name: (output_rate if kind == "output" else rate) for name, kind in model.prunable_layers().items()}
    for _ in range(rounds):
        mask = masks.prune_layerwise(weights, mask, rates)
    return mask


@pytest.fixture
def make_pruned_mask():
    """Factory: ``make_pruned_mask(model, weights, rounds, rate=0.2, output_rate=0.1)``."""
    return pruned_mask


def random_weights(model, seed: int) -> dict[str, torch.Tensor]:
    """Fresh 'trained' weights for one round (distinct magnitudes, independent of earlier rounds)."""
    g = torch.Generator().manual_seed(seed)
    return {k: torch.randn(v.shape, generator=g) for k, v in model.state_dict().items()}


@pytest.fixture
def lenet(make_model):
    """An initialised LeNet-300-100 (MNIST-shaped input)."""
    return make_model(hidden=(300, 100))
