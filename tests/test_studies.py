"""The studies' science: log10 C(n, k), percentile pruning, weight statistics, the criterion
search, unit pruning and the batched XOR networks; their specs and schema."""

from __future__ import annotations

import math
from dataclasses import fields
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml

from lth import masks
from lth.cli import main
from lth.combinatorics import log10_comb
from lth.data import Split
from lth.errors import LthError
from lth.experiment import Experiment
from lth.specs import INITIALISERS, OPTIMIZERS, UNIT_HEURISTICS
from lth.studies import KINDS, METRICS, XOR_MODES, TicketStudy, XorStudy, study_from_config, tables, xor
from lth.studies.ticket import find_ticket, no_retraining_table, percentile_masks, weight_stats
from lth.sweeps import expand
from lth.units import keep_units, unit_scores, unit_weight_masks

REPO = Path(__file__).resolve().parents[1]


# --- log10 C(n, k) ------------------------------------------------------------------------


def test_log10_comb_matches_brute_force():
    for n in range(0, 41):
        for k in range(0, n + 1):
            assert log10_comb(n, k) == pytest.approx(math.log10(math.comb(n, k)), abs=1e-9), (n, k)


def test_log10_comb_large_and_numpy_ints():
    import numpy as np

    # C(6344, 545) has 800+ digits: compare with the exact integer's length and leading digits.
    exact = math.comb(6344, 545)
    digits = str(exact)
    assert int(log10_comb(6344, 545)) == len(digits) - 1
    assert 10 ** (log10_comb(6344, 545) % 1) == pytest.approx(float(digits[:12]) / 1e11, rel=1e-9)
    assert log10_comb(np.int64(10), np.int64(3)) == pytest.approx(math.log10(120))


@pytest.mark.parametrize("n, k", [(5, 6), (5, -1), (5.0, 2), (5, 2.5)])
def test_log10_comb_rejects_bad_arguments(n, k):
    with pytest.raises(LthError, match="log10_comb"):
        log10_comb(n, k)


# --- weights: statistics and pruning without retraining ------------------------------------


def test_weight_stats_on_known_values():
    weights = {"a": torch.tensor([[0.0005, -0.02], [0.3, -0.08]]), "b": torch.tensor([0.009, 2.0])}
    stats = weight_stats(weights, ["a", "b"], (0.001, 0.01, 0.05, 0.1)).set_index("layer")
    assert list(stats.index) == ["a", "b", "all"]
    assert stats.loc["a", "count"] == 4 and stats.loc["all", "count"] == 6
    pooled = torch.tensor([0.0005, -0.02, 0.3, -0.08, 0.009, 2.0], dtype=torch.float64)
    assert stats.loc["all", "mean"] == pytest.approx(pooled.mean().item())
    assert stats.loc["all", "std"] == pytest.approx(pooled.std().item())  # sample std
    assert (stats.loc["all", "min"], stats.loc["all", "max"]) == pytest.approx((-0.08, 2.0))
    assert stats.loc["a", "pct_below_0.001"] == 25.0
    assert stats.loc["all", "pct_below_0.01"] == pytest.approx(100 * 2 / 6)
    assert stats.loc["all", "pct_below_0.05"] == pytest.approx(100 * 3 / 6)
    assert stats.loc["b", "pct_below_0.1"] == 50.0


@pytest.fixture
def small_ticket_net(make_model):
    """The 784-8-4-10 network of the Fashion-MNIST study (6,344 weights), randomly initialised."""
    return make_model(hidden=(8, 4), seed=3)


