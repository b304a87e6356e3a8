"""Sweep expansion (lth.sweeps): member names, their configs, `run:` resolution and bad sweeps."""

from __future__ import annotations

import pytest

from lth.errors import LthError
from lth.experiment import Experiment
from lth.sweeps import build, expand, resolve_run, value_token

BASE = {
    "dataset": "mnist",
    "model": {"name": "mlp", "hidden": [300, 100]},
    "train": {"lr": 1.2e-3, "iterations": 100},
    "prune": {"rate": 0.2, "rounds": 2},
}


def swept(key, values, **extra):
    return {**BASE, **extra, "sweep": {"key": key, "values": values}}


def test_learning_rate_sweep_names_configs_and_order():
    configs, sweeps = expand({"lenet": swept("train.lr", [6e-4, 1.2e-3, 2.4e-3]), "other": BASE})
    members = ["lenet__lr_0p0006", "lenet__lr_0p0012", "lenet__lr_0p0024"]
    assert list(configs) == [*members, "other"]
    assert sweeps["lenet"].members == tuple(members) and sweeps["lenet"].key == "train.lr"
    assert sweeps["lenet"].labels() == dict(zip(members, ["0.0006", "0.0012", "0.0024"]))
    for member, lr in zip(members, [6e-4, 1.2e-3, 2.4e-3]):
        exp = Experiment.from_config(member, configs[member])
        assert exp.train.lr == lr and exp.name == member
        # Only the swept key differs from the base experiment.
        assert configs[member] == {**BASE, "train": {**BASE["train"], "lr": lr}}
    assert configs["other"] is BASE


@pytest.mark.parametrize(
    "key, values, names",
    [
        ("model.hidden", [[300, 100], [100, 30]], ["e__hidden_300x100", "e__hidden_100x30"]),
        (
            "train_fraction",
            [0.1, 0.25, 1.0],
            ["e__train_fraction_0p1", "e__train_fraction_0p25", "e__train_fraction_1p0"],
        ),
        ("model.init_std", [1e-05, 0.1], ["e__init_std_1em05", "e__init_std_0p1"]),
        ("seed", [-1, 3], ["e__seed_m1", "e__seed_3"]),
        ("model.init", ["glorot_normal", "normal"], ["e__init_glorot_normal", "e__init_normal"]),
        ("prune.target_remaining", [0.1, 0.05], ["e__target_remaining_0p1", "e__target_remaining_0p05"]),
    ],
)
def test_member_names_are_valid_folder_and_wildcard_names(key, values, names):
    base = {**BASE, "prune": {"rounds": 2}} if key == "prune.target_remaining" else BASE
    if key == "model.init_std":  # (only the normal initialiser has a std to set)
        base = {**BASE, "model": {**BASE["model"], "init": "normal"}}
    configs, sweeps = expand({"e": {**base, "sweep": {"key": key, "values": values}}})
    assert list(configs) == names == list(sweeps["e"].members)
    for name in names:
        assert name.replace("_", "").isalnum()
        Experiment.from_config(name, configs[name])  # every member is a valid experiment


def test_sweeping_a_key_the_base_leaves_out_adds_it():
    configs, _ = expand({"e": {**BASE, "train": None, "sweep": {"key": "train.lr", "values": [0.01]}}})
    assert configs["e__lr_0p01"]["train"] == {"lr": 0.01}


def test_value_token_rules():
    assert value_token(True, "x") == "true"
    assert value_token(2.5e-07, "x") == "2p5em07"
    assert value_token("a.b/c", "x") == "a_b_c"
    with pytest.raises(LthError, match="sweep values must be"):
        value_token({"a": 1}, "x")


def test_run_resolves_sweeps_to_members():
    configs, sweeps = expand({"lenet": swept("train.lr", [1e-3, 2e-3]), "other": BASE})
    assert resolve_run(["lenet", "other"], configs, sweeps) == ["lenet__lr_0p001", "lenet__lr_0p002", "other"]
    assert resolve_run(["lenet__lr_0p002", "lenet"], configs, sweeps) == ["lenet__lr_0p002", "lenet__lr_0p001"]
    with pytest.raises(LthError, match="run: unknown experiment, sweep or study 'nope'"):
        resolve_run(["nope"], configs, sweeps)
    # a study's name is a valid entry that adds no experiment
    assert resolve_run(["xor", "other"], configs, sweeps, studies={"xor"}) == ["other"]


