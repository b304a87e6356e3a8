"""Magnitude pruning: exact survivor counts, the rounding rule, which weights go, ties, errors."""

from __future__ import annotations

import pytest
import torch
from conftest import random_weights

from lth import masks
from lth.errors import LthError
from lth.specs import PruneSpec

LENET_SIZES = {"hidden.0.weight": 784 * 300, "hidden.1.weight": 300 * 100, "output.weight": 100 * 10}

# Hand-computed (p·n rounded to the nearest integer, halves up, removed each round):
#   784·300 = 235200 -0.2-> 188160 -> 150528 -> 120422 (150528·0.2 = 30105.6 -> 30106) -> 96338 -> 77070
#   300·100 =  30000 -0.2->  24000 ->  19200 ->  15360 -> 12288 -> 9830 (12288·0.2 = 2457.6 -> 2458)
#   100·10  =   1000 -0.1->    900 ->    810 ->    729 ->   656 (72.9 -> 73) -> 590 (65.6 -> 66)
HAND_COUNTS = {
    "hidden.0.weight": [235200, 188160, 150528, 120422, 96338, 77070],
    "hidden.1.weight": [30000, 24000, 19200, 15360, 12288, 9830],
    "output.weight": [1000, 900, 810, 729, 656, 590],
}


def assert_nested(new: masks.Mask, old: masks.Mask) -> None:
    for name in old:
        assert not (new[name] & ~old[name]).any(), f"{name}: a pruned weight came back"


def assert_smallest_pruned(weights, old: masks.Mask, new: masks.Mask, name: str) -> None:
    """Among the weights alive before the round, every removed one is no larger than every kept one."""
    w = weights[name].abs()
    removed = old[name] & ~new[name]
    if removed.any() and new[name].any():
        assert w[removed].max() <= w[new[name]].min(), name


def test_full_mask_covers_prunable_weights_only(lenet):
    mask = masks.full_mask(lenet)
    assert set(mask) == set(LENET_SIZES)  # biases are never masked
    assert masks.counts(mask) == LENET_SIZES
    assert all(m.dtype == torch.bool for m in mask.values())
    assert masks.fraction_remaining(mask) == 1.0


def test_layerwise_counts_over_five_rounds(lenet):
    rates = {"hidden.0.weight": 0.2, "hidden.1.weight": 0.2, "output.weight": 0.1}
    mask = masks.full_mask(lenet)
    for r in range(1, 6):
        weights = random_weights(lenet, seed=r)  # the network is retrained between rounds
        new = masks.prune_layerwise(weights, mask, rates)
        got = masks.counts(new)
        for name, size in LENET_SIZES.items():
            assert got[name] == masks.survivors(size, rates[name], r), (name, r)
            assert got[name] == HAND_COUNTS[name][r], (name, r)
            assert_smallest_pruned(weights, mask, new, name)
        assert_nested(new, mask)
        mask = new
    total = sum(HAND_COUNTS[n][5] for n in LENET_SIZES)
    assert masks.fraction_remaining(mask) == pytest.approx(total / sum(LENET_SIZES.values()))


def test_prune_with_spec_uses_half_rate_for_output_layer(lenet):
    weights = random_weights(lenet, seed=0)
    mask = masks.full_mask(lenet)
    explicit = PruneSpec(rate=0.2, output_rate=0.1)
    default = PruneSpec(rate=0.2)  # output layer defaults to rate / 2
    for r in range(1, 4):
        mask_e = masks.prune(lenet, weights, mask, explicit)
        mask_d = masks.prune(lenet, weights, mask, default)
        assert all(torch.equal(mask_e[n], mask_d[n]) for n in mask)
        assert masks.counts(mask_e) == {n: HAND_COUNTS[n][r] for n in LENET_SIZES}
        mask = mask_e


def test_first_round_hand_computed(lenet):
    weights = random_weights(lenet, seed=0)
    new = masks.prune(lenet, weights, masks.full_mask(lenet), PruneSpec(rate=0.2, output_rate=0.1))
    assert int(new["hidden.0.weight"].sum()) == 188160  # 235200 - 0.2·235200
    assert int(new["hidden.1.weight"].sum()) == 24000
    assert int(new["output.weight"].sum()) == 900


def test_global_counts_nested_and_smallest_pooled(lenet):
    total = sum(LENET_SIZES.values())
    mask = masks.full_mask(lenet)
    spec = PruneSpec(strategy="global", rate=0.2)
    for r in range(1, 6):
        weights = random_weights(lenet, seed=100 + r)
        new = masks.prune(lenet, weights, mask, spec)
        assert sum(masks.counts(new).values()) == masks.survivors(total, 0.2, r)
        assert_nested(new, mask)
        # Pooled: the largest removed magnitude (in any layer) is at most the smallest kept one.
        removed = torch.cat([weights[n].abs()[mask[n] & ~new[n]] for n in mask])
        kept = torch.cat([weights[n].abs()[new[n]] for n in mask])
        assert removed.max() <= kept.min()
        mask = new
    assert sum(masks.counts(mask).values()) == 87228  # 266200 after 5 rounds of 20 %
    # Global pruning does not keep the per-layer proportions of layerwise pruning.
    assert masks.counts(mask) != {n: HAND_COUNTS[n][5] for n in LENET_SIZES}


def test_global_subset_of_layers_leaves_others_alone(lenet):
    weights = random_weights(lenet, seed=7)
    mask = masks.full_mask(lenet)
    layers = ["hidden.0.weight", "hidden.1.weight"]
    new = masks.prune_global(weights, mask, 0.2, layers=layers)
    assert torch.equal(new["output.weight"], mask["output.weight"])
    assert sum(masks.counts(new)[n] for n in layers) == masks.survivors(235200 + 30000, 0.2, 1)


