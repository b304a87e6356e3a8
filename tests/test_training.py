"""Masked training on XOR: pruned weights stay exactly zero, runs are bit-identical, late rewinding
continues the same run, the learning-rate schedule, and the early-stop iteration."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from lth import masks
from lth.data import Split
from lth.errors import LthError
from lth.io import write_csv
from lth.specs import TrainSpec
from lth.training import EVAL_BATCH, early_stop, epoch_permutation, evaluate, train

HIDDEN = (32, 32)


@pytest.fixture
def theta0(make_model):
    return make_model(hidden=HIDDEN, input_shape=(2,), num_classes=2, seed=0).state_dict()


@pytest.fixture
def sparse_mask(make_model, make_pruned_mask):
    """Three rounds of layerwise pruning (20 %, output 10 %) of the XOR net's θ₀."""
    model = make_model(hidden=HIDDEN, input_shape=(2,), num_classes=2, seed=0)
    mask = make_pruned_mask(model, model.state_dict(), rounds=3)
    assert masks.counts(mask) == {
        "hidden.0.weight": masks.survivors(64, 0.2, 3),
        "hidden.1.weight": masks.survivors(1024, 0.2, 3),
        "output.weight": masks.survivors(64, 0.1, 3),
    }
    return mask


def run(make_model, theta, mask, splits, spec, order_seed=0, **kwargs):
    model = make_model(hidden=HIDDEN, input_shape=(2,), num_classes=2)
    model.load_state_dict(theta)
    return model, train(model, mask, splits, spec, order_seed, **kwargs)


OPTIMISERS = {
    "adam+wd": dict(optimizer="adam", lr=1e-2, weight_decay=1e-2),
    "sgd+momentum+wd": dict(optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=1e-2),
}


@pytest.mark.parametrize("opt", OPTIMISERS, ids=list(OPTIMISERS))
def test_pruned_weights_are_exactly_zero_after_training(make_model, theta0, sparse_mask, xor_splits, opt):
    # θ₀ is passed unmasked: train() must zero the pruned weights itself, and keep them at zero
    # through momentum and weight decay.
    assert all((theta0[n][~m] != 0).all() for n, m in sparse_mask.items())
    spec = TrainSpec(batch_size=100, iterations=120, eval_every=40, **OPTIMISERS[opt])
    model, result = run(make_model, theta0, sparse_mask, xor_splits, spec, save_at=(0, 60))
    for name, m in sparse_mask.items():
        assert (result.weights[name][~m] == 0.0).all(), name  # exact zeros, not approximately
        assert (dict(model.named_parameters())[name].detach()[~m] == 0.0).all(), name
        for state in result.saved.values():
            assert (state[name][~m] == 0.0).all(), name
        assert (result.weights[name][m] != theta0[name][m]).any(), f"{name}: survivors did not train"
    # The gradient at pruned positions is not zero, so momentum or decay would revive them unless
    # the mask were re-applied after every step.
    model.zero_grad()
    F.cross_entropy(model(xor_splits.train.x[:500]), xor_splits.train.y[:500]).backward()
    grad = model.hidden[1].weight.grad
    assert (grad[~sparse_mask["hidden.1.weight"]] != 0).any()
    assert result.summary["final_test_accuracy"] > 0.9  # XOR is learned even at ~50 % density


def test_metrics_layout_and_summary(make_model, theta0, sparse_mask, xor_splits):
    spec = TrainSpec(optimizer="adam", lr=1e-2, batch_size=100, iterations=50, eval_every=20)
    _, result = run(make_model, theta0, sparse_mask, xor_splits, spec)
    m = result.metrics
    assert list(m.columns) == ["iteration", "split", "loss", "accuracy"]
    assert sorted(set(m["iteration"])) == [0, 20, 40, 50]  # start, every eval_every, and the end
    assert m.groupby("iteration")["split"].apply(sorted).tolist() == [["test", "val"]] * 4
    assert m["accuracy"].between(0, 1).all()
    assert result.summary["early_stop_iteration"] in (0, 20, 40, 50)
    assert result.summary["train_seconds"] >= 0


def test_same_seeds_bit_identical_different_order_seed_differs(make_model, theta0, sparse_mask, xor_splits, tmp_path):
    spec = TrainSpec(
        optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=1e-3, batch_size=64, iterations=200, eval_every=50
    )
    _, a = run(make_model, theta0, sparse_mask, xor_splits, spec, order_seed=7)
    _, b = run(make_model, theta0, sparse_mask, xor_splits, spec, order_seed=7)
    _, c = run(make_model, theta0, sparse_mask, xor_splits, spec, order_seed=8)
    write_csv(tmp_path / "a.csv", a.metrics)
    write_csv(tmp_path / "b.csv", b.metrics)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert a.weights.keys() == b.weights.keys()
    assert all(torch.equal(a.weights[k], b.weights[k]) for k in a.weights)
    assert not all(torch.equal(a.weights[k], c.weights[k]) for k in a.weights)
    # The order seed changes only the data order: the pruned positions are zero in both.
    for name, m in sparse_mask.items():
        assert (c.weights[name][~m] == 0).all()


