"""Pruning to a target, inverse pruning, random tie order, clamped training and fine-tuning
starts: the library behaviour behind the ablation variants."""

from __future__ import annotations

import math

import pytest
import torch
from conftest import random_weights

from lth import checkpoint, masks, models
from lth.cli import main
from lth.errors import LthError
from lth.experiment import Experiment
from lth.specs import ModelSpec, PruneSpec, TrainSpec
from lth.training import train


def cli(*args) -> None:
    assert main([str(a) for a in args]) == 0, args


BASE = {"dataset": "mnist", "model": {"name": "mlp"}, "train": {}, "prune": {"rounds": 2}}


def test_ablation_variants_and_config_errors():
    exp = Experiment.from_config("x", {**BASE, "controls": ["random"], "ablations": ["finetune", "inverse", "clamped"]})
    assert exp.variants(0) == ["ticket", "clamped"]  # the clamped chain trains its own dense network
    assert exp.variants(1) == ["ticket", "random", "finetune", "inverse", "clamped"]
    assert exp.clamp == 1.0 and exp.tie_seed(0, 1, "clamped") != exp.tie_seed(0, 2, "clamped")
    for cfg, message in [
        (
            {"ablations": ["bogus"]},
            r"^experiments\.x\.ablations: unknown ablation 'bogus' \(allowed: finetune, inverse, clamped\)",
        ),
        ({"ablations": ["inverse", "inverse"]}, r"^experiments\.x\.ablations: each ablation at most once"),
        ({"clamp": 0}, r"^experiments\.x\.clamp: expected a positive number"),
        ({"clamp": "big"}, r"^experiments\.x\.clamp: expected a positive number"),
    ]:
        with pytest.raises(LthError, match=message):
            Experiment.from_config("x", {**BASE, **cfg})


# --- per-round rate from a target -------------------------------------------------------------


def test_target_derives_the_rate_and_excludes_explicit_rates():
    spec = PruneSpec.from_dict({"target_remaining": 0.1, "rounds": 10}, "prune")
    assert spec.rate == spec.output_rate == spec.conv_rate == 1 - 0.1 ** (1 / 10)
    assert spec.rate == pytest.approx(0.2057, abs=1e-4)
    # The canonical form leaves the derived rates out and parses back to the same spec.
    assert "rate" not in spec.to_dict() and PruneSpec.from_dict(spec.to_dict(), "prune") == spec
    for key in ("rate", "output_rate", "conv_rate"):
        with pytest.raises(LthError, match=rf"^experiments\.x\.prune\.{key}: give either a rate or target_remaining"):
            PruneSpec.from_dict({"target_remaining": 0.1, "rounds": 10, key: 0.2}, "experiments.x.prune")
    with pytest.raises(LthError, match=r"prune\.rounds: target_remaining needs rounds >= 1"):
        PruneSpec.from_dict({"target_remaining": 0.1, "rounds": 0}, "prune")
    with pytest.raises(LthError, match=r"prune\.target_remaining: must be in \(0, 1\)"):
        PruneSpec.from_dict({"target_remaining": 1.0, "rounds": 3}, "prune")


def test_summary_shows_the_derived_rate():
    exp = Experiment.from_config(
        "x",
        {"dataset": "mnist", "model": {"name": "mlp"}, "train": {}, "prune": {"target_remaining": 0.1, "rounds": 10}},
    )
    assert exp.summary_columns() == {"prune_rate": 1 - 0.1**0.1, "prune_target_remaining": 0.1, "train_fraction": 1.0}


@pytest.mark.parametrize(
    "hidden, input_shape, target, rounds",
    [
        ((300, 100), (1, 28, 28), 0.1, 10),  # LeNet-300-100 to 10% in 10 rounds
        ((300, 100), (1, 28, 28), 0.036, 15),
        ((69,), (2,), 0.9, 30),  # 138-weight layers: compounding p·n rounding drifts by 13 weights here
    ],
)
def test_target_schedule_reaches_the_target_within_one_weight_per_layer(
    make_model, hidden, input_shape, target, rounds
):
    model = make_model(hidden=hidden, input_shape=input_shape, num_classes=2 if input_shape == (2,) else 10)
    spec = PruneSpec.from_dict({"target_remaining": target, "rounds": rounds}, "prune")
    mask = masks.full_mask(model)
    for r in range(1, rounds + 1):
        mask = masks.prune(model, random_weights(model, r), mask, spec, r)
        for name, m in mask.items():
            # every round keeps the nearest integer to N·target^(r/R): within half a weight
            assert abs(int(m.sum()) - m.numel() * target ** (r / rounds)) <= 0.5 + 1e-9, (name, r)
    for name, m in mask.items():
        assert abs(int(m.sum()) - m.numel() * target) <= 1, name
    # One-shot pruning to round R keeps the same counts.
    assert masks.oneshot_counts(model, spec, rounds) == masks.counts(mask)


