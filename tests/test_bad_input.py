"""Bad input never crashes and never passes silently.

Each case builds one bad input (a damaged or forged file, a config mistake, an output that cannot
be written, an injection attempt) and runs `lth` on it in-process: exit status 2, one line on
stderr, no traceback, the culprit named. A few cases run `lth` or Snakemake in a subprocess where
the wiring is what matters (a log that cannot be written, config files Snakemake reads itself).
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from lth import checkpoint, configfile, errors
from lth.cli import main
from lth.errors import LthError
from lth.experiment import Experiment

REPO = Path(__file__).resolve().parents[1]
PRUNE = "{rate: 0.2}"
TRAIN = "{iterations: 4, eval_every: 2, batch_size: 100}"
RUNTIME = ["--validation-size", "100", "--device", "cpu", "--threads", "1"]


def run_lth(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        rc = main([str(a) for a in args])
    except SystemExit as exc:  # argparse usage errors
        rc = exc.code
    out = capsys.readouterr()
    return rc, out.out, out.err


def fails(capsys, *args, culprits=()) -> str:
    """Run ``lth *args`` expecting exit 2, one stderr line, no traceback, naming every culprit."""
    rc, _, err = run_lth(capsys, *args)
    assert rc == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for culprit in culprits:
        assert str(culprit) in lines[0], (culprit, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Good inputs to damage: XOR data, an MLP [8] θ₀ and its pruned mask, MLP [8] θ₀ on MNIST
    and Fashion-MNIST (same shapes), a Conv-2 θ₀ on CIFAR-10, a tiny Fashion-MNIST data file."""
    d = tmp_path_factory.mktemp("good")
    f = {
        name: d / f"{name}.safetensors" for name in ("xor", "init", "mask", "mnist", "fashion", "conv2", "fashion_data")
    }
    assert main(["data", "--dataset", "xor", "--root", str(d), "--out", str(f["xor"])]) == 0
    for name, dataset, model in (
        ("init", "xor", "{hidden: [8]}"),
        ("mnist", "mnist", "{hidden: [8]}"),
        ("fashion", "fashion_mnist", "{hidden: [8]}"),
        ("conv2", "cifar10", "{name: conv2, hidden: [8, 8]}"),
    ):
        assert main(["init", "--model", model, "--dataset", dataset, "--seed", "0", "--out", str(f[name])]) == 0
    assert main(["prune", "--trained", str(f["init"]), "--prune", PRUNE, "--out", str(f["mask"])]) == 0
    tiny_data(f["fashion_data"], "fashion_mnist")
    return f


def tiny_data(path: Path, dataset: str, **change) -> Path:
    """A prepared 28×28 data file of 20 train and 20 test examples (``change`` replaces tensors)."""
    x, y = torch.zeros(20, 1, 28, 28, dtype=torch.uint8), torch.arange(20) % 10
    tensors = {"train_x": x, "train_y": y, "test_x": x.clone(), "test_y": y.clone(), **change}
    save_file(tensors, str(path), metadata={"dataset": dataset})
    return path


def copy_pair(src: Path, dest_dir: Path, name: str = "x") -> Path:
    """Copy a checkpoint and its sidecar to ``dest_dir/name.*``; return the new tensor file."""
    dest = dest_dir / f"{name}.safetensors"
    dest.write_bytes(src.read_bytes())
    checkpoint.sidecar(dest).write_bytes(checkpoint.sidecar(src).read_bytes())
    return dest


def forge(path: Path, tensors: dict, meta: dict, sidecar: dict | None = None) -> Path:
    """A hand-made file with lth's metadata (and a sidecar without a hash, as older lth wrote)."""
    save_file(tensors, str(path), metadata=meta)
    checkpoint.sidecar(path).write_text(json.dumps({"step": "init"} if sidecar is None else sidecar))
    return path


def good_tensors(src: Path) -> tuple[dict, dict]:
    ckpt = checkpoint.load(src)
    tensors = {f"weights/{k}": v for k, v in ckpt.weights.items()}
    tensors.update({f"masks/{k}": v for k, v in ckpt.masks.items()})
    meta = {"model": json.dumps(ckpt.model), "dataset": ckpt.dataset, "format": checkpoint.FORMAT}
    return tensors, meta


# --- 1. sidecars ------------------------------------------------------------------------------------