def test_epoch_permutation_depends_only_on_seed_and_epoch():
    cpu = torch.device("cpu")
    p = epoch_permutation(100, 3, 2, cpu)
    assert sorted(p.tolist()) == list(range(100))
    assert torch.equal(p, epoch_permutation(100, 3, 2, cpu))
    assert not torch.equal(p, epoch_permutation(100, 3, 1, cpu))
    assert not torch.equal(p, epoch_permutation(100, 4, 2, cpu))


@pytest.mark.parametrize("k", [0, 7, 18, 41])  # epoch start, mid-epoch, epoch boundary, a later epoch
def test_late_rewinding_continues_the_same_run(make_model, theta0, sparse_mask, xor_splits, k):
    # 9000 training examples in batches of 500: 18 steps per epoch, so 60 iterations span 4 epochs.
    # Plain SGD has no optimiser state, so θ_k alone determines the rest of the run.
    spec = TrainSpec(optimizer="sgd", lr=0.2, momentum=0.0, batch_size=500, iterations=60, eval_every=10)
    _, full = run(make_model, theta0, sparse_mask, xor_splits, spec, order_seed=3, save_at=(k,))
    assert set(full.saved) == {k}
    if k:  # the saved state is exactly where a run with a budget of k iterations ends
        _, upto_k = run(
            make_model,
            theta0,
            sparse_mask,
            xor_splits,
            TrainSpec.from_dict({**spec.to_dict(), "iterations": k}),
            order_seed=3,
        )
        assert all(torch.equal(full.saved[k][n], upto_k.weights[n]) for n in full.saved[k])
    else:  # iteration 0 is the masked start state
        assert all(torch.equal(full.saved[0][n], masks.apply(theta0, sparse_mask)[n]) for n in theta0)
    _, resumed = run(make_model, full.saved[k], sparse_mask, xor_splits, spec, order_seed=3, start_iteration=k)
    assert all(torch.equal(full.weights[n], resumed.weights[n]) for n in full.weights)
    assert resumed.metrics["iteration"].min() == k
    tail = full.metrics[full.metrics["iteration"] >= 10 * math.ceil(k / 10)].reset_index(drop=True)
    ours = resumed.metrics[resumed.metrics["iteration"] >= 10 * math.ceil(k / 10)].reset_index(drop=True)
    pd.testing.assert_frame_equal(tail, ours)
    # A different order seed from k on gives a different run.
    _, other = run(make_model, full.saved[k], sparse_mask, xor_splits, spec, order_seed=4, start_iteration=k)
    assert not all(torch.equal(full.weights[n], other.weights[n]) for n in full.weights)


def test_lr_schedule_values():
    spec = TrainSpec(lr=0.4, warmup=4, milestones=(10, 20), gamma=0.5)
    assert [spec.lr_at(i) for i in range(5)] == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.4])
    assert spec.lr_at(9) == pytest.approx(0.4)
    assert spec.lr_at(10) == pytest.approx(0.2)
    assert spec.lr_at(19) == pytest.approx(0.2)
    assert spec.lr_at(20) == pytest.approx(0.1)
    assert spec.lr_at(10_000) == pytest.approx(0.1)
    plain = TrainSpec(lr=0.3)
    assert {plain.lr_at(i) for i in (0, 1, 100, 10**6)} == {0.3}
    both = TrainSpec(lr=1.0, warmup=10, milestones=(5,), gamma=0.1)  # overlapping warmup and decay multiply
    assert both.lr_at(4) == pytest.approx(0.5) and both.lr_at(5) == pytest.approx(0.06)


def test_training_follows_the_lr_schedule(make_model, theta0, sparse_mask, xor_splits):
    base = dict(optimizer="sgd", momentum=0.0, batch_size=100, eval_every=10)
    # Warmup: the first step of a 4-step warmup at lr 0.4 is a step at lr 0.1.
    _, warm = run(make_model, theta0, sparse_mask, xor_splits, TrainSpec(lr=0.4, warmup=4, iterations=1, **base))
    _, flat = run(make_model, theta0, sparse_mask, xor_splits, TrainSpec(lr=0.1, iterations=1, **base))
    assert all(torch.equal(warm.weights[n], flat.weights[n]) for n in warm.weights)
    # Milestone at 3 with gamma 0: training stops moving at iteration 3.
    _, six = run(
        make_model, theta0, sparse_mask, xor_splits, TrainSpec(lr=0.1, milestones=(3,), gamma=0.0, iterations=6, **base)
    )
    _, three = run(make_model, theta0, sparse_mask, xor_splits, TrainSpec(lr=0.1, iterations=3, **base))
    assert all(torch.equal(six.weights[n], three.weights[n]) for n in six.weights)
    _, moving = run(make_model, theta0, sparse_mask, xor_splits, TrainSpec(lr=0.1, iterations=6, **base))
    assert not all(torch.equal(moving.weights[n], three.weights[n]) for n in moving.weights)


