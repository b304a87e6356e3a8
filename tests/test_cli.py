"""The `lth` command line, in-process and once as a real subprocess: the whole ticket workflow on
XOR, and bad input ending in exit status 2 with one line naming the culprit."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
import torch

from lth import checkpoint, masks
from lth.cli import main

TRAIN = "{optimizer: adam, lr: 0.01, batch_size: 100, iterations: 60, eval_every: 20}"
PRUNE = "{strategy: layerwise, rate: 0.2, output_rate: 0.1}"
RUNTIME = ["--validation-size", "1000", "--split-seed", "0", "--device", "cpu", "--threads", "1"]


def ok(*args, capsys=None) -> str:
    rc = main([str(a) for a in args])
    out = capsys.readouterr() if capsys else None
    assert rc == 0, (args, out)
    return out.out if out else ""


def fails(capsys, *args) -> str:
    """Run the CLI expecting exit status 2 and exactly one stderr line, no traceback; return that line."""
    capsys.readouterr()
    rc = main([str(a) for a in args])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"lth {args[0]}: error: ")
    return lines[0]


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    """init -> train (saving θ_10) -> prune -> rewind (θ₀ and θ_10) -> train -> prune -> controls."""
    d = tmp_path_factory.mktemp("cli")
    p = {
        name: d / f"{name}.safetensors"
        for name in (
            "xor",
            "init",
            "theta10",
            "trained0",
            "mask1",
            "start1",
            "late1",
            "trained1",
            "trained_late1",
            "mask2",
            "reinit",
            "shuffle",
            "random",
            "trained_shuffle",
        )
    }
    ok("data", "--dataset", "xor", "--root", d / "raw", "--out", p["xor"])
    ok("init", "--model", "{name: mlp, hidden: [16]}", "--dataset", "xor", "--seed", 0, "--out", p["init"])
    ok(
        "train",
        "--data",
        p["xor"],
        "--start",
        p["init"],
        "--train",
        TRAIN,
        "--order-seed",
        1,
        *RUNTIME,
        "--save-at",
        10,
        "--save-out",
        p["theta10"],
        "--metrics",
        d / "m0.csv",
        "--out",
        p["trained0"],
        "--provenance",
        "{trial: 0, round: 0}",
    )
    ok("prune", "--trained", p["trained0"], "--prune", PRUNE, "--out", p["mask1"])
    ok("rewind", "--mask", p["mask1"], "--weights", p["init"], "--out", p["start1"])
    ok("rewind", "--mask", p["mask1"], "--weights", p["theta10"], "--out", p["late1"])
    ok(
        "train",
        "--data",
        p["xor"],
        "--start",
        p["start1"],
        "--train",
        TRAIN,
        "--order-seed",
        1,
        *RUNTIME,
        "--metrics",
        d / "m1.csv",
        "--out",
        p["trained1"],
    )
    ok(
        "train",
        "--data",
        p["xor"],
        "--start",
        p["late1"],
        "--train",
        TRAIN,
        "--order-seed",
        1,
        *RUNTIME,
        "--start-iteration",
        10,
        "--metrics",
        d / "m_late1.csv",
        "--out",
        p["trained_late1"],
    )
    ok("prune", "--trained", p["trained1"], "--prune", PRUNE, "--out", p["mask2"])
    for kind, seed in (("reinit", 21), ("shuffle", 22), ("random", 23)):
        ok("control", "--kind", kind, "--mask", p["mask2"], "--weights", p["init"], "--seed", seed, "--out", p[kind])
    ok(
        "train",
        "--data",
        p["xor"],
        "--start",
        p["shuffle"],
        "--train",
        TRAIN,
        "--order-seed",
        1,
        *RUNTIME,
        "--metrics",
        d / "m_shuffle.csv",
        "--out",
        p["trained_shuffle"],
    )
    p["dir"] = d
    return p


def load(path):
    return checkpoint.load(path)


def side(path):
    return json.loads(checkpoint.sidecar(path).read_text())


def test_workflow_outputs_and_counts(workflow):
    init, mask1, mask2 = load(workflow["init"]), load(workflow["mask1"]), load(workflow["mask2"])
    sizes = {"hidden.0.weight": 32, "output.weight": 32}
    assert masks.counts(init.masks) == sizes
    assert masks.counts(mask1.masks) == {n: masks.survivors(s, r, 1) for (n, s), r in zip(sizes.items(), (0.2, 0.1))}
    assert masks.counts(mask2.masks) == {n: masks.survivors(s, r, 2) for (n, s), r in zip(sizes.items(), (0.2, 0.1))}
    assert mask1.weights == {} and mask2.weights == {}
    for n in sizes:
        assert not (mask2.masks[n] & ~mask1.masks[n]).any()  # nested
    assert side(workflow["mask2"])["counts"] == masks.counts(mask2.masks)
    assert side(workflow["mask2"])["prune"]["rate"] == 0.2


def test_workflow_training_outputs(workflow):
    d = workflow["dir"]
    metrics = pd.read_csv(d / "m0.csv")
    assert list(metrics.columns) == ["iteration", "split", "loss", "accuracy"]
    assert sorted(metrics["iteration"].unique()) == [0, 20, 40, 60]
    s = side(workflow["trained0"])
    assert s["seeds"] == {"init": 0, "order": 1, "split": 0}
    assert s["train"]["iterations"] == 60 and s["context"] == {"trial": 0, "round": 0}
    assert s["data"]["train_examples"] == 9000 and s["data"]["validation_examples"] == 1000
    assert s["summary"]["early_stop_iteration"] in (0, 20, 40, 60)
    assert side(workflow["theta10"])["iteration"] == 10
    # Trained from the rewound ticket, pruned weights are exactly zero.
    mask1 = load(workflow["mask1"]).masks
    for key in ("trained1", "trained_late1"):
        trained = load(workflow[key])
        for n, m in mask1.items():
            assert torch.equal(trained.masks[n], m)
            assert (trained.weights[n][~m] == 0.0).all(), (key, n)
    late = pd.read_csv(d / "m_late1.csv")
    assert late["iteration"].min() == 10 and late["iteration"].max() == 60


def test_workflow_rewinds_and_controls(workflow):
    init, theta10, mask1 = load(workflow["init"]), load(workflow["theta10"]), load(workflow["mask1"]).masks
    for key, source in (("start1", init), ("late1", theta10)):
        start = load(workflow[key])
        for n, w in source.weights.items():
            assert torch.equal(start.weights[n], w * mask1[n] if n in mask1 else w), (key, n)
    assert not torch.equal(init.weights["hidden.0.weight"], theta10.weights["hidden.0.weight"])

    mask2 = load(workflow["mask2"]).masks
    reinit = load(workflow["reinit"])
    assert all(torch.equal(reinit.masks[n], mask2[n]) for n in mask2)
    assert not torch.equal(
        reinit.weights["hidden.0.weight"], init.weights["hidden.0.weight"] * mask2["hidden.0.weight"]
    )
    for kind in ("shuffle", "random"):
        c = load(workflow[kind])
        assert masks.counts(c.masks) == masks.counts(mask2)
    # random: θ₀ at the new positions; shuffle: the ticket's θ₀ values moved with their
    # connections within the hidden layer, the output layer as in the ticket.
    random = load(workflow["random"])
    for n, w in init.weights.items():
        assert torch.equal(random.weights[n], w * random.masks[n] if n in random.masks else w), n
    shuffled = load(workflow["shuffle"])
    hidden = "hidden.0.weight"
    assert not torch.equal(shuffled.masks[hidden], mask2[hidden])
    assert torch.equal(
        shuffled.weights[hidden][shuffled.masks[hidden]].sort().values,
        init.weights[hidden][mask2[hidden]].sort().values,
    )
    for n in ("hidden.0.bias", "output.weight", "output.bias"):
        assert torch.equal(shuffled.weights[n], init.weights[n] * mask2[n] if n in mask2 else init.weights[n]), n
    assert side(workflow["shuffle"])["seeds"]["shuffle"] == 22
    trained = load(workflow["trained_shuffle"])
    for n, m in load(workflow["shuffle"]).masks.items():
        assert (trained.weights[n][~m] == 0).all()


def test_evaluate_matches_the_training_summary(workflow, capsys):
    out = ok(
        "evaluate",
        "--weights",
        workflow["trained1"],
        "--data",
        workflow["xor"],
        "--split",
        "val",
        "test",
        *RUNTIME,
        capsys=capsys,
    )
    result = json.loads(out)
    assert set(result) == {"val", "test"}
    summary = side(workflow["trained1"])["summary"]
    assert result["test"]["accuracy"] == summary["final_test_accuracy"]


def test_same_command_twice_gives_identical_outputs(workflow, tmp_path):
    args = [
        "train",
        "--data",
        workflow["xor"],
        "--start",
        workflow["start1"],
        "--train",
        TRAIN,
        "--order-seed",
        1,
        *RUNTIME,
    ]
    ok(*args, "--metrics", tmp_path / "m.csv", "--out", tmp_path / "t.safetensors")
    assert (tmp_path / "m.csv").read_bytes() == (workflow["dir"] / "m1.csv").read_bytes()
    a, b = load(tmp_path / "t.safetensors"), load(workflow["trained1"])
    assert all(torch.equal(a.weights[n], b.weights[n]) for n in a.weights)


# --- bad input --------------------------------------------------------------------------------------


def test_unknown_model(capsys, tmp_path):
    line = fails(
        capsys, "init", "--model", "{name: resnet99}", "--dataset", "xor", "--seed", 0, "--out", tmp_path / "x"
    )
    assert "model.name" in line and "resnet99" in line and "mlp" in line
    line = fails(
        capsys, "init", "--model", "{hidden: [8], depth: 2}", "--dataset", "xor", "--seed", 0, "--out", tmp_path / "x"
    )
    assert "model.depth" in line and "unknown key" in line
    assert not (tmp_path / "x").exists()


def test_unknown_dataset(capsys, tmp_path):
    line = fails(capsys, "init", "--model", "{}", "--dataset", "imagenet", "--seed", 0, "--out", tmp_path / "x")
    assert "'imagenet'" in line and "mnist" in line


def test_missing_files(capsys, workflow, tmp_path):
    missing = tmp_path / "missing.safetensors"
    line = fails(
        capsys,
        "train",
        "--data",
        workflow["xor"],
        "--start",
        missing,
        "--train",
        TRAIN,
        "--order-seed",
        0,
        *RUNTIME,
        "--metrics",
        tmp_path / "m.csv",
        "--out",
        tmp_path / "o",
    )
    assert str(missing) in line and "start state" in line
    line = fails(
        capsys,
        "train",
        "--data",
        missing,
        "--start",
        workflow["init"],
        "--train",
        TRAIN,
        "--order-seed",
        0,
        *RUNTIME,
        "--metrics",
        tmp_path / "m.csv",
        "--out",
        tmp_path / "o",
    )
    assert str(missing) in line and "prepared data" in line
    line = fails(capsys, "prune", "--trained", missing, "--prune", PRUNE, "--out", tmp_path / "o")
    assert str(missing) in line
    line = fails(capsys, "data", "--dataset", "cifar10_subset", "--root", tmp_path, "--out", tmp_path / "o")
    assert str(tmp_path) in line and "cifar10_exact_subset.npz" in line
    assert list(tmp_path.iterdir()) == []


def test_foreign_file(capsys, workflow, tmp_path):
    line = fails(capsys, "prune", "--trained", workflow["xor"], "--prune", PRUNE, "--out", tmp_path / "o")
    assert str(workflow["xor"]) in line and "not written by lth" in line


def test_bad_spec_text(capsys, workflow, tmp_path):
    line = fails(capsys, "prune", "--trained", workflow["trained0"], "--prune", "{rate: 1.5}", "--out", tmp_path / "o")
    assert "prune.rate" in line
    line = fails(
        capsys,
        "train",
        "--data",
        workflow["xor"],
        "--start",
        workflow["init"],
        "--train",
        "{lr: [oops",
        "--order-seed",
        0,
        *RUNTIME,
        "--metrics",
        tmp_path / "m.csv",
        "--out",
        tmp_path / "o",
    )
    assert "train" in line and "YAML" in line


def test_data_of_another_dataset(capsys, workflow, tmp_path):
    mnist_init = tmp_path / "mnist_init.safetensors"
    ok("init", "--model", "{hidden: [8]}", "--dataset", "mnist", "--seed", 0, "--out", mnist_init)
    line = fails(
        capsys,
        "train",
        "--data",
        workflow["xor"],
        "--start",
        mnist_init,
        "--train",
        TRAIN,
        "--order-seed",
        0,
        *RUNTIME,
        "--metrics",
        tmp_path / "m.csv",
        "--out",
        tmp_path / "o",
    )
    assert "xor" in line and "mnist" in line


@pytest.fixture(scope="module")
def mismatched(tmp_path_factory):
    """A mask from MLP [8] and weights of MLP [16], both for XOR."""
    d = tmp_path_factory.mktemp("mismatch")
    ok("init", "--model", "{hidden: [8]}", "--dataset", "xor", "--seed", 0, "--out", d / "init8.safetensors")
    ok("prune", "--trained", d / "init8.safetensors", "--prune", PRUNE, "--out", d / "mask8.safetensors")
    ok("init", "--model", "{hidden: [16]}", "--dataset", "xor", "--seed", 0, "--out", d / "init16.safetensors")
    return d


def test_mask_weights_shape_mismatch(capsys, mismatched):
    mask8 = mismatched / "mask8.safetensors"
    for command in ("rewind", "control --kind shuffle --seed 1", "control --kind reinit --seed 1"):
        line = fails(
            capsys,
            *command.split(),
            "--mask",
            mask8,
            "--weights",
            mismatched / "init16.safetensors",
            "--out",
            mismatched / "out.safetensors",
        )
        assert str(mask8) in line and "'hidden.0.weight'" in line and "(8, 2)" in line and "(16, 2)" in line
    assert not (mismatched / "out.safetensors").exists()


def test_subprocess_reports_one_line(mismatched):
    mask8 = mismatched / "mask8.safetensors"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lth",
            "rewind",
            "--mask",
            str(mask8),
            "--weights",
            str(mismatched / "init16.safetensors"),
            "--out",
            str(mismatched / "sub.safetensors"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert (
        lines[0].startswith("lth rewind: error: mask ") and "'hidden.0.weight'" in lines[0] and str(mask8) in lines[0]
    )
    assert proc.stdout == ""


def test_save_at_outside_the_budget(capsys, workflow, tmp_path):
    line = fails(
        capsys,
        "train",
        "--data",
        workflow["xor"],
        "--start",
        workflow["init"],
        "--train",
        TRAIN,
        "--order-seed",
        0,
        *RUNTIME,
        "--save-at",
        99,
        "--save-out",
        tmp_path / "s",
        "--metrics",
        tmp_path / "m.csv",
        "--out",
        tmp_path / "o",
    )
    assert "99" in line


def test_argparse_errors_exit_2_and_name_the_argument(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["control", "--kind", "bogus", "--mask", "a", "--weights", "b", "--seed", "1", "--out", "c"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("lth control: error: argument --kind: invalid choice: 'bogus'")


def test_argparse_errors_are_one_line(capsys):
    with pytest.raises(SystemExit):
        main(["control", "--kind", "bogus", "--mask", "a", "--weights", "b", "--seed", "1", "--out", "c"])
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def subparsers():
    """(name, parser) of every `lth` subcommand."""
    import argparse

    from lth.cli import build_parser

    (action,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return list(action.choices.items())


def test_every_argument_of_every_subcommand_has_help():
    from lth.cli import SUBCOMMANDS

    parsers = subparsers()
    assert [name for name, _ in parsers] == list(SUBCOMMANDS)
    missing = [
        f"lth {name} {action.option_strings or action.dest}"
        for name, parser in parsers
        for action in parser._actions
        if not action.help
    ]
    assert not missing, f"arguments without help: {missing}"


def test_data_root_is_optional_and_its_absence_one_line(capsys, monkeypatch, tmp_path):
    """--root defaults to $LTH_DATA_ROOT, so the usage shows it optional; with neither it is a one-line error."""
    monkeypatch.delenv("LTH_DATA_ROOT", raising=False)
    (data,) = [parser for name, parser in subparsers() if name == "data"]
    assert "[--root ROOT]" in data.format_usage()
    line = fails(capsys, "data", "--dataset", "xor", "--out", tmp_path / "x.safetensors")
    assert "--root" in line and "LTH_DATA_ROOT" in line