SIDECARS = {"truncated": '{"summary": {', "empty": "", "list": "[1, 2, 3]", "binary": "\x00\xff"}
SIDECAR_DAMAGE = {
    "truncated": "not valid JSON",
    "empty": "is empty",
    "list": "holds a JSON list",
    "binary": "not UTF-8",
}


@pytest.mark.parametrize("kind", SIDECARS)
@pytest.mark.parametrize("command", ["prune", "train", "evaluate", "structure", "rewind"])
def test_broken_sidecar_names_it(capsys, files, tmp_path, kind, command):
    state = copy_pair(files["init"], tmp_path)
    checkpoint.sidecar(state).write_text(SIDECARS[kind], encoding="latin-1")
    args = {
        "prune": ["--trained", state, "--prune", PRUNE, "--out", tmp_path / "o.safetensors"],
        "train": [
            "--data",
            files["xor"],
            "--start",
            state,
            "--train",
            TRAIN,
            "--order-seed",
            0,
            *RUNTIME,
            "--metrics",
            tmp_path / "m.csv",
            "--out",
            tmp_path / "o.safetensors",
        ],
        "evaluate": ["--weights", state, "--data", files["xor"], *RUNTIME],
        "structure": ["--trained", state, "--out", tmp_path / "o.csv"],
        "rewind": ["--weights", state, "--out", tmp_path / "o.safetensors"],
    }[command]
    fails(capsys, command, *args, culprits=[checkpoint.sidecar(state), SIDECAR_DAMAGE[kind]])
    assert not (tmp_path / "o.safetensors").exists() and not (tmp_path / "m.csv").exists()


@pytest.mark.parametrize("kind", SIDECARS)
def test_summary_names_a_broken_training_sidecar_and_keeps_the_old_table(capsys, tmp_path, kind):
    bad = tmp_path / "trained.json"
    bad.write_text(SIDECARS[kind], encoding="latin-1")
    (tmp_path / "metrics.csv").write_text("iteration,split,loss,accuracy\n0,test,1.0,0.5\n")
    old = tmp_path / "summary.csv"
    old.write_text("experiment,trial\nx,0\n")
    fails(
        capsys,
        "summarize",
        "--trained",
        bad,
        "--metrics",
        tmp_path / "metrics.csv",
        "--out",
        old,
        "--curves",
        tmp_path / "curves.csv",
        culprits=[bad, SIDECAR_DAMAGE[kind]],
    )
    assert old.read_text() == "experiment,trial\nx,0\n"


def test_summary_names_a_training_sidecar_of_the_wrong_shape_and_a_broken_metrics_file(capsys, tmp_path):
    side = tmp_path / "trained.json"
    side.write_text(json.dumps({"context": 1, "summary": {}, "counts": {}, "sizes": {}}))
    metrics = tmp_path / "metrics.csv"
    metrics.write_text("")
    args = ["--metrics", metrics, "--out", tmp_path / "s.csv", "--curves", tmp_path / "c.csv"]
    fails(capsys, "summarize", "--trained", side, *args, culprits=[side, "context"])
    side.write_text(json.dumps({"context": {"trial": 0}, "summary": {}, "counts": {"w": 1}, "sizes": {"w": 2}}))
    fails(capsys, "summarize", "--trained", side, *args, culprits=[metrics])


METADATA = {
    "no model": ({"dataset": "xor"}, "metadata missing"),
    "model not JSON": ({"model": "{name: mlp", "dataset": "xor"}, "not JSON"),
    "model a list": ({"model": "[1, 2]", "dataset": "xor"}, "not a model spec"),
    "unknown model": ({"model": '{"name": "resnet1000"}', "dataset": "xor"}, "resnet1000"),
    "no dataset": ({"model": '{"name": "mlp", "hidden": [8]}'}, "metadata missing"),
    "unknown dataset": ({"model": '{"name": "mlp", "hidden": [8]}', "dataset": "imagenet"}, "imagenet"),
    "conv on xor": ({"model": '{"name": "conv2"}', "dataset": "xor"}, "needs images"),
}


@pytest.mark.parametrize("case", METADATA)
def test_missing_or_broken_model_metadata(capsys, files, tmp_path, case):
    tensors, _ = good_tensors(files["init"])
    meta, damage = METADATA[case]
    bad = forge(tmp_path / "bad.safetensors", tensors, {**meta, "format": checkpoint.FORMAT})
    fails(capsys, "prune", "--trained", bad, "--prune", PRUNE, "--out", tmp_path / "o", culprits=[bad, damage])


