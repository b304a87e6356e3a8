"""Checkpoints: exact round trip, provenance sidecar, atomic writes, clear errors for bad files."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

import lth
from lth import checkpoint, masks
from lth.checkpoint import Checkpoint
from lth.cli import main
from lth.errors import LthError
from lth.io import atomic_path, write_json


@pytest.fixture
def ckpt(make_model, make_pruned_mask):
    model = make_model(hidden=(16, 8), input_shape=(1, 28, 28), num_classes=10, seed=4)
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    mask = make_pruned_mask(model, weights, rounds=2)
    provenance = {"seeds": {"init": 4, "order": 9}, "environment": checkpoint.environment("cpu"), "note": "ü θ₀"}
    return Checkpoint(
        weights, mask, {"name": "mlp", "hidden": [16, 8], "init": "glorot_normal"}, "fashion_mnist", provenance
    )


def test_round_trip_is_exact(ckpt, tmp_path):
    path = tmp_path / "state.safetensors"
    checkpoint.save(path, ckpt)
    back = checkpoint.load(path)
    assert back.weights.keys() == ckpt.weights.keys()
    for k, v in ckpt.weights.items():
        assert back.weights[k].dtype == v.dtype and torch.equal(back.weights[k], v), k
    assert back.masks.keys() == ckpt.masks.keys()
    for k, v in ckpt.masks.items():
        assert back.masks[k].dtype == torch.bool and torch.equal(back.masks[k], v), k
    assert back.model == ckpt.model
    assert back.dataset == "fashion_mnist"
    # The sidecar holds the provenance plus the model and dataset (self-describing).
    assert back.provenance["seeds"] == {"init": 4, "order": 9}
    assert back.provenance["note"] == "ü θ₀"
    assert back.provenance["model"] == ckpt.model and back.provenance["dataset"] == "fashion_mnist"
    env = back.provenance["environment"]
    assert env["lth"] == lth.__version__ and env["torch"] == torch.__version__
    assert {"torchvision", "python", "git_commit", "created", "device"} <= set(env)
    assert checkpoint.sidecar(path) == tmp_path / "state.json"


def test_empty_groups_round_trip(ckpt, tmp_path):
    checkpoint.save(tmp_path / "mask.safetensors", Checkpoint({}, ckpt.masks, ckpt.model, "mnist"))
    back = checkpoint.load(tmp_path / "mask.safetensors")
    assert back.weights == {} and masks.counts(back.masks) == masks.counts(ckpt.masks)
    checkpoint.save(tmp_path / "w.safetensors", Checkpoint(ckpt.weights, {}, ckpt.model, "mnist"))
    assert checkpoint.load(tmp_path / "w.safetensors").masks == {}


def test_atomic_write_leaves_only_the_two_files(ckpt, tmp_path):
    for _ in range(2):  # also when overwriting
        checkpoint.save(tmp_path / "a.safetensors", ckpt)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "a.safetensors"]


def _disk_full(monkeypatch, method: str) -> None:
    """Make ``Path.<method>`` write a few bytes and then fail as a full disk does."""

    def half_written(self, content, *args, **kwargs):
        with open(self, "wb") as f:
            f.write(b"\x00" * 10)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, method, half_written)


@pytest.mark.parametrize("method", ["write_bytes", "write_text"])  # the tensors, the sidecar
def test_failed_write_leaves_nothing_and_keeps_the_old_pair(ckpt, tmp_path, monkeypatch, method):
    """A full disk while writing either file of the pair: an LthError naming the file, no
    temporary left, and never a weight file without its sidecar; an existing pair is untouched."""
    path = tmp_path / "a.safetensors"
    with monkeypatch.context() as m:
        _disk_full(m, method)
        with pytest.raises(LthError, match="cannot write .*No space left on device"):
            checkpoint.save(path, ckpt)
    assert list(tmp_path.iterdir()) == []

    checkpoint.save(path, ckpt)
    before = path.read_bytes(), checkpoint.sidecar(path).read_bytes()
    with monkeypatch.context() as m:
        _disk_full(m, method)
        with pytest.raises(LthError):
            checkpoint.save(path, ckpt)
    assert (path.read_bytes(), checkpoint.sidecar(path).read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "a.safetensors"]


def test_io_helpers_are_atomic(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "sub" / "x.txt") as tmp:
            tmp.write_text("partial")
            raise RuntimeError("killed")
    assert list((tmp_path / "sub").iterdir()) == []
    write_json(tmp_path / "d.json", {"b": 1, "a": [1, 2]})
    assert json.loads((tmp_path / "d.json").read_text()) == {"a": [1, 2], "b": 1}
    assert list(tmp_path.glob(".*")) == []


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nope.safetensors"
    with pytest.raises(LthError, match="mask file not found") as err:
        checkpoint.load(path, "mask")
    assert str(path) in str(err.value)


def test_foreign_files_name_the_path(tmp_path, xor_file):
    text = tmp_path / "notes.safetensors"
    text.write_text("this is not a tensor file\n")
    with pytest.raises(LthError, match="is not a safetensors file") as err:
        checkpoint.load(text, "weights")
    assert str(text) in str(err.value) and "\n" not in str(err.value)

    plain = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, str(plain))  # valid safetensors, but not lth's
    with pytest.raises(LthError, match="was not written by lth") as err:
        checkpoint.load(plain)
    assert str(plain) in str(err.value)

    with pytest.raises(LthError, match="was not written by lth") as err:
        checkpoint.load(xor_file)  # a prepared dataset is not a checkpoint
    assert str(xor_file) in str(err.value)


def test_cli_sidecar_records_seeds_versions_and_context(tmp_path):
    out = tmp_path / "init.safetensors"
    assert (
        main(
            [
                "init",
                "--model",
                "{hidden: [8]}",
                "--dataset",
                "xor",
                "--seed",
                "17",
                "--out",
                str(out),
                "--provenance",
                "{experiment: smoke, trial: 2}",
            ]
        )
        == 0
    )
    side = json.loads(checkpoint.sidecar(out).read_text())
    assert side["step"] == "init"
    assert side["seeds"] == {"init": 17}
    assert side["context"] == {"experiment": "smoke", "trial": 2}
    assert side["model"] == {
        "name": "mlp",
        "hidden": [8],
        "init": "glorot_normal",
        "dropout": 0.0,
    }  # (no init_std: Glorot)
    assert side["dataset"] == "xor"
    env = side["environment"]
    assert env["lth"] == lth.__version__ and env["torch"] == torch.__version__
    assert env["torchvision"] and env["python"]
    ckpt = checkpoint.load(out)
    assert masks.counts(ckpt.masks) == {"hidden.0.weight": 16, "output.weight": 16}
    assert ckpt.provenance["seeds"] == {"init": 17}
