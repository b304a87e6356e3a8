"""Stratified training subsets (less-data studies): exact per-class counts, nesting, seeding,
and the validation and test sets left whole."""

from __future__ import annotations

import math

import pytest
import torch

from lth import data
from lth.errors import LthError
from lth.specs import DataSpec


def expected(n: int, fraction: float) -> int:
    return math.floor(fraction * n + 0.5)


@pytest.fixture
def labels():
    """Unbalanced classes: 0..4 with 101, 250, 333, 7 and 1000 examples, shuffled."""
    sizes = [101, 250, 333, 7, 1000]
    y = torch.cat([torch.full((n,), c) for c, n in enumerate(sizes)])
    return y[torch.randperm(len(y), generator=torch.Generator().manual_seed(0))], sizes


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5, 0.3333, 0.9])
def test_subset_keeps_each_class_share_exactly(labels, fraction):
    y, sizes = labels
    idx = data.stratified_subset(y, fraction, seed=4)
    assert torch.equal(idx, idx.unique())  # sorted, no repeats
    picked = y[idx]
    for c, n in enumerate(sizes):
        assert int((picked == c).sum()) == expected(n, fraction), (c, fraction)


def test_subsets_are_nested_and_seeded(labels):
    y, _ = labels
    small, medium, large = (set(data.stratified_subset(y, f, 4).tolist()) for f in (0.1, 0.25, 0.5))
    assert small < medium < large
    assert torch.equal(data.stratified_subset(y, 0.25, 4), data.stratified_subset(y, 0.25, 4))
    assert not torch.equal(data.stratified_subset(y, 0.25, 4), data.stratified_subset(y, 0.25, 5))
    assert torch.equal(data.stratified_subset(y, 1.0, 4), torch.arange(len(y)))


def test_a_fraction_that_empties_a_class_is_an_error(labels):
    y, _ = labels
    with pytest.raises(LthError, match=r"train_fraction 0.05 leaves class 3 \(7 examples\) with none"):
        data.stratified_subset(y, 0.05, 0)


def test_load_splits_trains_on_the_subset_and_keeps_validation_and_test(xor_file):
    full = data.load_splits(xor_file, 1000, 0)
    part = data.load_splits(xor_file, 1000, 0, train_fraction=0.25)
    for c in (0, 1):
        assert int((part.train.y == c).sum()) == expected(int((full.train.y == c).sum()), 0.25)
    assert torch.equal(part.val.x, full.val.x) and torch.equal(part.test.y, full.test.y)
    # The subset is drawn from the training examples only: every row is one of the full train rows.
    rows = {tuple(r) for r in full.train.x.tolist()}
    assert all(tuple(r) in rows for r in part.train.x.tolist())
    val_rows = {tuple(r) for r in full.val.x.tolist()}
    assert not any(tuple(r) in val_rows for r in part.train.x.tolist())
    assert part.provenance(1000, 0, 0.25)["train_examples"] == len(part.train)


def test_train_fraction_is_validated():
    assert DataSpec.from_dict({"train_fraction": 0.5}, "e").train_fraction == 0.5
    for bad in (0, 1.5, -0.1):
        with pytest.raises(LthError, match=r"^e\.train_fraction: must be in \(0, 1\]"):
            DataSpec.from_dict({"train_fraction": bad}, "e")


@pytest.mark.data
def test_mnist_subset_class_proportions(mnist_file):
    """On real MNIST (55,000 training examples after the 5,000 held out): 10% keeps each digit's share."""
    full = data.load_splits(mnist_file, 5000, 0)
    part = data.load_splits(mnist_file, 5000, 0, train_fraction=0.1)
    counts = torch.bincount(full.train.y, minlength=10)
    assert torch.bincount(part.train.y, minlength=10).tolist() == [expected(int(n), 0.1) for n in counts]
    assert len(part.train) == sum(expected(int(n), 0.1) for n in counts)
