"""Anatomy of tickets: per-unit connection counts, dead units, histograms of surviving initial
values, on hand-made masks (exact numbers) and through the CLI on real pruned LeNet masks."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import torch

from lth import anatomy, checkpoint, masks
from lth.cli import main
from lth.errors import LthError

LAYERS = ["hidden.0.weight", "output.weight"]


def cli(*args) -> None:
    assert main([str(a) for a in args]) == 0, args


def tiny():
    """A 4-3-2 MLP: hidden unit 0 has no incoming connection, hidden unit 2 no outgoing one."""
    weights = {
        "hidden.0.weight": torch.tensor([[0.5, -0.5, 0.1, 0.2], [1.0, -2.0, 0.3, 0.0], [0.4, 0.6, -0.7, 0.8]]),
        "output.weight": torch.tensor([[0.9, -0.1, 0.2], [0.3, 0.4, -0.5]]),
    }
    mask = {
        "hidden.0.weight": torch.tensor([[0, 0, 0, 0], [1, 1, 0, 0], [1, 0, 1, 0]], dtype=torch.bool),
        "output.weight": torch.tensor([[1, 1, 0], [0, 1, 0]], dtype=torch.bool),
    }
    return weights, mask


def test_unit_counts_and_dead_units():
    _, mask = tiny()
    assert anatomy.incoming(mask["hidden.0.weight"]).tolist() == [0, 2, 2]
    assert anatomy.outgoing(mask["hidden.0.weight"]).tolist() == [2, 1, 1, 0]  # input 3 unused
    assert anatomy.outgoing(mask["output.weight"]).tolist() == [1, 2, 0]
    # hidden unit 0: no input; unit 2: no output -> 2 dead; the classes both have inputs.
    assert anatomy.dead_units(mask, LAYERS) == {"hidden.0.weight": 2, "output.weight": 0}
    conv = {"a": torch.ones(4, 3, 3, 3, dtype=torch.bool), "b": torch.ones(10, 64, dtype=torch.bool)}
    conv["a"][1] = False
    assert anatomy.incoming(conv["a"]).tolist() == [27, 0, 27, 27]
    assert math.isnan(anatomy.dead_units(conv, ["a", "b"])["a"])  # conv -> flatten -> linear: not one to one


def test_tables_on_a_hand_made_ticket():
    weights, mask = tiny()
    full = {name: torch.ones_like(m) for name, m in mask.items()}
    stats, hist, units = anatomy.anatomy_tables([(0, 1, weights, mask), (0, 0, weights, full)], LAYERS, bins=4)
    assert stats[["round", "layer"]].values.tolist() == [[0, LAYERS[0]], [0, LAYERS[1]], [1, LAYERS[0]], [1, LAYERS[1]]]
    row = stats[(stats["round"] == 1) & (stats["layer"] == "hidden.0.weight")].iloc[0]
    assert (row["weights"], row["surviving"], row["remaining"]) == (12, 4, 4 / 12)
    assert (row["out_units_no_incoming"], row["in_units_no_outgoing"], row["dead_units"]) == (1, 1, 2)
    sigma = weights["hidden.0.weight"].double().std().item()
    assert row["init_std"] == pytest.approx(sigma)
    survivors = [1.0, -2.0, 0.4, -0.7]
    assert row["survivor_abs_mean"] == pytest.approx(sum(map(abs, survivors)) / 4)
    assert row["near_zero_fraction"] == sum(abs(v) < sigma / 2 for v in survivors) / 4
    assert row["positive_fraction"] == 0.5
    # Histograms: one set of 4 bins per layer spanning ±max|θ| of the dense layer; counts add up.
    h = hist[(hist["round"] == 1) & (hist["layer"] == "hidden.0.weight")]
    assert h["bin_left"].tolist() == [-2.0, -1.0, 0.0, 1.0] and h["count"].tolist() == [1, 1, 1, 1]
    assert (h["density"] * (h["bin_right"] - h["bin_left"])).sum() == pytest.approx(1.0)
    assert hist.groupby(["round", "layer"])["count"].sum().tolist() == [12, 6, 4, 3]
    # Sorted per-unit counts, as fractions of the dense fan-in / fan-out.
    inc = units[(units["round"] == 1) & (units["layer"] == "hidden.0.weight") & (units["direction"] == "incoming")]
    assert inc["connections"].tolist() == [2, 2, 0] and inc["fraction"].tolist() == [0.5, 0.5, 0.0]
    out = units[(units["round"] == 1) & (units["layer"] == "output.weight") & (units["direction"] == "outgoing")]
    assert out["connections"].tolist() == [2, 1, 0] and out["fraction"].tolist() == [1.0, 0.5, 0.0]


def test_bad_states_name_the_problem():
    weights, mask = tiny()
    with pytest.raises(LthError, match="trial 0 has no round 0"):
        anatomy.anatomy_tables([(0, 1, weights, mask)], LAYERS)
    with pytest.raises(LthError, match="trial 0 round 1 given twice"):
        anatomy.anatomy_tables([(0, 1, weights, mask), (0, 1, weights, mask)], LAYERS)
    with pytest.raises(LthError, match="lacks layer 'hidden.1.weight'"):
        anatomy.anatomy_tables([(0, 0, weights, mask)], ["hidden.1.weight"])


def test_cli_anatomy_of_pruned_lenet(tmp_path, lenet):
    """Two rounds of layerwise magnitude pruning of θ₀ itself: survivors are the largest |θ₀|, so
    none lies near zero, and the tables and figures are written."""
    init = tmp_path / "init.safetensors"
    cli(
        "init",
        "--model",
        "{name: mlp, hidden: [300, 100]}",
        "--dataset",
        "mnist",
        "--seed",
        0,
        "--provenance",
        "{trial: 0, round: 0}",
        "--out",
        init,
    )
    states = [init]
    for r in (1, 2):
        mask = tmp_path / f"mask{r}.safetensors"
        cli("prune", "--trained", states[-1], "--prune", "{rate: 0.5, output_rate: 0.5}", "--out", mask)
        states.append(tmp_path / f"start{r}.safetensors")
        cli(
            "rewind",
            "--mask",
            mask,
            "--weights",
            init,
            "--provenance",
            f"{{trial: 0, round: {r}}}",
            "--out",
            states[-1],
        )
    cli(
        "anatomy",
        "--states",
        *states,
        "--out",
        tmp_path / "a.csv",
        "--hist",
        tmp_path / "h.csv",
        "--units",
        tmp_path / "u.csv",
    )
    stats = pd.read_csv(tmp_path / "a.csv")
    final = stats[stats["round"] == 2].set_index("layer")
    theta0 = checkpoint.load(init).weights
    last = checkpoint.load(states[-1]).masks
    for name in masks.counts(last):
        assert final.loc[name, "surviving"] == int(last[name].sum())
        kept = theta0[name][last[name]].abs()
        assert final.loc[name, "survivor_abs_mean"] == pytest.approx(kept.double().mean().item())
        assert final.loc[name, "near_zero_fraction"] == 0.0  # magnitude pruning of θ₀ keeps |θ₀| large
    assert stats[stats["round"] == 0]["near_zero_fraction"].between(0.35, 0.42).all()  # Gaussian: 38.3%
    cli(
        "plot-anatomy",
        "--stats",
        tmp_path / "a.csv",
        "--hist",
        tmp_path / "h.csv",
        "--units",
        tmp_path / "u.csv",
        "--outdir",
        tmp_path / "fig",
        "--title",
        "t",
    )
    for stem in ("anatomy_init", "anatomy_units", "anatomy_dead"):
        assert (tmp_path / "fig" / f"{stem}.png").stat().st_size > 1000


def test_cli_anatomy_needs_trial_and_round(tmp_path, capsys):
    init = tmp_path / "init.safetensors"
    cli("init", "--model", "{name: mlp, hidden: [8]}", "--dataset", "xor", "--seed", 0, "--out", init)
    assert main(["anatomy", "--states", str(init), "--out", "a", "--hist", "h", "--units", "u"]) == 2
    assert "has no trial/round in its sidecar's context" in capsys.readouterr().err
