"""The XOR study's bias initialisation and the sensitivity study that ranks training setups by
their distance to the paper's tables (`lth xor-sensitivity`), on tiny grids."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import torch

from lth.cli import main
from lth.errors import LthError
from lth.studies import XorStudy, xor
from lth.studies.xor_sensitivity import (
    PAPER_PRUNED_2_DB,
    PAPER_TABLE1,
    cell_study,
    distances,
    expand_grid,
    row_from_tables,
    sensitivity,
)

TINY = {"inits": 6, "iterations": 20, "widths": [4, 2], "prune_from": 4, "prune_to": [2], "per_round": 2}


def test_bias_inits_set_every_bias_and_leave_the_weights_alone():
    zero, _ = xor.init_nets(XorStudy.from_dict({"inits": 3}), 5, 3)
    const, _ = xor.init_nets(XorStudy.from_dict({"inits": 3, "bias_init": "constant", "bias_scale": 0.25}), 5, 3)
    normal, _ = xor.init_nets(XorStudy.from_dict({"inits": 3, "bias_init": "normal", "bias_scale": 2.0}), 5, 3)
    for nets in (const, normal):
        assert torch.equal(nets.w1, zero.w1) and torch.equal(nets.w2, zero.w2)
    assert not zero.b1.any() and not zero.b2.any()
    assert (const.b1 == 0.25).all() and (const.b2 == 0.25).all()
    values = torch.cat([normal.b1.flatten(), normal.b2])
    assert len(set(values.tolist())) == len(values) and values.abs().max() > 0.5  # drawn, at std 2
    again, _ = xor.init_nets(XorStudy.from_dict({"inits": 3, "bias_init": "normal", "bias_scale": 2.0}), 5, 3)
    assert torch.equal(again.b1, normal.b1)


def test_the_default_study_keeps_its_canonical_slice():
    # bias_scale is inert with zero biases, so a default study's slice only gains bias_init: zero
    assert XorStudy().to_dict()["bias_init"] == "zero" and "bias_scale" not in XorStudy().to_dict()
    assert XorStudy().init_text() == "glorot_normal"
    assert XorStudy(bias_init="constant", bias_scale=0.1).init_text() == "glorot_normal, biases constant 0.1"


def test_expand_grid_crosses_each_block_and_joins_them():
    cells = expand_grid([{"optimizer": "sgd", "lr": [0.1, 0.5]}, {"lr": [0.1, 0.2], "optimizer": ["sgd"]}])
    assert cells == [{"optimizer": "sgd", "lr": 0.1}, {"optimizer": "sgd", "lr": 0.5}, {"lr": 0.2, "optimizer": "sgd"}]
    assert expand_grid({"lr": [1, 2]}) == [{"lr": 1}, {"lr": 2}]
    with pytest.raises(LthError, match="grid block 1"):
        expand_grid([{"lr": [1]}, []])
    for bad in (None, "lr", []):
        with pytest.raises(LthError, match="grid: expected a mapping"):
            expand_grid(bad)


def test_cell_study_drops_what_has_no_effect_and_names_bad_keys():
    base = XorStudy.from_dict({"init": "normal", "init_std": 0.5})
    cell = cell_study(base, {"init": "glorot_normal", "bias_scale": 0.3}, "cell 0")
    assert (cell.init, cell.bias_init, cell.bias_scale) == ("glorot_normal", "zero", 0.1)  # both inert: dropped
    assert cell_study(base, {"lr": 0.5}, "cell 1").init_std == 0.5
    with pytest.raises(LthError, match="cell 2.lr: must be positive"):
        cell_study(base, {"lr": -1.0}, "cell 2")
    with pytest.raises(LthError, match="cell 3.learning_rate: unknown key"):
        cell_study(base, {"learning_rate": 0.1}, "cell 3")


def test_distances_compare_with_the_papers_numbers():
    row = {f"{k}_h{w}": PAPER_TABLE1[w][i] + 2.0 for w in PAPER_TABLE1 for i, k in enumerate(("db", "zl"))}
    assert distances(row) == {
        "table1_distance": 2.0,
        "table2_distance": pytest.approx(math.nan, nan_ok=True),
        "distance": 2.0,
    }
    row.update(
        {
            "db_product_oneshot_u2": PAPER_PRUNED_2_DB[0] - 4.0,
            "db_input_iterative_u2": PAPER_PRUNED_2_DB[1],
            "db_product_oneshot_u4": 0.0,
            "zl_product_oneshot_u2": 0.0,
        }
    )
    assert distances(row) == {"table1_distance": 2.0, "table2_distance": 2.0, "distance": 2.0}


def test_sensitivity_runs_distinct_settings_and_matches_the_study(tmp_path):
    base = XorStudy.from_dict({**TINY, "heuristics": ["product"]})
    cells = expand_grid({"bias_init": ["zero", "constant"], "bias_scale": [0.1, 0.5]})  # zero x2 collapse
    table = sensitivity(base, cells, pruning=True)
    assert len(table) == 3 and sorted(table["cell"]) == [0, 1, 2]
    assert list(table["distance"]) == sorted(table["distance"])
    assert {"db_product_oneshot_u2", "zl_product_iterative_u2", "table2_distance"} <= set(table.columns)
    zero = table[table["bias_init"] == "zero"].iloc[0]
    assert math.isnan(zero["bias_scale"])  # inert: left blank
    _, _, dense = xor.dense_run(base, 2)  # the same code and seeds as a study run
    assert zero["db_h2"] == round(100 * dense["db"].mean(), 1) and zero["zl_h2"] == round(100 * dense["zl"].mean(), 1)

    grid = tmp_path / "grid.yaml"
    grid.write_text("- {optimizer: sgd, momentum: 0.0, lr: [0.5]}\n")
    out = tmp_path / "s.csv"
    assert main(
        [
            "xor-sensitivity",
            "--study",
            str({"kind": "xor", **TINY}),
            "--grid",
            str(grid),
            "--out",
            str(out),
            "--threads",
            "1",
        ]
    ) in (0, None)
    frame = pd.read_csv(out)
    assert list(frame[["optimizer", "lr", "momentum"]].iloc[0]) == ["sgd", 0.5, 0.0]
    assert "table2_distance" in frame and frame["table2_distance"].isna().all()  # no --pruning


def test_the_papers_numbers_agree_with_the_docs_page():
    page = Path(__file__).resolve().parents[1] / "docs/results/xor"
    table1 = pd.read_csv(page / "paper_table1.csv").set_index("width")
    assert {w: (r["db_pct"], r["zl_pct"]) for w, r in table1.iterrows()} == PAPER_TABLE1
    assert tuple(pd.read_csv(page / "paper_table2.csv").iloc[0][["db_min_pct", "db_max_pct"]]) == PAPER_PRUNED_2_DB


def test_a_studys_tables_are_scored_as_a_sensitivity_row():
    page = Path(__file__).resolve().parents[1] / "docs/results/xor"
    row = row_from_tables(pd.read_csv(page / "table1.csv"), pd.read_csv(page / "table2.csv"))
    assert (row["db_h2"], row["zl_h2"], row["db_product_iterative_u2"], row["db_output_oneshot_u2"]) == (
        19.1,
        17.2,
        83.9,
        55.4,
    )
    # the default study: Table 1 as in stage 1 of the sensitivity study; pruned 2-unit DB 55.4-83.9%
    assert distances(row)["table2_distance"] == round((abs(55.4 - 82.4) + abs(83.9 - 91.5)) / 2, 2)