def test_training_rejects_bad_input(make_model, theta0, sparse_mask, xor_splits):
    spec = TrainSpec(batch_size=100, iterations=10)
    with pytest.raises(LthError, match="batch_size 20000 is larger than the 9000"):
        run(make_model, theta0, sparse_mask, xor_splits, TrainSpec(batch_size=20000, iterations=10))
    with pytest.raises(LthError, match="start iteration 11 is outside the budget of 10"):
        run(make_model, theta0, sparse_mask, xor_splits, spec, start_iteration=11)
    bad = dict(sparse_mask, **{"hidden.1.weight": torch.ones(16, 32, dtype=torch.bool)})
    with pytest.raises(LthError, match=r"'hidden\.1\.weight'"):
        run(make_model, theta0, bad, xor_splits, spec)


# --- early stopping on handmade curves ------------------------------------------------------------


def curves(val_loss, test_acc, iterations=None, test_loss=None):
    iterations = iterations or [100 * i for i in range(len(val_loss))]
    test_loss = test_loss or [1.0 + i for i in range(len(val_loss))]
    rows = [(it, "val", loss, 0.5) for it, loss in zip(iterations, val_loss)]
    rows += [(it, "test", tl, acc) for it, tl, acc in zip(iterations, test_loss, test_acc)]
    return pd.DataFrame(rows, columns=["iteration", "split", "loss", "accuracy"])


def test_early_stop_at_minimum_validation_loss():
    s = early_stop(curves([0.9, 0.5, 0.2, 0.4, 0.6], [0.1, 0.5, 0.8, 0.95, 0.7]))
    assert s["early_stop_iteration"] == 200
    assert s["early_stop_val_loss"] == 0.2
    assert s["early_stop_test_loss"] == 3.0
    assert s["early_stop_test_accuracy"] == 0.8
    assert s["final_test_accuracy"] == 0.7
    assert s["max_test_accuracy"] == 0.95


def test_early_stop_ties_take_the_first_occurrence():
    s = early_stop(curves([0.9, 0.3, 0.5, 0.3, 0.3], [0.1, 0.6, 0.7, 0.8, 0.9]))
    assert s["early_stop_iteration"] == 100
    assert s["early_stop_test_accuracy"] == 0.6


def test_early_stop_ties_take_the_earliest_iteration_whatever_the_row_order():
    frame = curves([0.9, 0.3, 0.5, 0.3], [0.1, 0.6, 0.7, 0.8])
    shuffled = frame.iloc[[3, 2, 1, 0, 7, 6, 5, 4]].reset_index(drop=True)
    assert early_stop(shuffled)["early_stop_iteration"] == 100


def test_early_stop_without_validation_uses_last_iteration():
    frame = curves([math.nan] * 3, [0.2, 0.9, 0.4])
    s = early_stop(frame)
    assert s["early_stop_iteration"] == 200 and s["early_stop_test_accuracy"] == 0.4
    assert math.isnan(s["early_stop_val_loss"])
    no_val = frame[frame["split"] == "test"]
    assert early_stop(no_val)["early_stop_iteration"] == 200


def test_early_stop_skips_missing_validation_points():
    s = early_stop(curves([0.9, math.nan, 0.4], [0.2, 0.9, 0.4]))
    assert s["early_stop_iteration"] == 200


def test_evaluation_batch_is_chosen_by_device_when_not_given(make_model):
    """1,000 on the CPU (a conv net's activations for 10,000 images take gigabytes there), 10,000
    on a GPU; a given batch size is used as given. The predictions do not depend on it."""
    assert TrainSpec().eval_batch_size is None and EVAL_BATCH == {"cuda": 10000, "cpu": 1000}
    with pytest.raises(LthError, match=r"train\.eval_batch_size: must be positive, got 0"):
        TrainSpec.from_dict({"eval_batch_size": 0}, "train")
    model = make_model(hidden=(8,), input_shape=(2,), num_classes=2)
    sizes = []
    model.register_forward_hook(lambda module, inputs, output: sizes.append(len(inputs[0])))
    g = torch.Generator().manual_seed(0)
    split = Split(torch.randn(2500, 2, generator=g), torch.randint(0, 2, (2500,), generator=g))
    by_device = evaluate(model, split)
    assert sizes == [1000, 1000, 500]
    sizes.clear()
    whole = evaluate(model, split, 2500)
    assert sizes == [2500]
    assert by_device[1] == whole[1] and by_device[0] == pytest.approx(whole[0], rel=1e-6)
