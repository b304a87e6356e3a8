"""The three controls (reinit, shuffle, random) against a real ticket, via the library and the CLI."""

from __future__ import annotations

import json
import math

import pytest
import torch

from lth import checkpoint, masks, models
from lth.cli import main
from lth.specs import ModelSpec

LAYERS = ("hidden.0.weight", "hidden.1.weight", "output.weight")


def cli(*args) -> None:
    assert main([str(a) for a in args]) == 0, args


@pytest.fixture(scope="module")
def ticket(tmp_path_factory):
    """θ₀ of LeNet-300-100 (seed 0) and its mask after two rounds of layerwise magnitude pruning, made with the CLI."""
    d = tmp_path_factory.mktemp("ticket")
    init = d / "init.safetensors"
    cli("init", "--model", "{name: mlp, hidden: [300, 100], init: glorot_normal}", "--dataset", "mnist",
        "--seed", 0, "--out", init)
    start = init
    for r in (1, 2):
        mask = d / f"mask{r}.safetensors"
        cli("prune", "--trained", start, "--prune", "{strategy: layerwise, rate: 0.2, output_rate: 0.1}", "--out", mask)
        start = d / f"start{r}.safetensors"
        cli("rewind", "--mask", mask, "--weights", init, "--out", start)
    return {"dir": d, "init": init, "mask": mask, "start": start}


def control(ticket, kind: str, seed: int, name: str | None = None) -> checkpoint.Checkpoint:
    out = ticket["dir"] / f"{name or kind}-{seed}.safetensors"
    cli("control", "--kind", kind, "--mask", ticket["mask"], "--weights", ticket["init"], "--seed", seed, "--out", out)
    return checkpoint.load(out)


def test_ticket_counts_and_rewind(ticket):
    mask = checkpoint.load(ticket["mask"]).masks
    assert masks.counts(mask) == {"hidden.0.weight": 150528, "hidden.1.weight": 19200, "output.weight": 810}
    theta0 = checkpoint.load(ticket["init"]).weights
    start = checkpoint.load(ticket["start"])
    for name, w in theta0.items():
        expected = w * mask[name] if name in mask else w
        assert torch.equal(start.weights[name], expected), name
    # The ticket keeps the largest |θ₀| (it was pruned on θ₀ itself here).
    w = theta0["hidden.0.weight"].abs()
    assert w[~mask["hidden.0.weight"]].max() <= w[mask["hidden.0.weight"]].min()


@pytest.mark.parametrize("kind", ["shuffle", "random"])
def test_shuffle_and_random_keep_counts_but_move_positions(ticket, kind):
    ticket_mask = checkpoint.load(ticket["mask"]).masks
    theta0 = checkpoint.load(ticket["init"]).weights
    out = control(ticket, kind, seed=11)
    assert masks.counts(out.masks) == masks.counts(ticket_mask)
    for name in LAYERS:
        assert not torch.equal(out.masks[name], ticket_mask[name]), name
        # Positions are unrelated to the ticket's: the overlap is near density² (0.64 for 80 %),
        # far from the ticket's own 1.0.
        density = ticket_mask[name].float().mean().item()
        overlap = (out.masks[name] & ticket_mask[name]).float().mean().item() / density
        assert overlap == pytest.approx(density, abs=0.05), name
    # Weights are θ₀ at the control's surviving positions, exactly zero elsewhere; biases are θ₀'s.
    for name, w in theta0.items():
        expected = w * out.masks[name] if name in out.masks else w
        assert torch.equal(out.weights[name], expected), name
    side = json.loads(checkpoint.sidecar(ticket["dir"] / f"{kind}-11.safetensors").read_text())
    assert side["seeds"][kind] == 11 and side["seeds"]["init"] == 0
    assert side["counts"] == masks.counts(ticket_mask)


@pytest.mark.parametrize("kind", ["shuffle", "random"])
def test_control_masks_are_seeded(ticket, kind):
    a = control(ticket, kind, seed=5, name=f"{kind}-a")
    b = control(ticket, kind, seed=5, name=f"{kind}-b")
    c = control(ticket, kind, seed=6, name=f"{kind}-c")
    assert all(torch.equal(a.masks[n], b.masks[n]) for n in LAYERS)
    assert not torch.equal(a.masks["hidden.0.weight"], c.masks["hidden.0.weight"])


def test_reinit_keeps_mask_and_draws_fresh_glorot_weights(ticket):
    ticket_mask = checkpoint.load(ticket["mask"]).masks
    theta0 = checkpoint.load(ticket["init"]).weights
    out = control(ticket, "reinit", seed=1)
    for name in LAYERS:
        assert torch.equal(out.masks[name], ticket_mask[name]), name
        m = ticket_mask[name]
        assert (out.weights[name][~m] == 0).all(), name
        survivors = out.weights[name][m]
        assert not torch.equal(survivors, theta0[name][m])
        assert (survivors != theta0[name][m]).float().mean() > 0.99
        fan_out, fan_in = m.shape
        std = math.sqrt(2.0 / (fan_in + fan_out))  # Glorot normal
        tolerance = 0.1 if m.sum() < 2000 else 0.03
        assert survivors.std().item() == pytest.approx(std, rel=tolerance), name
        assert abs(survivors.mean().item()) < 4 * std / math.sqrt(m.sum().item()), name
    # The ticket's survivors are θ₀'s largest magnitudes, so their spread is much wider than Glorot's;
    # reinitialised survivors are not (they are independent of the mask).
    big = ticket_mask["hidden.0.weight"]
    assert theta0["hidden.0.weight"][big].std() > 1.1 * out.weights["hidden.0.weight"][big].std()
    side = json.loads(checkpoint.sidecar(ticket["dir"] / "reinit-1.safetensors").read_text())
    assert side["seeds"]["reinit"] == 1


@pytest.mark.parametrize(
    "init, std_of",
    [
        ("glorot_normal", lambda fan_in, fan_out: math.sqrt(2.0 / (fan_in + fan_out))),
        ("kaiming_normal", lambda fan_in, fan_out: math.sqrt(2.0 / fan_in)),
        ("normal", lambda fan_in, fan_out: 0.1),
    ],
)
def test_initialisers_follow_their_distribution(init, std_of):
    spec = ModelSpec(hidden=(300, 100), init=init)
    model = models.build(spec, (1, 28, 28), 10)
    models.initialise(model, spec, seed=3)
    w = model.hidden[0].weight.detach()
    assert w.std().item() == pytest.approx(std_of(784, 300), rel=0.02)
    assert (model.hidden[0].bias == 0).all() and (model.output.bias == 0).all()
    again = models.build(spec, (1, 28, 28), 10)
    models.initialise(again, spec, seed=3)
    assert torch.equal(again.hidden[0].weight, model.hidden[0].weight)  # seeded, independent of global RNG


def test_library_shuffle_and_random_mask():
    g = torch.Generator().manual_seed(0)
    mask = {"a": torch.rand(50, 40, generator=g) < 0.3, "b": torch.rand(10, generator=g) < 0.5}
    for fn in (masks.shuffle, masks.random_mask):
        out = fn(mask, torch.Generator().manual_seed(1))
        assert masks.counts(out) == masks.counts(mask)
        assert {k: v.shape for k, v in out.items()} == {k: v.shape for k, v in mask.items()}
        assert not torch.equal(out["a"], mask["a"])
        assert all(v.dtype == torch.bool for v in out.values())