def test_percentile_bands_have_exact_sparsity(small_ticket_net):
    model = small_ticket_net
    weights = model.state_dict()
    full = masks.full_mask(model)
    n = sum(m.numel() for m in full.values())
    assert n == 6344
    pooled = torch.cat([weights[k].abs().flatten() for k in full])
    assert pooled.unique().numel() == n  # distinct magnitudes: "below the threshold" is exact
    previous = None
    for p, threshold, mask in percentile_masks(weights, full, range(0, 100, 10)):
        removed = math.floor(p * n / 100 + 0.5)  # p·n/100 rounded, halves up
        assert sum(masks.counts(mask).values()) == n - removed, p
        kept = torch.cat([weights[k].abs().flatten()[mask[k].flatten()] for k in mask])
        zeroed = torch.cat([weights[k].abs().flatten()[~mask[k].flatten()] for k in mask])
        assert threshold == kept.min().item()
        assert (zeroed < threshold).all() and (kept >= threshold).all()
        assert int((pooled < threshold).sum()) == removed  # exactly the weights below the threshold
        if previous is not None:  # bands are nested: a higher percentile prunes a superset
            assert all(not (mask[k] & ~previous[k]).any() for k in mask)
        previous = mask
    assert [n - math.floor(p * n / 100 + 0.5) for p in (10, 50, 90)] == [5710, 3172, 634]


def test_no_retraining_table_zeroes_and_evaluates(small_ticket_net):
    model = small_ticket_net
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    g = torch.Generator().manual_seed(0)
    test = Split(torch.randn(64, 1, 28, 28, generator=g), torch.randint(0, 10, (64,), generator=g))
    table = no_retraining_table(model, weights, masks.full_mask(model), test, [0, 50, 90])
    assert list(table.columns) == ["percentile", "threshold", "sparsity", "params_kept", "test_loss", "test_accuracy"]
    assert table["params_kept"].tolist() == [6344, 3172, 634]
    assert table["sparsity"].tolist() == pytest.approx([0.0, 3172 / 6344, 5710 / 6344], abs=0)
    with torch.no_grad():
        dense_accuracy = (model(test.x).argmax(1) == test.y).float().mean().item()
    assert table["test_accuracy"].iloc[0] == pytest.approx(dense_accuracy)
    # The model is left with its original (unpruned) weights.
    assert all(torch.equal(v, weights[k]) for k, v in model.state_dict().items())


# --- the criterion search -----------------------------------------------------------------


def synthetic_summary(accuracies: dict[int, list[float]]) -> pd.DataFrame:
    rows = []
    for trial, accs in accuracies.items():
        for r, acc in enumerate(accs):
            rows.append(
                {
                    "trial": trial,
                    "round": r,
                    "variant": "ticket",
                    "weights_remaining": 0.8**r,
                    "final_test_accuracy": acc,
                    "max_test_accuracy": acc + 0.01,
                }
            )
            if r:
                rows.append(
                    {
                        "trial": trial,
                        "round": r,
                        "variant": "reinit",
                        "weights_remaining": 0.8**r,
                        "final_test_accuracy": 0.99,
                        "max_test_accuracy": 0.99,
                    }
                )
    return pd.DataFrame(rows).sample(frac=1.0, random_state=0)  # order must not matter


def test_criterion_picks_the_round_before_the_first_miss():
    summary = synthetic_summary(
        {
            0: [0.83, 0.84, 0.82, 0.80, 0.79, 0.81, 0.70],  # misses at round 4, passes again at 5
            1: [0.82, 0.81, 0.805, 0.81, 0.81, 0.80, 0.80],  # never misses: the budget stops it
            2: [0.85, 0.79, 0.90],  # misses at once: the dense network is the ticket
        }
    )
    tickets = find_ticket(summary, 0.80, "final_test_accuracy").set_index("trial")
    assert tickets["round"].to_dict() == {0: 3, 1: 6, 2: 0}
    assert tickets["stopped_by"].to_dict() == {0: "criterion", 1: "budget", 2: "criterion"}
    assert tickets.loc[0, "accuracy"] == 0.80 and tickets.loc[0, "next_accuracy"] == 0.79
    assert tickets.loc[0, "weights_remaining"] == pytest.approx(0.8**3)
    assert tickets.loc[0, "dense_accuracy"] == 0.83
    assert math.isnan(tickets.loc[1, "next_accuracy"])
    # Another metric moves the boundary (max accuracy is 1 point higher here).
    assert find_ticket(summary, 0.80, "max_test_accuracy").set_index("trial")["round"].to_dict() == {0: 5, 1: 6, 2: 2}