@pytest.mark.parametrize(
    "sweep, message",
    [
        (
            {"key": "train.lrr", "values": [1]},
            r"experiments\.e\.sweep\.key: unknown setting 'train\.lrr' \(.*train\.lr,",
        ),
        ({"key": "learning_rate", "values": [1]}, r"experiments\.e\.sweep\.key: unknown setting 'learning_rate'"),
        ({"key": "trials.x", "values": [1]}, r"experiments\.e\.sweep\.key: unknown setting 'trials\.x'"),
        ({"key": "train.lr", "values": []}, r"experiments\.e\.sweep\.values: need at least one value"),
        ({"key": "train.lr", "values": [0.1, 0.1]}, r"two values give the same experiment name 'e__lr_0p1'"),
        ({"key": "train.lr"}, r"experiments\.e\.sweep\.values: need at least one value"),
        ({"key": "train.lr", "values": [1], "extra": 2}, r"experiments\.e\.sweep\.extra: unknown key"),
    ],
)
def test_bad_sweeps_name_the_key(sweep, message):
    with pytest.raises(LthError, match=message):
        expand({"e": {**BASE, "sweep": sweep}})


def test_member_name_clashing_with_an_experiment_is_an_error():
    with pytest.raises(LthError, match=r"experiments\.e__lr_0p1: this name is also a sweep member's"):
        expand({"e": swept("train.lr", [0.1]), "e__lr_0p1": BASE})


def test_bad_value_names_the_member_and_key():
    configs, _ = expand({"e": swept("train.lr", [-1.0])})
    with pytest.raises(LthError, match=r"experiments\.e__lr_m1p0\.train\.lr: must be positive"):
        Experiment.from_config("e__lr_m1p0", configs["e__lr_m1p0"])


def test_experiment_refuses_an_unexpanded_sweep():
    with pytest.raises(LthError, match=r"experiments\.e\.sweep: .*expand it"):
        Experiment.from_config("e", swept("train.lr", [0.1]))


def test_schema_describes_sweeps_and_ablations():
    from dataclasses import fields
    from pathlib import Path

    import yaml

    from lth.experiment import ABLATIONS
    from lth.specs import SweepSpec

    schema = yaml.safe_load((Path(__file__).resolve().parents[1] / "workflow/schemas/config.schema.yaml").read_text())
    experiment = schema["$defs"]["experiment"]["properties"]
    assert set(experiment["sweep"]["properties"]) == {f.name for f in fields(SweepSpec)}
    assert set(experiment["ablations"]["items"]["enum"]) == set(ABLATIONS)


def test_build_gives_the_experiments_and_sweeps():
    experiments, sweeps = build({"lenet": swept("train.lr", [1e-3, 2e-3]), "other": BASE})
    assert list(experiments) == ["lenet__lr_0p001", "lenet__lr_0p002", "other"]
    assert experiments["lenet__lr_0p002"].train.lr == 2e-3 and experiments["other"] == Experiment.from_config(
        "other", BASE
    )
    assert sweeps["lenet"].members == ("lenet__lr_0p001", "lenet__lr_0p002")


@pytest.mark.parametrize(
    "key, values, same",
    [
        ("train.lr", [1, 1.0, 2], "1 and 1.0"),  # two names, one learning rate
    ],
)
def test_a_sweep_of_identical_members_is_an_error_naming_it(key, values, same):
    with pytest.raises(
        LthError, match=rf"^experiments\.e\.sweep: values {same} of {key} give the same experiment \(members e__"
    ):
        build({"e": swept(key, values)})


def test_a_sweep_over_a_key_without_effect_is_an_error_naming_the_key():
    with pytest.raises(
        LthError, match=r"^experiments\.e__momentum_0p9\.train\.momentum: has no effect with optimizer: adam"
    ):
        build({"e": swept("train.momentum", [0.9, 0.5])})
    with pytest.raises(
        LthError, match=r"^experiments\.e__init_std_0p01\.model\.init_std: has no effect with init: glorot_normal"
    ):
        build({"e": swept("model.init_std", [0.01, 0.1])})