# --- 2. masks and weights are checked, not trusted ---------------------------------------------------


def _edit(tensors: dict, key: str, value) -> dict:
    out = dict(tensors)
    if value is None:
        del out[key]
    else:
        out[key] = value
    return out


TENSOR_CASES = {
    "float mask": ("masks/hidden.0.weight", lambda t: t.float() * 0.5, "not booleans"),
    "mask lacks a layer": ("masks/output.weight", lambda t: None, "'output.weight' is missing"),
    "mask of a bias": (
        "masks/hidden.0.bias",
        lambda t: torch.ones(8, dtype=torch.bool),
        "'hidden.0.bias' is not a prunable",
    ),
    "mask shape": ("masks/hidden.0.weight", lambda t: t[:4], "(4, 2)"),
    "NaN weight": ("weights/hidden.0.weight", lambda t: t.clone().fill_(float("nan")), "NaN"),
    "infinite weight": ("weights/output.weight", lambda t: t.clone().fill_(float("inf")), "infinite"),
    "integer weights": ("weights/hidden.0.weight", lambda t: t.long(), "torch.int64"),
    "weights lack a tensor": ("weights/hidden.0.bias", lambda t: None, "'hidden.0.bias' is missing"),
    "extra weights": ("weights/extra", lambda t: torch.zeros(3), "'extra' is not a tensor"),
    "weights shape": ("weights/output.weight", lambda t: torch.zeros(3, 8), "(3, 8)"),
}


@pytest.mark.parametrize("case", TENSOR_CASES)
@pytest.mark.parametrize("command", ["prune", "rewind"])
def test_forged_tensors_are_rejected(capsys, files, tmp_path, case, command):
    tensors, meta = good_tensors(files["init"])
    key, change, damage = TENSOR_CASES[case]
    bad = forge(tmp_path / "bad.safetensors", _edit(tensors, key, change(tensors.get(key, torch.zeros(1)))), meta)
    out = tmp_path / "o.safetensors"
    if command == "prune":
        fails(capsys, "prune", "--trained", bad, "--prune", PRUNE, "--out", out, culprits=[bad, damage])
    else:
        fails(capsys, "rewind", "--mask", bad, "--weights", files["init"], "--out", out, culprits=[bad, damage])
    assert not out.exists()


def test_mask_of_another_dataset_or_model(capsys, files, tmp_path):
    mask = tmp_path / "fashion_mask.safetensors"
    assert main(["prune", "--trained", str(files["fashion"]), "--prune", PRUNE, "--out", str(mask)]) == 0
    for command in (["rewind"], ["control", "--kind", "shuffle", "--seed", "1"]):
        fails(
            capsys,
            *command,
            "--mask",
            mask,
            "--weights",
            files["mnist"],
            "--out",
            tmp_path / "o.safetensors",
            culprits=[mask, files["mnist"], "fashion_mnist", "is for mnist"],
        )
    wide = tmp_path / "wide.safetensors"
    assert main(["init", "--model", "{hidden: [16]}", "--dataset", "xor", "--seed", "0", "--out", str(wide)]) == 0
    fails(
        capsys,
        "rewind",
        "--mask",
        files["mask"],
        "--weights",
        wide,
        "--out",
        tmp_path / "o.safetensors",
        culprits=[files["mask"], "'hidden.0.weight'", "(8, 2)", "(16, 2)"],
    )
    assert not (tmp_path / "o.safetensors").exists()


# --- 3. the dataset is checked everywhere ------------------------------------------------------------