def test_criterion_errors_name_the_problem():
    with pytest.raises(LthError, match="dense network's final_test_accuracy 0.7500 is below the criterion 0.8"):
        find_ticket(synthetic_summary({0: [0.75, 0.9]}), 0.8, "final_test_accuracy")
    gap = synthetic_summary({0: [0.9, 0.9, 0.9]})
    with pytest.raises(LthError, match="rounds"):
        find_ticket(gap[gap["round"] != 1], 0.8, "final_test_accuracy")
    with pytest.raises(LthError, match="no column"):
        find_ticket(synthetic_summary({0: [0.9]}), 0.8, "early_stop_test_accuracy")


# --- unit pruning -------------------------------------------------------------------------


def test_unit_scores_and_keep_units():
    w_in = torch.tensor([[1.0, -1.0], [0.1, 0.1], [-3.0, 0.0], [0.5, 0.5]])  # L1: 2, 0.2, 3, 1
    w_out = torch.tensor([[0.5, 4.0, -0.1, 1.0]])  # |.|: 0.5, 4, 0.1, 1
    assert unit_scores(w_in, w_out, "input").tolist() == pytest.approx([2, 0.2, 3, 1])
    assert unit_scores(w_in, w_out, "output").tolist() == pytest.approx([0.5, 4, 0.1, 1])
    assert unit_scores(w_in, w_out, "product").tolist() == pytest.approx([1, 0.8, 0.3, 1])
    alive = torch.ones(4, dtype=torch.bool)
    assert keep_units(unit_scores(w_in, w_out, "input"), alive, 2).tolist() == [True, False, True, False]
    assert keep_units(unit_scores(w_in, w_out, "output"), alive, 2).tolist() == [False, True, False, True]
    # Ties (units 0 and 3 score 1): the lower index is kept.
    assert keep_units(unit_scores(w_in, w_out, "product"), alive, 1).tolist() == [True, False, False, False]
    # Removed units are never revived, even with the highest score.
    dead = torch.tensor([True, False, False, True])
    assert keep_units(unit_scores(w_in, w_out, "output"), dead, 1).tolist() == [False, False, False, True]
    with pytest.raises(LthError, match="cannot keep 3 units"):
        keep_units(torch.ones(4), dead, 3)
    with pytest.raises(LthError, match="unknown unit-pruning heuristic 'bias'"):
        unit_scores(w_in, w_out, "bias")


def test_keep_units_is_per_network():
    scores = torch.tensor([[3.0, 1.0, 2.0], [1.0, 3.0, 2.0]])
    assert keep_units(scores, torch.ones(2, 3, dtype=torch.bool), 1).tolist() == [
        [True, False, False],
        [False, True, False],
    ]


def test_unit_weight_masks_cover_in_bias_and_out():
    units = torch.tensor([[True, False, True]])
    m = unit_weight_masks(units, n_inputs=2, n_outputs=4)
    assert m["in"].shape == (1, 3, 2) and m["bias"].shape == (1, 3) and m["out"].shape == (1, 4, 3)
    assert not m["in"][0, 1].any() and m["in"][0, [0, 2]].all()
    assert not m["out"][0, :, 1].any() and m["out"][0, :, [0, 2]].all()


@pytest.mark.parametrize(
    "optimizer",
    [
        {"optimizer": "adam", "lr": 0.05},
        {"optimizer": "sgd", "lr": 0.5, "momentum": 0.9, "weight_decay": 0.01},
    ],
)
def test_pruned_units_are_zero_and_stay_zero(optimizer):
    spec = XorStudy.from_dict({"inits": 6, "iterations": 50, **optimizer})
    theta0, _ = xor.init_nets(spec, 5, 6)
    units = torch.ones(6, 5, dtype=torch.bool)
    units[:, [1, 3]] = False
    units[0, 4] = False
    trained = xor.train(theta0, units, spec)
    assert (trained.w1[~units] == 0).all() and (trained.b1[~units] == 0).all() and (trained.w2[~units] == 0).all()
    assert (trained.w1[units] != theta0.w1[units]).any()  # the surviving units did train
    # The removed units do nothing: the same nets with those units deleted give the same outputs.
    keep = [0, 2, 4]  # nets 1-5 lost units 1 and 3 (net 0 also lost unit 4)
    smaller = xor.Nets(trained.w1[1:, keep], trained.b1[1:, keep], trained.w2[1:, keep], trained.b2[1:])
    assert torch.allclose(xor.logits(smaller), xor.logits(trained)[1:], atol=1e-6)


