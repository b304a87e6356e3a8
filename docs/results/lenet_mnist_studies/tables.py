"""Tables and numbers of the lenet_mnist_studies page, from anatomy/*.csv, lr/sweep.csv,
less_data/*.csv (the last two of anatomy/ and less_data/subset_sizes.csv written by recompute.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from mdtable import markdown
from numfmt import both, num, pct, span

LAYERS = {
    "hidden.0.weight": "hidden layer 1 (784×300)",
    "hidden.1.weight": "hidden layer 2 (300×100)",
    "output.weight": "output layer (100×10)",
}
NEAR_ZERO_ROUNDS = [0, 3, 7, 10, 12, 15]  # 100 … 3.6% remaining, as on ../lenet_mnist_cpu/
DEAD_ROUNDS = [10, 12, 14, 15]
LAST = 15


# --- anatomy -------------------------------------------------------------------------------------


def _anatomy(here: Path) -> pd.DataFrame:
    a = pd.read_csv(here / "anatomy" / "anatomy.csv")
    return a.assign(abs_mean_sigma=a["survivor_abs_mean"] / a["init_std"])


def _by_round(here: Path, column: str) -> pd.DataFrame:
    """Mean over trials, rounds × layers."""
    return _anatomy(here).groupby(["round", "layer"])[column].mean().unstack("layer")


def _remaining(here: Path) -> pd.Series:
    """Percent of all prunable weights remaining per round (mean over trials)."""
    per = _anatomy(here).groupby(["trial", "round"])[["surviving", "weights"]].sum()
    return (per["surviving"] / per["weights"]).groupby("round").mean() * 100


def _remaining_label(value: float) -> str:
    return "100" if value == 100 else f"{value:.1f}"


def near_zero_table(here: Path) -> str:
    near, remaining = _by_round(here, "near_zero_fraction"), _remaining(here)
    rows = [[label] + [f"{pct(near.loc[r, layer], 1)}%" for r in NEAR_ZERO_ROUNDS] for layer, label in LAYERS.items()]
    return markdown(
        pd.DataFrame(
            rows, columns=["weights remaining (%)"] + [_remaining_label(remaining[r]) for r in NEAR_ZERO_ROUNDS]
        )
    )


def dead_table(here: Path) -> str:
    dead, unused, remaining = _by_round(here, "dead_units"), _by_round(here, "in_units_no_outgoing"), _remaining(here)
    a = _anatomy(here)
    size = a.drop_duplicates("layer").set_index("layer")
    rows = [
        [f"first hidden layer: dead units (of {size.loc['hidden.0.weight', 'out_units']})"]
        + [f"{dead.loc[r, 'hidden.0.weight']:g}" for r in DEAD_ROUNDS],
        [f"second hidden layer: dead units (of {size.loc['hidden.1.weight', 'out_units']})"]
        + [f"{dead.loc[r, 'hidden.1.weight']:g}" for r in DEAD_ROUNDS],
        [f"input pixels with no connection (of {size.loc['hidden.0.weight', 'in_units']})"]
        + [f"{unused.loc[r, 'hidden.0.weight']:g}" for r in DEAD_ROUNDS],
    ]
    return markdown(
        pd.DataFrame(rows, columns=["weights remaining (%)"] + [_remaining_label(remaining[r]) for r in DEAD_ROUNDS])
    )


def _last(here: Path, column: str, layer: str) -> float:
    return _by_round(here, column).loc[LAST, layer]


def _positive(here: Path, layer: str) -> str:
    return pct(_last(here, "positive_fraction", layer), 0)


def _signs_agree(here: Path) -> bool:
    """Each trial alone shows the same order of the layers' positive shares at the last round."""
    a = _anatomy(here)
    a = a[a["round"] == LAST]
    orders = {tuple(part.sort_values("positive_fraction")["layer"]) for _, part in a.groupby("trial")}
    return len(orders) == 1


def _init_vs_trained(here: Path) -> pd.DataFrame:
    return pd.read_csv(here / "anatomy" / "init_vs_trained.csv")


def _spearman(here: Path, layer: str) -> str:
    t = _init_vs_trained(here)
    return span(t[t["layer"] == layer]["spearman_abs_init_trained"], lambda v: f"{v:.2f}")


def _moved(here: Path, column: str) -> str:
    t = _init_vs_trained(here).dropna(subset=[column])
    return span(t[column], lambda v: f"{v:.3f}")


def _inputs(here: Path) -> pd.Series:
    return pd.read_csv(here / "anatomy" / "mnist_inputs.csv").iloc[0]


def _rerun(here: Path) -> pd.DataFrame:
    return pd.read_csv(here / "anatomy" / "rerun_round0.csv").sort_values("trial")


# --- sweeps --------------------------------------------------------------------------------------


