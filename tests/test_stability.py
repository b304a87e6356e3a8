"""Round-to-round structure: Spearman of magnitudes, mask overlap, the table; one-shot pruning counts."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from conftest import random_weights
from scipy import stats

from lth import masks
from lth.errors import LthError
from lth.specs import PruneSpec
from lth.stability import COLUMNS, magnitude_spearman, mask_overlap, structure_table


def test_spearman_of_a_network_with_itself_is_exactly_one(lenet, make_pruned_mask, make_model):
    w = random_weights(lenet, 0)
    mask = make_pruned_mask(lenet, w, 2)
    rho = magnitude_spearman(w, w, mask, mask)
    assert set(rho) == set(mask) and all(v == 1.0 for v in rho.values())
    tiny = make_model(hidden=(3,), input_shape=(2,), num_classes=2)  # small layers: scipy alone gives 1 - 1e-16
    wt = random_weights(tiny, 1)
    full = masks.full_mask(tiny)
    assert all(v == 1.0 for v in magnitude_spearman(wt, wt, full, full).values())


def test_spearman_against_a_permutation_is_near_zero(lenet):
    w = random_weights(lenet, 0)
    name = "hidden.0.weight"
    assert w[name].shape == (300, 784)
    perm = torch.randperm(w[name].numel(), generator=torch.Generator().manual_seed(1))
    shuffled = dict(w, **{name: w[name].flatten()[perm].view_as(w[name])})
    full = masks.full_mask(lenet)
    assert abs(magnitude_spearman(w, shuffled, full, full)[name]) < 0.05


def test_spearman_uses_only_weights_alive_in_both_masks():
    a = torch.tensor([[0.1, 0.2, 0.3, 0.4, 5.0, 6.0, 7.0]])
    b = torch.tensor([[-1.0, 2.0, -3.0, 4.0, 0.7, 0.6, 0.5]])  # same order on 0..3, reversed on 4..6
    mask_a = {"w": torch.tensor([[1, 1, 1, 1, 1, 1, 0]], dtype=torch.bool)}
    mask_b = {"w": torch.tensor([[1, 1, 1, 1, 0, 0, 1]], dtype=torch.bool)}
    assert magnitude_spearman({"w": a}, {"w": b}, mask_a, mask_b)["w"] == 1.0
    full = {"w": torch.ones(1, 7, dtype=torch.bool)}
    expected = stats.spearmanr(a.abs().flatten().numpy(), b.abs().flatten().numpy()).statistic
    assert magnitude_spearman({"w": a}, {"w": b}, full, full)["w"] == pytest.approx(expected)
    assert magnitude_spearman({"w": a}, {"w": b}, full, full)["w"] < 1.0
    two = {"w": torch.tensor([[1, 1, 0, 0, 0, 0, 0]], dtype=torch.bool)}
    assert math.isnan(magnitude_spearman({"w": a}, {"w": b}, two, full)["w"])


def test_jaccard_and_kept_fraction_on_handmade_masks():
    a = {"x": torch.tensor([1, 1, 1, 0, 0], dtype=torch.bool), "y": torch.tensor([[1, 0], [0, 0]], dtype=torch.bool)}
    b = {"x": torch.tensor([0, 1, 1, 1, 0], dtype=torch.bool), "y": torch.tensor([[0, 0], [0, 0]], dtype=torch.bool)}
    overlap = mask_overlap(a, b)
    assert overlap["x"] == {"jaccard": 2 / 4, "kept_fraction": 2 / 3}
    assert overlap["y"]["jaccard"] == 0.0 and math.isnan(overlap["y"]["kept_fraction"])
    assert mask_overlap(a, a)["x"] == {"jaccard": 1.0, "kept_fraction": 1.0}
    with pytest.raises(LthError, match="only one"):
        mask_overlap(a, {"x": b["x"]})


def test_structure_table_for_three_rounds(make_model):
    model = make_model(hidden=(20, 10), input_shape=(1, 6, 6), num_classes=4)
    rates = {"hidden.0.weight": 0.2, "hidden.1.weight": 0.2, "output.weight": 0.1}
    mask, states = masks.full_mask(model), []
    for r in range(3):  # IMP: train (here: fresh random weights) under m_r, prune to m_{r+1}
        w = masks.apply(random_weights(model, r), mask)
        states.append((r, w, mask))
        mask = masks.prune_layerwise(w, mask, rates)
    table = structure_table(list(reversed(states)))  # order of input does not matter
    assert list(table.columns) == COLUMNS
    layers = list(model.prunable_layers())
    assert len(table) == 4 * len(layers)
    pairs = sorted(set(zip(table.round_a, table.round_b, table.comparison)))
    assert pairs == [(0, 1, "consecutive"), (0, 2, "final"), (1, 2, "consecutive"), (1, 2, "final")]
    dup = table[(table.round_a == 1) & (table.round_b == 2)]
    a, b = dup[dup.comparison == "consecutive"], dup[dup.comparison == "final"]
    assert (
        a.drop(columns="comparison").reset_index(drop=True).equals(b.drop(columns="comparison").reset_index(drop=True))
    )
    assert (table.kept_fraction == 1.0).all()  # IMP masks are nested
    row = table[(table.layer == "hidden.0.weight") & (table.round_a == 0) & (table.round_b == 2)].iloc[0]
    n = states[0][2]["hidden.0.weight"].numel()  # 36·20
    assert row.jaccard == masks.survivors(n, 0.2, 2) / n  # nested masks: |m_2|/|m_0|
    assert structure_table(states[:1]).empty and list(structure_table([]).columns) == COLUMNS
    with pytest.raises(LthError, match="twice"):
        structure_table([states[0], states[0]])


# --- one-shot pruning to the r-round sparsity (lth.masks.prune_to_counts / oneshot_counts) ---


def top_k_set(w: torch.Tensor, k: int) -> torch.Tensor:
    """Independent reference: the k largest |w| (numpy stable sort, ties to the lower index)."""
    order = np.argsort(-w.abs().flatten().double().numpy(), kind="stable")
    kept = np.zeros(w.numel(), dtype=bool)
    kept[order[:k]] = True
    return torch.from_numpy(kept).view(w.shape)


@pytest.mark.parametrize("rounds", range(1, 7))
def test_oneshot_matches_iterative_counts_layerwise(lenet, rounds):
    spec = PruneSpec(rate=0.2, output_rate=0.1)
    iterative = masks.full_mask(lenet)
    for r in range(rounds):  # retrained each round: new weights, so the masks differ from one-shot
        iterative = masks.prune(lenet, random_weights(lenet, 100 + r), iterative, spec)
    trained = random_weights(lenet, 7)
    keep = masks.oneshot_counts(lenet, spec, rounds)
    oneshot = masks.prune_to_counts(trained, masks.full_mask(lenet), keep)
    assert masks.counts(oneshot) == masks.counts(iterative) == keep
    for name, m in oneshot.items():
        assert torch.equal(m, top_k_set(trained[name], keep[name])), name


@pytest.mark.parametrize("rounds", [1, 3])
def test_oneshot_global_keeps_the_pooled_largest(lenet, rounds):
    spec = PruneSpec(strategy="global", rate=0.2)
    iterative = masks.full_mask(lenet)
    for r in range(rounds):
        iterative = masks.prune(lenet, random_weights(lenet, 100 + r), iterative, spec)
    trained = random_weights(lenet, 7)
    keep = masks.oneshot_counts(lenet, spec, rounds, trained)
    oneshot = masks.prune_to_counts(trained, masks.full_mask(lenet), keep)
    total = sum(m.numel() for m in oneshot.values())
    assert (
        sum(masks.counts(oneshot).values())
        == sum(masks.counts(iterative).values())
        == masks.survivors(total, 0.2, rounds)
    )
    pooled = torch.cat([trained[name].flatten() for name in oneshot])
    assert torch.equal(
        torch.cat([m.flatten() for m in oneshot.values()]), top_k_set(pooled, masks.survivors(total, 0.2, rounds))
    )
    with pytest.raises(LthError, match="global"):
        masks.oneshot_counts(lenet, spec, rounds)


def test_prune_to_counts_respects_the_current_mask(make_model):
    model = make_model(hidden=(4,), input_shape=(3,), num_classes=2)
    w = random_weights(model, 0)
    mask = masks.prune_layerwise(w, masks.full_mask(model), {"hidden.0.weight": 0.5, "output.weight": 0.0})
    out = masks.prune_to_counts(w, mask, {"hidden.0.weight": 2})
    assert int(out["hidden.0.weight"].sum()) == 2 and not (out["hidden.0.weight"] & ~mask["hidden.0.weight"]).any()
    assert out["output.weight"] is mask["output.weight"]
    with pytest.raises(LthError, match="survive"):
        masks.prune_to_counts(w, mask, {"hidden.0.weight": 7})
    with pytest.raises(LthError, match="not in the mask"):
        masks.prune_to_counts(w, mask, {"nope": 1})