# --- XOR ----------------------------------------------------------------------------------


def test_xor_outcomes_on_known_networks():
    # h1 = relu(x1 - x2), h2 = relu(x2 - x1), out = s·(h1 + h2 - 0.5): XOR for any s > 0.
    def net(scale):
        return xor.Nets(
            torch.tensor([[[1.0, -1.0], [-1.0, 1.0]]]),
            torch.zeros(1, 2),
            torch.tensor([[scale, scale]]),
            torch.tensor([-0.5 * scale]),
        )

    both = xor.Nets(
        *(
            torch.cat(parts)
            for parts in zip(net(1.0).tensors().values(), net(40.0).tensors().values(), net(-1.0).tensors().values())
        )
    )
    table = xor.outcomes(both, zero_loss=0.01)
    assert table["db"].tolist() == [True, True, False]
    assert table["zl"].tolist() == [False, True, False]  # scale 1: right side, loss ~0.47
    assert table["loss"].iloc[1] < 1e-8


def test_xor_inits_are_per_network_and_deterministic():
    spec = XorStudy.from_dict({"inits": 5, "iterations": 30})
    a, seeds_a = xor.init_nets(spec, 4, 3)
    b, seeds_b = xor.init_nets(spec, 4, 5)
    assert seeds_a == seeds_b[:3] and len(set(seeds_b)) == 5
    assert all(torch.equal(x, y[:3]) for x, y in zip(a.tensors().values(), b.tensors().values()))
    assert (a.b1 == 0).all() and (a.b2 == 0).all()
    first, second = xor.dense_run(spec, 4), xor.dense_run(spec, 4)
    assert first[2].equals(second[2])
    assert all(torch.equal(x, y) for x, y in zip(first[1].tensors().values(), second[1].tensors().values()))


def test_batched_training_matches_training_each_net_alone():
    spec = XorStudy.from_dict({"inits": 4, "iterations": 100})
    theta0, _ = xor.init_nets(spec, 3, 4)
    units = torch.ones(4, 3, dtype=torch.bool)
    together = xor.train(theta0, units, spec)
    for i in range(4):
        alone = xor.train(xor.Nets(*(t[i : i + 1] for t in theta0.tensors().values())), units[i : i + 1], spec)
        for x, y in zip(alone.tensors().values(), together.tensors().values()):
            assert torch.allclose(x[0], y[i], atol=1e-5), i


def test_pruned_runs_oneshot_and_iterative():
    spec = XorStudy.from_dict({"inits": 8, "iterations": 40, "prune_from": 6, "prune_to": [4, 2]})
    theta0, trained, _ = xor.dense_run(spec, 6)
    oneshot = xor.pruned_runs(spec, theta0, trained, "product", "oneshot")
    iterative = xor.pruned_runs(spec, theta0, trained, "product", "iterative")
    for table in (oneshot, iterative):
        assert table.groupby("units").size().to_dict() == {2: 8, 4: 8}
        assert (table["kept_units"].str.split().str.len() == table["units"]).all()
        assert table["db"].dtype == bool and table["loss"].notna().all()
    assert set(oneshot["rounds"]) == {1}
    assert iterative.groupby("units")["rounds"].first().to_dict() == {4: 1, 2: 2}  # 6 -> 4 -> 2
    # One-shot keeps the units with the highest product scores of the trained dense networks.
    scores = unit_scores(trained.w1, trained.w2.unsqueeze(-2), "product")
    top2 = scores.argsort(dim=1, descending=True, stable=True)[:, :2].sort(dim=1).values
    expected = [" ".join(map(str, row.tolist())) for row in top2]
    assert oneshot[oneshot["units"] == 2]["kept_units"].tolist() == expected
    # Iterative: the 2-unit survivors are a subset of the 4-unit ones.
    for net in range(8):
        four, two = (
            set(iterative[(iterative["net"] == net) & (iterative["units"] == u)]["kept_units"].iloc[0].split())
            for u in (4, 2)
        )
        assert two <= four