def test_network_on_another_dataset(capsys, files, tmp_path):
    fails(
        capsys,
        "evaluate",
        "--weights",
        files["mnist"],
        "--data",
        files["fashion_data"],
        *RUNTIME,
        culprits=[files["mnist"], files["fashion_data"], "fashion_mnist", "built for mnist"],
    )
    fails(
        capsys,
        "evaluate",
        "--weights",
        files["conv2"],
        "--data",
        files["xor"],
        *RUNTIME,
        culprits=[files["conv2"], "holds xor", "cifar10"],
    )
    fails(
        capsys,
        "interpolate",
        "--a",
        files["mnist"],
        "--b",
        files["mnist"],
        "--data",
        files["fashion_data"],
        "--out",
        tmp_path / "p.csv",
        *RUNTIME,
        culprits=[files["fashion_data"], "built for mnist"],
    )
    fails(
        capsys,
        "interpolate",
        "--a",
        files["mnist"],
        "--b",
        files["fashion"],
        "--data",
        files["fashion_data"],
        "--out",
        tmp_path / "p.csv",
        *RUNTIME,
        culprits=[files["mnist"], files["fashion"], "fashion_mnist"],
    )
    fails(
        capsys,
        "train",
        "--data",
        files["xor"],
        "--start",
        files["mnist"],
        "--train",
        TRAIN,
        "--order-seed",
        0,
        *RUNTIME,
        "--metrics",
        tmp_path / "m.csv",
        "--out",
        tmp_path / "o.safetensors",
        culprits=[files["xor"], files["mnist"], "holds xor"],
    )
    assert not (tmp_path / "p.csv").exists()


# --- 4. outputs that cannot be written are found before the work -------------------------------------


