"""Figures read well: numbers in heatmap cells contrast with their cell, shares of units keep a
y-axis from 0 (issue 17, point 7)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from lth import figures


@pytest.mark.parametrize("value, colour", [(0.0, "white"), (0.3, "white"), (0.75, "black"), (1.0, "black")])
def test_text_colour_follows_the_cells_luminance(value, colour):
    """viridis runs from dark purple (white numbers) through green to yellow (dark numbers)."""
    assert figures.text_colour(plt.get_cmap("viridis")(value)) == colour


def test_text_colour_on_grey_and_primaries():
    assert figures.text_colour((1.0, 1.0, 1.0, 1.0)) == "black"
    assert figures.text_colour((0.0, 0.0, 0.0, 1.0)) == "white"
    assert figures.text_colour((0.0, 0.0, 1.0, 1.0)) == "white"  # pure blue is dark
    assert figures.text_colour((1.0, 1.0, 0.0, 1.0)) == "black"  # pure yellow is light


def saved_figure(monkeypatch, draw):
    """The figure ``draw()`` would save, kept open instead of written."""
    kept = []
    monkeypatch.setattr(figures, "_save", lambda fig, outdir, stem: kept.append(fig))
    draw()
    (fig,) = kept
    return fig


def test_structure_numbers_contrast_with_their_cells(monkeypatch, tmp_path):
    """A grid with high (yellow), middle (green) and low (purple) values: each printed value is
    dark on a light cell and white on a dark one."""
    rows = []
    for comparison in ("consecutive", "final"):
        for layer, value in (("hidden.0.weight", 0.95), ("hidden.1.weight", 0.5), ("output.weight", -0.8)):
            rows.append(
                dict(
                    trial=0,
                    layer=layer,
                    round_a=1,
                    round_b=2,
                    comparison=comparison,
                    spearman=value,
                    jaccard=(value + 1) / 2,
                    kept_fraction=1.0,
                )
            )
    fig = saved_figure(monkeypatch, lambda: figures.render_structure(pd.DataFrame(rows), tmp_path, "t"))
    checked = 0
    for ax in fig.axes:
        if not ax.images:
            continue  # a colour bar
        image = ax.images[0]
        for text in ax.texts:
            cell = image.cmap(image.norm(float(text.get_text())))
            assert text.get_color() == figures.text_colour(cell)
            checked += 1
    colours = {text.get_text(): text.get_color() for text in fig.axes[0].texts}
    assert colours == {"0.95": "black", "0.50": "black", "-0.80": "white"}
    assert checked == 9
    plt.close(fig)


def anatomy_stats(dead: float) -> pd.DataFrame:
    """anatomy.csv of one trial, rounds 0-2, two layers, ``dead`` units cut off at round 2."""
    rows = []
    for round_, kept in ((0, 1.0), (1, 0.8), (2, 0.64)):
        for layer, (n_in, n_out) in (("hidden.0.weight", (784, 300)), ("output.weight", (300, 10))):
            rows.append(
                dict(
                    trial=0,
                    round=round_,
                    layer=layer,
                    weights=n_in * n_out,
                    surviving=int(n_in * n_out * kept),
                    in_units=n_in,
                    out_units=n_out,
                    in_units_no_outgoing=dead * n_in * (round_ == 2),
                    dead_units=dead * n_out * (round_ == 2),
                )
            )
    return pd.DataFrame(rows)


def test_anatomy_dead_axis_starts_at_zero_when_nothing_is_cut():
    fig = figures._anatomy_dead(anatomy_stats(0.0), "t")
    assert fig.axes[0].get_ylim() == (0.0, 1.0)
    plt.close(fig)


def test_anatomy_dead_axis_starts_at_zero_and_shows_every_share():
    fig = figures._anatomy_dead(anatomy_stats(0.25), "t")
    bottom, top = fig.axes[0].get_ylim()
    assert bottom == 0.0 and top >= 25.0
    plt.close(fig)