def test_success_tables():
    dense = pd.DataFrame(
        {
            "width": [2] * 4 + [10] * 4,
            "db": [True, False, False, False, True, True, True, False],
            "zl": [False] * 4 + [True, True, False, False],
        }
    )
    t1 = tables.table1(dense, [10, 2])
    assert t1["width"].tolist() == [10, 2]
    assert t1["db_success_pct"].tolist() == [75.0, 25.0] and t1["zl_success_pct"].tolist() == [50.0, 0.0]
    assert t1["nets"].tolist() == [4, 4]
    low, high = map(float, t1["db_ci95_pct"].iloc[0].split("-"))
    assert low < 75.0 < high
    # Table 2's conditional column counts only the nets whose unpruned network succeeded.
    unpruned = pd.DataFrame({"net": [0, 1, 2, 3], "db": [True, True, True, False]})
    pruned = pd.DataFrame(
        {
            "net": [0, 1, 2, 3] * 2,
            "units": [2] * 4 + [4] * 4,
            "heuristic": "input",
            "mode": "oneshot",
            "db": [True, False, False, True] + [True] * 4,
            "zl": False,
        }
    )
    t2 = tables.table2(pruned, unpruned)
    assert t2["units"].tolist() == [4, 2]
    assert t2["db_success_pct"].tolist() == [100.0, 50.0]
    assert t2["db_if_dense_db_pct"].tolist() == [100.0, pytest.approx(100 / 3, abs=0.01)]


# --- specs and schema ---------------------------------------------------------------------


EXPERIMENTS = {
    "small": Experiment.from_config(
        "small", {"dataset": "fashion_mnist", "model": {"hidden": [8, 4]}, "train": {"iterations": 100}}
    )
}


def test_study_defaults_are_the_issues():
    ticket = study_from_config("t", {"kind": "ticket", "experiment": "small"}, EXPERIMENTS)
    assert (ticket.criterion, ticket.new_init_budget, ticket.percentiles[-1]) == (0.80, 4, 90.0)
    x = study_from_config("x", {"kind": "xor"}, EXPERIMENTS)
    assert (x.inits, x.widths, x.iterations, x.prune_to, x.per_round) == (1000, (10, 8, 6, 4, 2), 1000, (4, 2), 2)
    assert x.heuristics == UNIT_HEURISTICS and x.modes == XOR_MODES


@pytest.mark.parametrize(
    "cfg, message",
    [
        ({"experiment": "small"}, "studies.s.kind: required"),
        ({"kind": "lottery"}, "studies.s.kind: unknown value 'lottery'"),
        ({"kind": "ticket"}, "studies.s.experiment: required"),
        ({"kind": "ticket", "experiment": "big"}, "studies.s.experiment: unknown experiment 'big'"),
        ({"kind": "ticket", "experiment": "small", "criterion": 80}, "studies.s.criterion"),
        ({"kind": "ticket", "experiment": "small", "critrion": 0.8}, "studies.s.critrion: unknown key"),
        ({"kind": "ticket", "experiment": "small", "percentiles": [50, 10]}, "studies.s.percentiles"),
        ({"kind": "ticket", "experiment": "small", "metric": "loss"}, "studies.s.metric: unknown value 'loss'"),
        ({"kind": "xor", "heuristics": ["input", "bias"]}, "studies.s.heuristics: unknown value 'bias'"),
        ({"kind": "xor", "prune_to": [3]}, "studies.s.prune_to: iterative pruning removes per_round=2"),
        ({"kind": "xor", "prune_to": [10]}, "studies.s.prune_to: unit counts"),
        ({"kind": "xor", "inits": "many"}, "studies.s.inits: expected an integer"),
        ({"kind": "xor", "experiment": "small"}, "studies.s.experiment: unknown key"),
        ({"kind": "xor", "momentum": 0.5}, "studies.s.momentum: has no effect with optimizer: adam"),
        ({"kind": "xor", "init_std": 0.5}, "studies.s.init_std: has no effect with init: glorot_normal"),
        (
            {"kind": "xor", "modes": ["oneshot"], "per_round": 1},
            "studies.s.per_round: has no effect without the iterative mode",
        ),
        ({"kind": "xor", "bias_init": "ones"}, "studies.s.bias_init: unknown value 'ones'"),
        ({"kind": "xor", "bias_scale": 0.1}, "studies.s.bias_scale: has no effect with bias_init: zero"),
        (
            {"kind": "xor", "bias_init": "normal", "bias_scale": 0.0},
            "studies.s.bias_scale: the std of bias_init normal",
        ),
        ({"kind": "xor", "bias_init": "constant", "bias_scale": "big"}, "studies.s.bias_scale: expected a number"),
        ("xor", "studies.s: expected a mapping"),
    ],
)
def test_study_errors_name_the_key(cfg, message):
    with pytest.raises(LthError) as err:
        study_from_config("s", cfg, EXPERIMENTS)
    assert message in str(err.value)


