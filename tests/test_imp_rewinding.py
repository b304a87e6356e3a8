"""The accuracy of IMP subnetworks rewound to k (Frankle et al. 2020, section 5): its table and
the figures against k, whose axis labels every k asked for."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lth import figures
from lth.errors import LthError
from lth.summary import IMP_REWINDING_COLUMNS, imp_rewinding_table

KS = [0, 25, 100, 500, 1000]


def sidecar(path, trial, round_, variant="ticket", final=0.98, kept=100):
    """A training sidecar as `lth train` writes one (only the keys the tables read)."""
    path.write_text(
        json.dumps(
            {
                "context": {"experiment": "e", "trial": trial, "round": round_, "variant": variant},
                "summary": {
                    "final_test_accuracy": final,
                    "early_stop_test_accuracy": final - 0.01,
                    "early_stop_iteration": 300,
                    "early_stop_val_loss": 0.1,
                    "max_test_accuracy": final,
                },
                "counts": {"w": kept},
                "sizes": {"w": 100},
            }
        )
    )
    return path


def test_table_has_one_row_per_trained_ticket_with_its_k(tmp_path):
    dense = sidecar(tmp_path / "dense.json", 0, 0, final=0.98)
    early = sidecar(tmp_path / "k0.json", 0, 3, final=0.97, kept=51)
    late = sidecar(tmp_path / "k500.json", 0, 3, final=0.975, kept=51)
    table = imp_rewinding_table([late, dense, early, dense], [500, 500, 0, 0])
    assert list(table.columns) == IMP_REWINDING_COLUMNS
    assert table[["round", "k", "final_test_accuracy", "weights_remaining"]].values.tolist() == [
        [0, 0, 0.98, 1.0],
        [0, 500, 0.98, 1.0],
        [3, 0, 0.97, 0.51],
        [3, 500, 0.975, 0.51],
    ]
    with pytest.raises(LthError, match="2 sidecars but 1 rewind"):
        imp_rewinding_table([dense, early], [0])
    reinit = sidecar(tmp_path / "reinit.json", 0, 3, variant="reinit")
    with pytest.raises(LthError, match="reinit.json' is a reinit network"):
        imp_rewinding_table([reinit], [0])


def tables(ks=KS, trials=2):
    """An instability table and an accuracy table over ``ks``: the dense network (round 0) at
    98%, the sparse one (round 3, 51% remaining) losing accuracy where it is unstable."""
    rng = np.random.default_rng(0)
    inst, imp = [], []
    for trial in range(trials):
        for k in ks:
            unstable = 0.1 if k < 100 else 0.0
            for round_, kept in ((0, 1.0), (3, 0.51)):
                for split in ("train", "test"):
                    inst.append(
                        dict(
                            experiment="e",
                            trial=trial,
                            round=round_,
                            k=k,
                            weights_remaining=kept,
                            split=split,
                            instability=(unstable if round_ else 0.0) + 0.001 * rng.random(),
                        )
                    )
                final = 0.98 + 0.001 * trial if round_ == 0 else 0.98 - unstable / 2
                imp.append(
                    dict(
                        experiment="e",
                        trial=trial,
                        round=round_,
                        k=k,
                        weights_remaining=kept,
                        final_test_accuracy=final,
                        early_stop_test_accuracy=final,
                        early_stop_iteration=100,
                    )
                )
    return pd.DataFrame(inst), pd.DataFrame(imp)


def series(ax, label):
    """The data line of the error-bar series called ``label``."""
    (container,) = [c for c in ax.containers if c.get_label() == label]
    return container.lines[0]


def tick_labels(ax):
    ax.figure.canvas.draw()
    return [label.get_text() for label in ax.get_xticklabels()]


def test_instability_vs_k_labels_every_k():
    inst, _ = tables()
    fig = figures._instability_vs_k(inst, 0.02, "t")
    assert tick_labels(fig.axes[0]) == [str(k) for k in KS]  # k = 500 included
    assert fig.axes[0].get_xscale() == "symlog"


def test_imp_rewinding_figure_shows_accuracy_and_instability_against_every_k():
    inst, imp = tables()
    fig = figures._imp_rewinding_vs_k(inst, imp, 0.02, "t")
    left, right = fig.axes
    for ax in (left, right):
        assert tick_labels(ax) == [str(k) for k in KS]
    # The dense network's accuracy is a horizontal line at its mean over trials.
    dense = [line for line in left.get_lines() if line.get_label().startswith("dense network")]
    assert len(dense) == 1 and np.allclose(dense[0].get_ydata(), 98.05)
    # The sparse round's accuracy and instability: means over trials at each k.
    accuracy = series(left, "51.0% remaining")
    assert np.allclose(accuracy.get_xdata(), KS)
    assert np.allclose(accuracy.get_ydata(), [93, 93, 98, 98, 98])
    assert np.allclose(series(right, "51.0% remaining").get_ydata(), [10, 10, 0, 0, 0], atol=0.1)
    assert np.allclose(series(right, "100.0% remaining (dense)").get_ydata(), 0, atol=0.1)


def test_k_axis_without_zero_and_with_one_k():
    inst, imp = tables(ks=[100, 2000, 5000])
    assert tick_labels(figures._imp_rewinding_vs_k(inst, imp, 0.02, "t").axes[0]) == ["100", "2000", "5000"]
    inst, imp = tables(ks=[0])
    assert tick_labels(figures._instability_vs_k(inst, 0.02, "t").axes[0]) == ["0"]