@pytest.mark.parametrize(
    "n, rate, removed",
    [
        (10, 0.25, 3),  # 2.5 -> 3 (halves up, not Python's round-half-even 2)
        (25, 0.1, 3),  # 2.5 -> 3
        (10, 0.15, 2),  # 1.5000000000000002 -> 2
        (90, 0.35, 32),  # 31.499999999999996 in floating point, exactly 31.5 -> 32
        (3, 0.5, 2),  # 1.5 -> 2
        (1, 0.5, 1),
        (1, 0.49, 0),
        (7, 0.2, 1),  # 1.4 -> 1
        (8, 0.2, 2),  # 1.6 -> 2
        (0, 0.2, 0),
        (5, 0.0, 0),
    ],
)
def test_rounding_rule_halves_up(n, rate, removed):
    assert masks.n_removed(n, rate) == removed
    assert masks.survivors(n, rate, 1) == n - removed


def test_rounding_rule_in_a_layer():
    weights = {"w": torch.arange(1.0, 11.0).view(2, 5)}
    new = masks.prune_layerwise(weights, {"w": torch.ones(2, 5, dtype=torch.bool)}, {"w": 0.25})
    assert int(new["w"].sum()) == 7  # 2.5 removed rounds up to 3
    assert new["w"].flatten().tolist() == [False] * 3 + [True] * 7  # the three smallest go


def test_pruned_positions_are_the_smallest_magnitudes():
    g = torch.Generator().manual_seed(0)
    w = torch.randn(40, 30, generator=g)
    mask = {"w": torch.ones_like(w, dtype=torch.bool)}
    new = masks.prune_layerwise({"w": w}, mask, {"w": 0.3})
    order = torch.argsort(w.abs().flatten())  # magnitudes are distinct
    expected = torch.ones(w.numel(), dtype=torch.bool)
    expected[order[:360]] = False  # 0.3·1200 = 360 smallest |w|, whatever the sign
    assert torch.equal(new["w"].flatten(), expected)


def test_pruned_weights_stay_pruned_even_if_large_later():
    mask = {"w": torch.tensor([True, False, True, True, True])}
    weights = {"w": torch.tensor([1.0, 100.0, 2.0, 3.0, 4.0])}  # the pruned one is now largest
    new = masks.prune_layerwise(weights, mask, {"w": 0.25})  # 4 alive, removes 1
    assert new["w"].tolist() == [False, False, True, True, True]
    glob = masks.prune_global(weights, mask, 0.25)
    assert glob["w"].tolist() == [False, False, True, True, True]


def test_ties_keep_lower_flat_index_deterministically():
    w = torch.tensor([[1.0, -1.0, 1.0], [-1.0, 1.0, -1.0]])  # all magnitudes equal
    mask = {"w": torch.ones_like(w, dtype=torch.bool)}
    first = masks.prune_layerwise({"w": w}, mask, {"w": 0.5})
    assert first["w"].flatten().tolist() == [True, True, True, False, False, False]
    for _ in range(3):
        assert torch.equal(masks.prune_layerwise({"w": w}, mask, {"w": 0.5})["w"], first["w"])

    partial = torch.tensor([3.0, 1.0, 2.0, -1.0, 1.0, 5.0])  # three tied at |1|, one of them survives
    kept = masks.prune_layerwise({"w": partial}, {"w": torch.ones(6, dtype=torch.bool)}, {"w": 0.3})
    assert kept["w"].tolist() == [True, True, True, False, False, True]

    # Global pooling breaks ties by position in the pooled order (layer order, then flat index).
    pooled = {"a": torch.ones(3), "b": -torch.ones(3)}
    glob = masks.prune_global(pooled, {k: torch.ones(3, dtype=torch.bool) for k in pooled}, 0.5)
    assert glob["a"].tolist() == [True, True, True] and glob["b"].tolist() == [False, False, False]


def test_shape_mismatch_names_the_layer():
    weights = {"hidden.0.weight": torch.zeros(4, 3), "output.weight": torch.zeros(2, 4)}
    mask = {"hidden.0.weight": torch.ones(3, 4, dtype=torch.bool), "output.weight": torch.ones(2, 4, dtype=torch.bool)}
    for call in (
        lambda: masks.prune_layerwise(weights, mask, {"hidden.0.weight": 0.2, "output.weight": 0.1}),
        lambda: masks.prune_global(weights, mask, 0.2),
        lambda: masks.apply(weights, mask),
        lambda: masks.check_compatible(weights, mask),
    ):
        with pytest.raises(LthError, match=r"'hidden\.0\.weight'.*\(3, 4\).*\(4, 3\)"):
            call()


def test_mask_for_missing_layer_names_it():
    with pytest.raises(LthError, match=r"'extra\.weight' is not in the weights"):
        masks.check_compatible({"a": torch.zeros(2)}, {"extra.weight": torch.ones(2, dtype=torch.bool)})


def test_apply_zeroes_exactly_and_leaves_unmasked_tensors(lenet):
    weights = random_weights(lenet, seed=3)
    mask = masks.prune_layerwise(weights, masks.full_mask(lenet), {n: 0.5 for n in LENET_SIZES})
    applied = masks.apply(weights, mask)
    for name, m in mask.items():
        assert (applied[name][~m] == 0).all()
        assert torch.equal(applied[name][m], weights[name][m])
    assert torch.equal(applied["hidden.0.bias"], weights["hidden.0.bias"])