@pytest.mark.parametrize("which", ["out", "metrics", "save-out"])
def test_unwritable_output_fails_before_training(capsys, files, tmp_path, which, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    paths = {"out": tmp_path / "o.safetensors", "metrics": tmp_path / "m.csv", "save-out": tmp_path / "s.safetensors"}
    paths[which] = blocker / "x"  # a folder that is a file
    monkeypatch.setattr("lth.training.train", lambda *a, **k: pytest.fail("trained before checking the outputs"))
    fails(
        capsys,
        "train",
        "--data",
        files["xor"],
        "--start",
        files["init"],
        "--train",
        TRAIN,
        "--order-seed",
        0,
        *RUNTIME,
        "--save-at",
        2,
        "--save-out",
        paths["save-out"],
        "--metrics",
        paths["metrics"],
        "--out",
        paths["out"],
        culprits=[paths[which], "cannot write"],
    )
    fails(
        capsys,
        "train",
        "--data",
        files["xor"],
        "--start",
        files["init"],
        "--train",
        TRAIN,
        "--order-seed",
        0,
        *RUNTIME,
        "--metrics",
        tmp_path / "m.csv",
        "--out",
        tmp_path,
        culprits=[tmp_path, "is a folder"],
    )


def test_unwritable_output_of_data_and_interpolate(capsys, files, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    fails(
        capsys,
        "data",
        "--dataset",
        "xor",
        "--root",
        tmp_path,
        "--out",
        blocker / "x.safetensors",
        culprits=[blocker / "x.safetensors"],
    )
    fails(
        capsys,
        "interpolate",
        "--a",
        files["init"],
        "--b",
        files["init"],
        "--data",
        files["xor"],
        "--out",
        blocker / "p.csv",
        *RUNTIME,
        culprits=[blocker / "p.csv"],
    )


# --- 5. integrity: content hashes and `lth verify` ---------------------------------------------------


def _flip(path: Path, offset: int = -5) -> None:
    blob = bytearray(path.read_bytes())
    blob[offset] ^= 0x01
    path.write_bytes(bytes(blob))


SAFETENSORS_DAMAGE = {
    "bit flip": lambda p: _flip(p),
    "truncated": lambda p: p.write_bytes(p.read_bytes()[:-100]),
    "zero bytes": lambda p: p.write_bytes(b""),
    "random bytes": lambda p: p.write_bytes(np.random.default_rng(0).bytes(500)),
    "huge header": lambda p: p.write_bytes((1 << 62).to_bytes(8, "little") + b"{}"),
}


@pytest.mark.parametrize("damage", SAFETENSORS_DAMAGE)
def test_damaged_checkpoint_is_named_as_damaged(capsys, files, tmp_path, damage):
    state = copy_pair(files["mask"], tmp_path, "mask")
    SAFETENSORS_DAMAGE[damage](state)
    fails(
        capsys,
        "rewind",
        "--mask",
        state,
        "--weights",
        files["init"],
        "--out",
        tmp_path / "o.safetensors",
        culprits=[state, "is damaged", "lth prune", "snakemake --cores 1 --force"],
    )


@pytest.mark.parametrize("damage", ["truncated", "zero bytes", "random bytes", "huge header"])
def test_damaged_file_without_sidecar(capsys, files, tmp_path, damage):
    """No sidecar, so no hash: still named, as not a safetensors file."""
    state = copy_pair(files["mask"], tmp_path, "mask")
    checkpoint.sidecar(state).unlink()
    SAFETENSORS_DAMAGE[damage](state)
    fails(
        capsys,
        "prune",
        "--trained",
        state,
        "--prune",
        PRUNE,
        "--out",
        tmp_path / "o",
        culprits=[state, "not a safetensors"],
    )


def test_weights_without_sidecar(capsys, files, tmp_path):
    state = copy_pair(files["init"], tmp_path)
    checkpoint.sidecar(state).unlink()
    fails(
        capsys,
        "prune",
        "--trained",
        state,
        "--prune",
        PRUNE,
        "--out",
        tmp_path / "o",
        culprits=[state, "has no sidecar", checkpoint.sidecar(state)],
    )


def test_sidecar_records_the_files_hash(files):
    import hashlib

    record = json.loads(checkpoint.sidecar(files["mask"]).read_text())
    assert record["sha256"] == hashlib.sha256(files["mask"].read_bytes()).hexdigest()


def _results_tree(files, root: Path) -> dict[str, Path]:
    run = root / "exp" / "trial0"
    (run / "round1").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "data" / "xor.safetensors").write_bytes(files["xor"].read_bytes())
    good = {
        "init": copy_pair(files["init"], run, "init"),
        "mask": copy_pair(files["mask"], run / "round1", "mask_iterative"),
        "metrics": run / "metrics.csv",
    }
    good["metrics"].write_text("iteration,split,loss,accuracy\n0,test,1.0,0.5\n2,test,0.9,0.6\n")
    return good


def test_verify_a_clean_tree(capsys, files, tmp_path):
    _results_tree(files, tmp_path)
    rc, out, err = run_lth(capsys, "verify", tmp_path)
    assert rc == 0, err
    assert out.strip() == "ok: 4 files checked"


def test_verify_names_every_damaged_file_and_what_re_creates_it(capsys, files, tmp_path):
    good = _results_tree(files, tmp_path)
    _flip(good["mask"])  # bit rot
    rewind = copy_pair(files["init"], good["init"].parent, "rewind")
    checkpoint.sidecar(rewind).unlink()  # killed between the two files (older lth)
    orphan = copy_pair(files["init"], good["init"].parent, "orphan")
    orphan.unlink()  # the sidecar is left alone
    good["metrics"].write_text("iteration,split,loss,accuracy\n0,test,1.0,0.5\n2,te")
    (tmp_path / "data" / "xor.safetensors").write_bytes(b"")
    rc, out, err = run_lth(capsys, "verify", tmp_path)
    assert rc == 2 and "Traceback" not in err
    assert err.strip() == "lth verify: error: 5 of 6 files are damaged (listed above)"
    damaged = [line.split(" ", 2)[1].rstrip(":") for line in out.splitlines() if line.startswith("DAMAGED ")]
    expected = [tmp_path / "data" / "xor.safetensors", good["metrics"], orphan, rewind, good["mask"]]
    assert sorted(damaged) == sorted(str(p) for p in expected)
    assert (
        "has no sidecar" in out and "damaged: its SHA-256" in out and "line 3 has 2 fields" in out and "is not" in out
    )
    assert f"snakemake --cores 1 --force {' '.join(damaged)}" in out
    assert str(good["init"]) not in out


def test_verify_checks_config_files(capsys, tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("run: [a]\nexperiments: {a: {trials: 1}}\n")
    bad.write_text("run: [a]\nexperiments:\n  a: {trials: 1}\n  a: {trials: 2}\n")
    rc, out, _ = run_lth(capsys, "verify", good)
    assert rc == 0 and out.strip() == f"ok: config file '{good}'"
    fails(capsys, "verify", bad, culprits=[bad, "line 4", "'experiments.a'"])
    fails(capsys, "verify", tmp_path / "nope", culprits=[tmp_path / "nope"])


# --- 6. data errors say what is wrong ---------------------------------------------------------------


def _idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def _fake_mnist(root: Path, labels: np.ndarray | None = None) -> Path:
    """Extracted MNIST idx files of 10 train and 10 test images (torchvision reads these unchecked)."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    labels = np.arange(10) if labels is None else labels
    for split in ("train", "t10k"):
        _idx(raw / f"{split}-images-idx3-ubyte", np.zeros((10, 28, 28)))
        _idx(raw / f"{split}-labels-idx1-ubyte", labels)
    return raw


def test_data_truncated_extracted_file(capsys, tmp_path):
    raw = _fake_mnist(tmp_path)
    images = raw / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:5000])
    fails(
        capsys,
        "data",
        "--dataset",
        "mnist",
        "--root",
        tmp_path,
        "--out",
        tmp_path / "o.safetensors",
        culprits=[images, "5000 bytes", "10 x 28 x 28", "7856"],
    )
    images.write_bytes(b"PK\x03\x04 not an idx file")
    fails(
        capsys,
        "data",
        "--dataset",
        "mnist",
        "--root",
        tmp_path,
        "--out",
        tmp_path / "o.safetensors",
        culprits=[images, "not an idx file"],
    )


def test_data_labels_out_of_range(capsys, tmp_path):
    _fake_mnist(tmp_path, labels=np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 12]))
    fails(
        capsys,
        "data",
        "--dataset",
        "mnist",
        "--root",
        tmp_path,
        "--out",
        tmp_path / "o.safetensors",
        culprits=["mnist", str(tmp_path), "train labels hold 12", "0..9"],
    )
    assert not (tmp_path / "o.safetensors").exists()
    npz = tmp_path / "subset.npz"
    images = np.zeros((4, 3072), dtype=np.uint8)
    np.savez(
        npz,
        train_data=images,
        test_data=images,
        train_index=np.arange(4),
        test_index=np.arange(4),
        train_labels_all=np.array([0, 1, 2, 3]),
        test_labels_all=np.array([0, -1, 2, 3]),
    )
    fails(
        capsys,
        "data",
        "--dataset",
        "cifar10_subset",
        "--root",
        npz,
        "--out",
        tmp_path / "o.safetensors",
        culprits=["cifar10_subset", "test labels hold -1"],
    )


def test_data_archive_of_the_wrong_md5(capsys, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    bogus = raw / "train-labels-idx1-ubyte.gz"
    bogus.write_bytes(gzip.compress(b"not mnist"))
    fails(
        capsys,
        "data",
        "--dataset",
        "mnist",
        "--root",
        tmp_path,
        "--out",
        tmp_path / "o.safetensors",
        culprits=[bogus, "is damaged", "the official file has 28881", "md5", "d53e105ee54ea40749a09fcbcd1e9432"],
    )


@pytest.mark.data
@pytest.mark.parametrize("damage", ["truncated", "bit flip"])
def test_data_real_archive_damaged(capsys, real_data_root, tmp_path, damage):
    source = real_data_root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz"
    if not source.is_file():
        pytest.skip(f"{source} not found; set LTH_DATA_ROOT")
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    copy = raw / source.name
    copy.write_bytes(source.read_bytes()[:1000] if damage == "truncated" else source.read_bytes())
    if damage == "bit flip":
        _flip(copy, 100)
    expected = (
        "1000 bytes, the official file has 4542" if damage == "truncated" else "altered: 4542 bytes (the official size)"
    )
    fails(
        capsys,
        "data",
        "--dataset",
        "mnist",
        "--root",
        tmp_path,
        "--out",
        tmp_path / "o.safetensors",
        culprits=[copy, expected],
    )


PREPARED = {
    "image shape": ({"train_x": torch.zeros(20, 1, 27, 27, dtype=torch.uint8)}, "(1, 27, 27)"),
    "label count": ({"train_y": torch.zeros(19, dtype=torch.int64)}, "labels have shape (19,)"),
    "float labels": ({"train_y": torch.zeros(20)}, "expected integers"),
    "label range": ({"test_y": torch.full((20,), 10)}, "test labels hold 10"),
    "float images": ({"test_x": torch.zeros(20, 1, 28, 28)}, "expected uint8"),
}


@pytest.mark.parametrize("case", PREPARED)
def test_prepared_data_is_checked(capsys, files, tmp_path, case):
    change, damage = PREPARED[case]
    bad = tiny_data(tmp_path / "mnist.safetensors", "mnist", **change)
    fails(
        capsys,
        "evaluate",
        "--weights",
        files["mnist"],
        "--data",
        bad,
        "--validation-size",
        "5",
        "--device",
        "cpu",
        culprits=[bad, damage],
    )


# --- 7. strict configs ------------------------------------------------------------------------------


EXPERIMENT = {"model": {"hidden": [8]}, "train": {"iterations": 20}, "prune": {"rounds": 1}}
CONFIG_ERRORS = {
    "seed as text": ({"seed": "3"}, "seed: expected an integer, got '3'"),
    "trials as text": ({"trials": "two"}, "trials: expected an integer, got 'two'"),
    "trials as a float": ({"trials": 2.5}, "trials: expected an integer"),
    "rewind_iteration as text": ({"rewind_iteration": "5"}, "rewind_iteration: expected an integer"),
    "validation_size 0": ({"validation_size": 0}, "validation_size: 0 leaves no validation set"),
    "negative lr": ({"train": {"lr": -1}}, "train.lr: must be positive"),
    "rate 1": ({"prune": {"rate": 1.0}}, "prune.rate: must be in [0, 1)"),
    "rewind beyond budget": ({"rewind_iteration": 20}, "rewind_iteration: 20 must be in [0, train.iterations=20)"),
    "zero trials": ({"trials": 0}, "trials: must be at least 1"),
    "controls as text": ({"controls": "reinit"}, "controls: expected a list"),
    "unknown key": ({"trails": 2}, "trails: unknown key"),
    "injection in a value": ({"model": {"name": "mlp; touch pwned"}}, "model.name: unknown value 'mlp; touch pwned'"),
    "injection in a dataset": ({"dataset": "$(touch pwned)"}, "dataset: unknown value '$(touch pwned)'"),
}


@pytest.mark.parametrize("case", CONFIG_ERRORS)
def test_config_values_name_the_key(case):
    change, message = CONFIG_ERRORS[case]
    with pytest.raises(LthError) as err:
        Experiment.from_config("exp", {**EXPERIMENT, **change})
    assert f"experiments.exp.{message}" in str(err.value) and "\n" not in str(err.value)


YAML_ERRORS = {
    "duplicate key": (
        "run: [a]\nexperiments:\n  a:\n    trials: 1\n    seed: 0\n    trials: 2\n",
        "line 6: duplicate key 'experiments.a.trials' (first given at line 4)",
    ),
    "duplicate experiment": (
        "experiments:\n  a: {trials: 1}\n  b: {}\n  a: {trials: 2}\nrun: [a]\n",
        "line 4: duplicate key 'experiments.a' (first given at line 2)",
    ),
    "duplicate in a list item": ("studies: [{kind: x, kind: y}]\n", "duplicate key 'studies.0.kind'"),
    "duplicate JSON key": ('{"run": ["a"], "run": ["b"]}', "duplicate key 'run'"),
    "unclosed list": ("run: [a\nexperiments: {}\n", "line 2, column 12: not valid YAML"),
    "tab indentation": ("experiments:\n\ta: {}\n", "line 2, column 1: not valid YAML"),
    "python tag": ("run: !!python/object/apply:os.system ['touch pwned']\n", "line 1, column 6: not valid YAML"),
}


@pytest.mark.parametrize("case", YAML_ERRORS)
def test_config_file_errors_name_file_and_line(tmp_path, case):
    text, message = YAML_ERRORS[case]
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(LthError) as err:
        configfile.load(path)
    assert f"config file '{path}'" in str(err.value) and message in str(err.value), str(err.value)
    assert not (tmp_path / "pwned").exists()


def test_aliases_are_not_duplicates(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("base: &b {lr: 0.1}\na: {train: *b}\nb: {train: *b, <<: *b}\n")
    assert configfile.load(path)["a"] == {"train": {"lr": 0.1}}


INJECTIONS = {
    "provenance tag": [
        "init",
        "--model",
        "{hidden: [8]}",
        "--dataset",
        "xor",
        "--seed",
        "0",
        "--out",
        "{out}",
        "--provenance",
        "!!python/object/apply:os.system ['touch {pwned}']",
    ],
    "model name": [
        "init",
        "--model",
        "{name: '$(touch {pwned})'}",
        "--dataset",
        "xor",
        "--seed",
        "0",
        "--out",
        "{out}",
    ],
    "dataset": ["init", "--model", "{}", "--dataset", "xor; touch {pwned}", "--seed", "0", "--out", "{out}"],
    "spec key": [
        "prune",
        "--trained",
        "{init}",
        "--prune",
        '{\'__import__("os").system("touch {pwned}")\': 1}',
        "--out",
        "{out}",
    ],
}


@pytest.mark.parametrize("case", INJECTIONS)
def test_injection_attempts_are_plain_bad_input(capsys, files, tmp_path, case):
    pwned = tmp_path / "pwned"
    args = [
        a.replace("{out}", str(tmp_path / "o.safetensors"))
        .replace("{pwned}", str(pwned))
        .replace("{init}", str(files["init"]))
        for a in INJECTIONS[case]
    ]
    fails(capsys, *args, culprits=["error: "])
    assert not pwned.exists() and not (tmp_path / "o.safetensors").exists()


# --- 8. a full disk is visible -----------------------------------------------------------------------


def test_full_disk_while_writing_an_output(capsys, tmp_path, monkeypatch):
    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    out = tmp_path / "init.safetensors"
    fails(
        capsys,
        "init",
        "--model",
        "{hidden: [8]}",
        "--dataset",
        "xor",
        "--seed",
        "0",
        "--out",
        out,
        culprits=[out, "No space left on device"],
    )
    assert list(tmp_path.iterdir()) == []  # no weight file, no sidecar, no temporary


def test_error_reaches_the_parent_when_stderr_cannot_be_written(capsys, tmp_path, monkeypatch):
    class FullDisk:
        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self):
            raise OSError(errno.ENOSPC, "No space left on device")

    parent = tmp_path / "parent_stderr"
    monkeypatch.setattr(errors, "PARENT_STDERR", str(parent))
    monkeypatch.setattr(sys, "stderr", FullDisk())
    missing = tmp_path / "missing.safetensors"
    assert main(["prune", "--trained", str(missing), "--prune", PRUNE, "--out", str(tmp_path / "o")]) == 2
    assert parent.read_text() == (
        f"lth prune: error: trained state file not found: '{missing}' (and the log could not be written)\n"
    )


def test_job_whose_log_is_on_a_full_disk(capfd, tmp_path):
    """As a Snakemake job (`lth ... > {log} 2>&1`) whose log cannot be written: /dev/full fails
    every write with ENOSPC; the line reaches the stderr of the shell that started lth."""
    missing = tmp_path / "missing.safetensors"
    command = (
        f"{sys.executable} -m lth prune --trained {missing} --prune '{PRUNE}' --out {tmp_path / 'o'} > /dev/full 2>&1"
    )
    proc = subprocess.run(["bash", "-c", f"set -euo pipefail; {command}"], timeout=120)
    assert proc.returncode == 2
    err = capfd.readouterr().err
    assert f"lth prune: error: trained state file not found: '{missing}' (and the log could not be written)" in err
    assert "Traceback" not in err


# --- the workflow: config files Snakemake reads itself -----------------------------------------------


def snakemake_n(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--snakefile",
            str(REPO / "Snakefile"),
            "--directory",
            str(workdir),
            "--cores",
            "1",
            "-n",
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


WORKFLOW_CASES = {
    "syntax error in config.yaml": (
        "config.yaml",
        "run: [a\nexperiments: {}\n",
        [],
        "config file 'config.yaml', line 2, column 12: not valid YAML",
    ),
    "duplicate key in --configfile": (
        "over.yaml",
        "run: [a]\nexperiments:\n  a: {trials: 1}\n  a: {trials: 2}\n",
        ["--configfile", "over.yaml"],
        "line 4: duplicate key 'experiments.a'",
    ),
    "trials as text": (
        "over.yaml",
        "run: [a]\nexperiments:\n  a: {trials: '2'}\n",
        ["--configfile", "over.yaml"],
        "experiments.a.trials: expected an integer, got '2'",
    ),
    "injection in an experiment name": (
        "over.yaml",
        "run: ['a;touch pwned']\nexperiments:\n  'a;touch pwned': {}\n",
        ["--configfile", "over.yaml"],
        "'a;touch pwned' does not match",
    ),
}


@pytest.mark.pipeline
@pytest.mark.parametrize("case", WORKFLOW_CASES)
def test_workflow_config_errors(tmp_path, case):
    name, text, args, message = WORKFLOW_CASES[case]
    (tmp_path / name).write_text(text)
    proc = snakemake_n(tmp_path, *(str(tmp_path / a) if a == name else a for a in args))
    assert proc.returncode != 0
    assert message in proc.stderr + proc.stdout, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "results").exists()