def test_compounding_the_derived_rate_would_miss_the_target():
    """Why the target mode counts from the schedule: p·n rounded each round drifts."""
    p = 1 - 0.9 ** (1 / 30)
    assert abs(masks.survivors(138, p, 30) - 138 * 0.9) > 10
    assert masks.scheduled_count(138, 0.9, 30, 30) == round(138 * 0.9)


def test_target_schedule_global_keeps_the_pooled_target(lenet):
    spec = PruneSpec.from_dict({"strategy": "global", "target_remaining": 0.2, "rounds": 4}, "prune")
    mask = masks.full_mask(lenet)
    total = sum(m.numel() for m in mask.values())
    for r in range(1, 5):
        mask = masks.prune(lenet, random_weights(lenet, r), mask, spec, r)
    assert sum(masks.counts(mask).values()) == math.floor(total * 0.2 + 0.5)
    with pytest.raises(LthError, match=r"the round to prune to must be in 1\.\.4"):
        masks.prune(lenet, random_weights(lenet, 0), masks.full_mask(lenet), spec)


# --- inverse pruning and tie order ---------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["layerwise", "global"])
def test_inverse_pruning_keeps_exactly_the_smallest_weights(lenet, strategy):
    output_rate = {"output_rate": 0.1} if strategy == "layerwise" else {}  # (global: one pooled rate)
    spec = PruneSpec.from_dict({"strategy": strategy, "rate": 0.2, **output_rate}, "prune")
    mask = masks.full_mask(lenet)
    for r in range(1, 4):
        weights = random_weights(lenet, r)
        before = mask
        mask = masks.prune(lenet, weights, mask, spec, inverse=True)
        normal = masks.prune(lenet, weights, before, spec)
        assert masks.counts(mask) == masks.counts(normal) or strategy == "global"
        layers = list(mask) if strategy == "layerwise" else [None]
        for name in layers:
            names = list(mask) if name is None else [name]
            alive = torch.cat([weights[n].abs()[before[n]] for n in names])
            kept = torch.cat([weights[n].abs()[mask[n]] for n in names])
            # the kept weights are exactly the k smallest |w| of the survivors (distinct magnitudes)
            assert torch.equal(kept.sort().values, alive.sort().values[: len(kept)]), (name, r)
            for n in names:
                assert not (mask[n] & ~before[n]).any()  # pruned weights never revive


def test_inverse_flag_in_the_cli(tmp_path):
    init = tmp_path / "init.safetensors"
    cli("init", "--model", "{name: mlp, hidden: [16]}", "--dataset", "xor", "--seed", 3, "--out", init)
    out = tmp_path / "mask.safetensors"
    cli("prune", "--trained", init, "--prune", "{rate: 0.5, output_rate: 0.5}", "--inverse", "--out", out)
    weights, mask = checkpoint.load(init).weights, checkpoint.load(out).masks
    for name, m in mask.items():
        w = weights[name].abs()
        assert int(m.sum()) == m.numel() // 2
        assert w[m].max() < w[~m].min(), name
    assert checkpoint.load(out).provenance["inverse"] is True
    # global one-shot counts are split by plain magnitude order, so inverse/tie order are refused
    rc = main(
        [
            "prune",
            "--trained",
            str(init),
            "--prune",
            "{strategy: global, rate: 0.5}",
            "--oneshot-rounds",
            "1",
            "--inverse",
            "--out",
            str(tmp_path / "oneshot.safetensors"),
        ]
    )
    assert rc == 2 and not (tmp_path / "oneshot.safetensors").exists()


def test_random_tie_order_is_seeded_and_keeps_counts():
    weights = {"w": torch.ones(40, 50)}  # all magnitudes equal, as after heavy clamping
    mask = {"w": torch.ones(40, 50, dtype=torch.bool)}
    by_index = masks.prune_layerwise(weights, mask, {"w": 0.5})
    assert by_index["w"].flatten()[:1000].all()  # default: the lower flat index wins, whole rows go
    a = masks.prune_layerwise(weights, mask, {"w": 0.5}, generator=torch.Generator().manual_seed(1))
    b = masks.prune_layerwise(weights, mask, {"w": 0.5}, generator=torch.Generator().manual_seed(1))
    c = masks.prune_layerwise(weights, mask, {"w": 0.5}, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a["w"], b["w"]) and not torch.equal(a["w"], c["w"])
    assert int(a["w"].sum()) == 1000 and a["w"].sum(1).min() > 10  # no row emptied
    # Ties only: a larger magnitude is still always kept over a smaller one.
    weights["w"][0, 0] = 0.5
    d = masks.prune_layerwise(weights, mask, {"w": 0.5}, generator=torch.Generator().manual_seed(1))
    assert not d["w"][0, 0]