def _sweep(here: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(here / name / "sweep.csv")


def _pivot(here: Path, name: str, column: str) -> pd.DataFrame:
    """(value, variant) × round."""
    return _sweep(here, name).pivot_table(index=["sweep_value", "variant"], columns="round", values=column)


def _sweep_remaining(here: Path, name: str) -> pd.Series:
    return _sweep(here, name).groupby("round")["weights_remaining"].mean() * 100


def _rate(value: float) -> str:
    """A learning rate as the page writes it: 3e-4, 1.2e-3."""
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def lr_table(here: Path) -> str:
    acc = _pivot(here, "lr", "early_stop_test_accuracy")
    remaining = _sweep_remaining(here, "lr")
    rows = []
    for value in sorted(acc.index.get_level_values(0).unique()):
        cells = [f"lr {_rate(value)}"]
        for r in remaining.index:
            ticket, reinit = acc.loc[(value, "ticket"), r], acc.loc[(value, "reinit"), r]
            cells.append(pct(ticket) if pd.isna(reinit) else f"{pct(ticket)} / {pct(reinit)}")
        rows.append(cells)
    return markdown(pd.DataFrame(rows, columns=["weights remaining (%)"] + [_remaining_label(v) for v in remaining]))


def less_data_table(here: Path) -> str:
    acc = _pivot(here, "less_data", "early_stop_test_accuracy")
    remaining = _sweep_remaining(here, "less_data")
    rows = []
    for value in sorted(acc.index.get_level_values(0).unique()):
        label = f"{value * 100:g}% of the data"
        rows.append([label] + [pct(acc.loc[(value, "ticket"), r]) for r in remaining.index])
    columns = ["weights remaining (%)"] + [f"{_remaining_label(v)}{' (dense)' if v == 100 else ''}" for v in remaining]
    return markdown(pd.DataFrame(rows, columns=columns))


def _lr(here: Path, value: float, variant: str, column: str = "early_stop_test_accuracy") -> pd.Series:
    return _pivot(here, "lr", column).loc[(value, variant)]


def _advantage(here: Path, value: float) -> pd.Series:
    """Ticket minus reinit, points, per pruned round."""
    return (_lr(here, value, "ticket") - _lr(here, value, "reinit")).dropna() * 100


def _less(here: Path, fraction: float, column: str = "early_stop_test_accuracy") -> pd.Series:
    return _pivot(here, "less_data", column).loc[(fraction, "ticket")]


def _gain(here: Path, fraction: float) -> pd.Series:
    """Ticket minus the dense network trained on the same data, points, per pruned round."""
    s = _less(here, fraction)
    return (s.iloc[1:] - s.iloc[0]) * 100


def _points(values: pd.Series) -> str:
    return span(values, lambda v: f"{v:.1f}")


def _signed(v: float) -> str:
    return f"{v:+.1f}".replace("-", "−")


def _stop_span(here: Path, name: str, value: float, variant: str, first: int) -> str:
    stops = _pivot(here, name, "early_stop_iteration").loc[(value, variant)]
    return span(stops.loc[first:].dropna())


def _subset(here: Path) -> pd.DataFrame:
    return pd.read_csv(here / "less_data" / "subset_sizes.csv")


def _round_of(here: Path, name: str, percent: float) -> int:
    remaining = _sweep_remaining(here, name)
    return int((remaining - percent).abs().idxmin())


TABLES = {
    "near_zero": near_zero_table,
    "dead": dead_table,
    "lr": lr_table,
    "less_data": less_data_table,
}

VALUES = {
    # anatomy
    "states": lambda here: str(len(_anatomy(here).drop_duplicates(["trial", "round"]))),
    "near_zero_dense": lambda here: pct(_by_round(here, "near_zero_fraction").loc[0].mean(), 1),
    "near_zero_last": lambda here: span(_by_round(here, "near_zero_fraction").loc[LAST], lambda v: pct(v, 0)),
    "abs_mean_dense": lambda here: f"{_by_round(here, 'abs_mean_sigma').loc[0].mean():.2f}",
    "abs_mean_hidden1": lambda here: f"{_last(here, 'abs_mean_sigma', 'hidden.0.weight'):.2f}",
    "abs_mean_hidden2": lambda here: f"{_last(here, 'abs_mean_sigma', 'hidden.1.weight'):.2f}",
    "abs_mean_output": lambda here: f"{_last(here, 'abs_mean_sigma', 'output.weight'):.2f}",
    "positive_hidden1": lambda here: _positive(here, "hidden.0.weight"),
    "positive_hidden2": lambda here: _positive(here, "hidden.1.weight"),
    "positive_output": lambda here: _positive(here, "output.weight"),
    "positive_dense": lambda here: pct(_by_round(here, "positive_fraction").loc[0].mean(), 0),
    "signs_agree": lambda here: "both trials agree" if _signs_agree(here) else "the trials disagree on the order",
    "dead_hidden1_last": lambda here: f"{_last(here, 'dead_units', 'hidden.0.weight'):g}",
    "no_outgoing_hidden1_last": lambda here: f"{_last(here, 'in_units_no_outgoing', 'hidden.1.weight'):g}",
    "no_incoming_hidden1_last": lambda here: f"{_last(here, 'out_units_no_incoming', 'hidden.0.weight'):g}",
    "unused_pixels_last": lambda here: f"{_last(here, 'in_units_no_outgoing', 'hidden.0.weight'):g}",
    "unused_pixels_trials": lambda here: both(
        _anatomy(here)
        .query(f"round == {LAST} and layer == 'hidden.0.weight'")
        .sort_values("trial")["in_units_no_outgoing"],
        lambda v: f"{v:g}",
        "",
    ),
    "constant_pixels": lambda here: str(_inputs(here)["constant_pixels"]),
    "zero_pixels": lambda here: str(_inputs(here)["zero_pixels"]),
    "train_examples": lambda here: num(_inputs(here)["examples"]),
    "spearman_hidden1": lambda here: _spearman(here, "hidden.0.weight"),
    "spearman_hidden2": lambda here: _spearman(here, "hidden.1.weight"),
    "spearman_output": lambda here: _spearman(here, "output.weight"),
    "moved_constant": lambda here: _moved(here, "mean_abs_change_constant_inputs"),
    "moved_other": lambda here: _moved(here, "mean_abs_change_other_inputs"),
    "rerun_acc": lambda here: both(_rerun(here)["early_stop_test_accuracy"]),
    "recorded_acc": lambda here: both(_rerun(here)["recorded_early_stop_test_accuracy"]),
    "rerun_commits": lambda here: " and ".join(
        f"`{c[:7]}`{' (uncommitted changes)' if c.endswith('+dirty') else ''}" for c in _rerun(here)["commit"]
    ),
    # the sweeps
    "networks": lambda here: str(len(_sweep(here, "lr")) + len(_sweep(here, "less_data"))),
    "train_seconds_medians": lambda here: span(
        pd.concat([_sweep(here, n).groupby("sweep_value")["train_seconds"].median() for n in ("lr", "less_data")])
    ),
    "stop_lr_paper_ticket": lambda here: _stop_span(here, "lr", 0.0012, "ticket", 2),
    "stop_lr_paper_reinit": lambda here: _stop_span(here, "lr", 0.0012, "reinit", 2),
    "stop_lr_paper_dense": lambda here: num(_lr(here, 0.0012, "ticket", "early_stop_iteration").loc[0]),
    "stop_lr_low": lambda here: span(_pivot(here, "lr", "early_stop_iteration").loc[0.0003].stack().dropna()),
    "stop_lr_high_ticket": lambda here: _stop_span(here, "lr", 0.0048, "ticket", 1),
    "stop_lr_high_reinit": lambda here: _stop_span(here, "lr", 0.0048, "reinit", 1),
    "lr_paper_dense": lambda here: pct(_lr(here, 0.0012, "ticket").loc[0]),
    "lr_paper_ticket_last": lambda here: pct(_lr(here, 0.0012, "ticket").iloc[-1]),
    "lr_paper_reinit_sparse": lambda here: ", ".join(f"{pct(v)}%" for v in _lr(here, 0.0012, "reinit").iloc[-2:]),
    "lr_low_reinit_last": lambda here: pct(_lr(here, 0.0003, "reinit").iloc[-1]),
    "lr_low_advantage_last": lambda here: f"{_advantage(here, 0.0003).iloc[-1]:.1f}",
    "lr_paper_advantage_last": lambda here: f"{_advantage(here, 0.0012).iloc[-1]:.1f}",
    "lr_high_dense": lambda here: pct(_lr(here, 0.0048, "ticket").loc[0]),
    "lr_high_advantage": lambda here: _points(_advantage(here, 0.0048)[_advantage(here, 0.0048) > 0]),
    "lr_high_reversed_at": lambda here: ", ".join(
        _remaining_label(_sweep_remaining(here, "lr")[r])
        for r in _advantage(here, 0.0048)[_advantage(here, 0.0048) <= 0].index
    ),
    "subset_sizes": lambda here: (
        ", ".join(num(n) for n in _subset(here)["examples"].iloc[:-1])
        + f" and {num(_subset(here)['examples'].iloc[-1])}"
    ),
    "smallest_subset": lambda here: num(_subset(here)["examples"].iloc[0]),
    "gain_25": lambda here: _points(_gain(here, 0.25)),
    "gain_50": lambda here: _points(_gain(here, 0.5)),
    "gain_100": lambda here: _points(_gain(here, 1.0)),
    "gain_from_25": lambda here: _points(pd.concat([_gain(here, f) for f in (0.25, 0.5, 1.0)])),
    "gain_10": lambda here: f"{_signed(_gain(here, 0.1).min())}/{_signed(_gain(here, 0.1).max())}",
    "dense_10": lambda here: pct(_less(here, 0.1).loc[0]),
    "stop_dense_fractions": lambda here: ", ".join(
        num(v) for v in _pivot(here, "less_data", "early_stop_iteration").xs("ticket", level="variant")[0]
    ),
    "stop_last_fractions": lambda here: ", ".join(
        num(v) for v in _pivot(here, "less_data", "early_stop_iteration").xs("ticket", level="variant").iloc[:-1, -1]
    ),
    "half_data_17": lambda here: pct(_less(here, 0.5).loc[_round_of(here, "less_data", 17.0)], 1),
    "full_data_dense": lambda here: pct(_less(here, 1.0).loc[0], 1),
}