def test_study_name_must_differ_from_experiments_and_sweeps():
    with pytest.raises(LthError, match="studies.small: the name is also an experiment's"):
        study_from_config("small", {"kind": "xor"}, EXPERIMENTS)
    with pytest.raises(LthError, match="studies.lenet_lr: the name is also a sweep's"):
        study_from_config("lenet_lr", {"kind": "xor"}, EXPERIMENTS, sweeps={"lenet_lr"})
    with pytest.raises(LthError, match="studies.s.experiment: 'lenet_lr' is a sweep; name one of its members"):
        study_from_config("s", {"kind": "ticket", "experiment": "lenet_lr"}, EXPERIMENTS, sweeps={"lenet_lr"})


SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())


def test_schema_matches_study_specs():
    for kind, spec in KINDS.items():
        props = SCHEMA["$defs"][f"{kind}_study"]["properties"]
        assert set(props) == {f.name for f in fields(spec)}, kind
        assert props["kind"]["const"] == kind
        for key, sub in props.items():
            assert sub.get("description"), f"{kind}_study.{key} has no description"
    ticket, x = SCHEMA["$defs"]["ticket_study"]["properties"], SCHEMA["$defs"]["xor_study"]["properties"]
    assert set(ticket["metric"]["enum"]) == set(METRICS)
    assert set(x["heuristics"]["items"]["enum"]) == set(UNIT_HEURISTICS)
    assert set(x["modes"]["items"]["enum"]) == set(XOR_MODES)
    assert set(x["optimizer"]["enum"]) == set(OPTIMIZERS) and set(x["init"]["enum"]) == set(INITIALISERS)
    assert SCHEMA["properties"]["studies"]["description"]


def test_config_yaml_studies_parse():
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    configs, sweeps = expand(config["experiments"])
    experiments = {n: Experiment.from_config(n, c) for n, c in configs.items()}
    studies = {n: study_from_config(n, c, experiments, sweeps) for n, c in config.get("studies", {}).items()}
    assert {type(s) for s in studies.values()} == {TicketStudy, XorStudy}


def test_cli_study_errors_are_one_line(capsys, tmp_path):
    rc = main(
        [
            "xor-dense",
            "--study",
            "{inits: 0}",
            "--width",
            "2",
            "--out",
            str(tmp_path / "n.safetensors"),
            "--outcomes",
            str(tmp_path / "o.csv"),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and err == ["lth xor-dense: error: study.inits: must be positive, got 0"]
    rc = main(
        [
            "xor-prune",
            "--study",
            "{}",
            "--nets",
            str(tmp_path / "missing.safetensors"),
            "--heuristic",
            "input",
            "--mode",
            "oneshot",
            "--out",
            str(tmp_path / "p.csv"),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "missing.safetensors" in err[0]