# --- clamped training ---------------------------------------------------------------------------


@pytest.mark.parametrize("init, std", [("glorot_normal", None), ("normal", 0.05), ("kaiming_normal", None)])
def test_init_std_is_the_initialisers(init, std):
    spec = ModelSpec(hidden=(300, 100), init=init, **({"init_std": std} if std else {}))
    model = models.build(spec, (1, 28, 28), 10)
    models.initialise(model, spec, 0)
    weight = model.hidden[0].weight
    assert weight.std().item() == pytest.approx(models.init_std(spec, tuple(weight.shape)), rel=0.01)


def test_clamping_keeps_weights_within_the_bound_after_every_step(xor_splits, make_model, make_pruned_mask):
    model = make_model(hidden=(16,), input_shape=(2,), num_classes=2, seed=1)
    mask = make_pruned_mask(model, model.state_dict(), rounds=2)
    spec = TrainSpec(optimizer="adam", lr=0.05, batch_size=50, iterations=60, eval_every=20)
    bounds = {"hidden.0.weight": 0.3, "output.weight": 0.2}
    result = train(model, mask, xor_splits, spec, order_seed=0, save_at=tuple(range(61)), clamp=bounds)
    assert sorted(result.saved) == list(range(61))
    at_bound = 0
    for iteration, state in result.saved.items():
        for name, bound in bounds.items():
            assert state[name].abs().max() <= bound, (iteration, name)
            assert (state[name][~mask[name]] == 0).all()  # the mask still holds
            at_bound += int((state[name].abs() == bound).sum())
    assert at_bound > 0  # the bound was active, not vacuous
    assert result.weights["hidden.0.bias"].abs().max() > 0.3  # biases are not clamped
    with pytest.raises(LthError, match="clamp: 'nope' is not a parameter"):
        train(model, mask, xor_splits, spec, order_seed=0, clamp={"nope": 1.0})


def test_cli_clamp_bounds_each_layer_by_its_init_std(tmp_path, xor_file):
    init = tmp_path / "init.safetensors"
    cli(
        "init",
        "--model",
        "{name: mlp, hidden: [16], init: glorot_normal}",
        "--dataset",
        "xor",
        "--seed",
        0,
        "--out",
        init,
    )
    out = tmp_path / "trained.safetensors"
    cli(
        "train",
        "--data",
        xor_file,
        "--start",
        init,
        "--order-seed",
        1,
        "--clamp",
        0.5,
        "--validation-size",
        1000,
        "--train",
        "{lr: 0.05, batch_size: 50, iterations: 40, eval_every: 20}",
        "--metrics",
        tmp_path / "m.csv",
        "--out",
        out,
        "--device",
        "cpu",
        "--threads",
        1,
    )
    trained = checkpoint.load(out)
    bounds = trained.provenance["clamp"]["bounds"]
    assert bounds == {"hidden.0.weight": 0.5 * math.sqrt(2 / (2 + 16)), "output.weight": 0.5 * math.sqrt(2 / (16 + 2))}
    for name, bound in bounds.items():
        assert trained.weights[name].abs().max() <= bound


# --- fine-tuning: the start is the pruned *trained* network, never a rewind ----------------------


def test_finetune_start_is_the_trained_weights_under_the_new_mask(tmp_path, xor_file):
    init, trained, mask, start = (tmp_path / f"{n}.safetensors" for n in ("init", "trained", "mask", "start"))
    cli("init", "--model", "{name: mlp, hidden: [16]}", "--dataset", "xor", "--seed", 0, "--out", init)
    cli(
        "train",
        "--data",
        xor_file,
        "--start",
        init,
        "--order-seed",
        1,
        "--validation-size",
        1000,
        "--train",
        "{lr: 0.05, batch_size: 50, iterations: 30, eval_every: 10}",
        "--metrics",
        tmp_path / "m.csv",
        "--out",
        trained,
        "--device",
        "cpu",
        "--threads",
        1,
    )
    cli("prune", "--trained", trained, "--prune", "{rate: 0.2}", "--round", 1, "--out", mask)
    cli("rewind", "--mask", mask, "--weights", trained, "--out", start)  # what rule finetune_start runs
    t, m, s, theta0 = (checkpoint.load(p) for p in (trained, mask, start, init))
    for name, w in t.weights.items():
        expected = w * m.masks[name] if name in m.masks else w
        assert torch.equal(s.weights[name], expected), name
        assert not torch.equal(s.weights[name], theta0.weights[name] * m.masks.get(name, 1)), name
