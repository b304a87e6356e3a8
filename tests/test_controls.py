"""The three controls (reinit, shuffle, random) against a real ticket, via the library and the CLI."""

from __future__ import annotations

import json
import math

import pytest
import torch

from lth import checkpoint, masks, models
from lth.cli import main
from lth.errors import LthError
from lth.experiment import Experiment
from lth.specs import ModelSpec

LAYERS = ("hidden.0.weight", "hidden.1.weight", "output.weight")
HIDDEN = LAYERS[:2]


def cli(*args) -> None:
    assert main([str(a) for a in args]) == 0, args


@pytest.fixture(scope="module")
def ticket(tmp_path_factory):
    """θ₀ of LeNet-300-100 (seed 0) and its mask after two rounds of layerwise magnitude pruning, made with the CLI."""
    d = tmp_path_factory.mktemp("ticket")
    init = d / "init.safetensors"
    cli(
        "init",
        "--model",
        "{name: mlp, hidden: [300, 100], init: glorot_normal}",
        "--dataset",
        "mnist",
        "--seed",
        0,
        "--out",
        init,
    )
    start = init
    for r in (1, 2):
        mask = d / f"mask{r}.safetensors"
        cli("prune", "--trained", start, "--prune", "{strategy: layerwise, rate: 0.2, output_rate: 0.1}", "--out", mask)
        start = d / f"start{r}.safetensors"
        cli("rewind", "--mask", mask, "--weights", init, "--out", start)
    return {"dir": d, "init": init, "mask": mask, "start": start}


def control(
    ticket, kind: str, seed: int, name: str | None = None, weights: str = "init", *flags
) -> checkpoint.Checkpoint:
    out = ticket["dir"] / f"{name or kind}-{seed}.safetensors"
    cli(
        "control",
        "--kind",
        kind,
        "--mask",
        ticket["mask"],
        "--weights",
        ticket[weights],
        "--seed",
        seed,
        *flags,
        "--out",
        out,
    )
    return checkpoint.load(out)


def sorted_values(weights: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return weights[mask].sort().values


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


def test_random_keeps_counts_and_draws_new_positions_over_the_rewind_weights(ticket):
    ticket_mask = checkpoint.load(ticket["mask"]).masks
    theta0 = checkpoint.load(ticket["init"]).weights
    out = control(ticket, "random", seed=11)
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
    side = json.loads(checkpoint.sidecar(ticket["dir"] / "random-11.safetensors").read_text())
    assert side["seeds"]["random"] == 11 and side["seeds"]["init"] == 0
    assert side["counts"] == masks.counts(ticket_mask)


def check_shuffled(out, ticket_mask, rewind, name):
    """``out``'s layer ``name`` holds the ticket's survivors, values and all, at new positions."""
    m = ticket_mask[name]
    assert int(out.masks[name].sum()) == int(m.sum()), name
    # The multiset of start values is the ticket's, exactly (the ticket's start is mask ⊙ rewind).
    assert torch.equal(sorted_values(out.weights[name], out.masks[name]), sorted_values(rewind[name], m)), name
    assert (out.weights[name][~out.masks[name]] == 0).all(), name
    # New positions: the overlap with the ticket's mask is near density (a uniform draw), not 1.
    density = m.float().mean().item()
    overlap = (out.masks[name] & m).float().mean().item() / density
    assert overlap == pytest.approx(density, abs=0.05), name
    # The values travelled with their connections: almost no survivor holds the rewind value of
    # the position it now sits at (which is what the random control would give).
    same = (out.weights[name][out.masks[name]] == rewind[name][out.masks[name]]).float().mean().item()
    assert same < 0.01, name


def test_shuffle_moves_each_connection_with_its_own_start_value(ticket):
    ticket_mask = checkpoint.load(ticket["mask"]).masks
    theta0 = checkpoint.load(ticket["init"]).weights
    out = control(ticket, "shuffle", seed=11)
    for name in HIDDEN:
        check_shuffled(out, ticket_mask, theta0, name)
    # The ticket kept θ₀'s largest magnitudes (pruned on θ₀ itself), and so does the shuffled
    # network, now at positions where θ₀ is typical (a third of them below the pruning threshold,
    # which the random control would start from).
    w, kept = theta0["hidden.0.weight"], out.masks["hidden.0.weight"]
    threshold = w[~ticket_mask["hidden.0.weight"]].abs().max()
    assert out.weights["hidden.0.weight"][kept].abs().min() >= threshold
    assert (w[kept].abs() < threshold).float().mean() > 0.3
    # The output layer keeps the ticket's mask and values (LTH control 2 shuffles hidden layers).
    assert torch.equal(out.masks["output.weight"], ticket_mask["output.weight"])
    assert torch.equal(out.weights["output.weight"], theta0["output.weight"] * ticket_mask["output.weight"])
    for name in ("hidden.0.bias", "hidden.1.bias", "output.bias"):
        assert torch.equal(out.weights[name], theta0[name]), name
    side = json.loads(checkpoint.sidecar(ticket["dir"] / "shuffle-11.safetensors").read_text())
    assert side["seeds"]["shuffle"] == 11 and side["seeds"]["init"] == 0
    assert side["counts"] == masks.counts(ticket_mask)
    assert side["shuffled_layers"] == list(HIDDEN)


def test_shuffle_output_moves_the_output_layer_too(ticket):
    ticket_mask = checkpoint.load(ticket["mask"]).masks
    theta0 = checkpoint.load(ticket["init"]).weights
    default = control(ticket, "shuffle", 11, "shuffle-hidden")
    out = control(ticket, "shuffle", 11, "shuffle-output", "init", "--shuffle-output")
    for name in LAYERS:
        check_shuffled(out, ticket_mask, theta0, name)
    # Layers are drawn in order, so the hidden layers are those of the default shuffle.
    for name in HIDDEN:
        assert torch.equal(out.weights[name], default.weights[name]), name
    side = json.loads(checkpoint.sidecar(ticket["dir"] / "shuffle-output-11.safetensors").read_text())
    assert side["shuffled_layers"] == list(LAYERS)


def test_shuffle_under_late_rewinding_moves_the_values_of_theta_k(ticket):
    """With --weights θ_k the shuffled values are θ_k's (another seed's θ₀ stands in for θ_k)."""
    theta_k = ticket["dir"] / "theta_k.safetensors"
    cli(
        "init",
        "--model",
        "{name: mlp, hidden: [300, 100], init: glorot_normal}",
        "--dataset",
        "mnist",
        "--seed",
        7,
        "--out",
        theta_k,
    )
    ticket["theta_k"] = theta_k
    ticket_mask = checkpoint.load(ticket["mask"]).masks
    rewind = checkpoint.load(theta_k).weights
    out = control(ticket, "shuffle", 11, "shuffle-late", "theta_k")
    for name in HIDDEN:
        check_shuffled(out, ticket_mask, rewind, name)
    assert torch.equal(out.weights["output.weight"], rewind["output.weight"] * ticket_mask["output.weight"])


def test_shuffle_output_flag_belongs_to_the_shuffle_control(ticket, capsys):
    args = [
        "control",
        "--kind",
        "random",
        "--mask",
        ticket["mask"],
        "--weights",
        ticket["init"],
        "--seed",
        1,
        "--shuffle-output",
        "--out",
        ticket["dir"] / "never.safetensors",
    ]
    assert main([str(a) for a in args]) == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .splitlines()[-1]
        .endswith("--shuffle-output applies to --kind shuffle only, not to --kind random")
    )
    assert not (ticket["dir"] / "never.safetensors").exists()


@pytest.mark.parametrize("kind", ["shuffle", "random"])
def test_control_masks_are_seeded(ticket, kind):
    a = control(ticket, kind, seed=5, name=f"{kind}-a")
    b = control(ticket, kind, seed=5, name=f"{kind}-b")
    c = control(ticket, kind, seed=6, name=f"{kind}-c")
    assert all(torch.equal(a.masks[n], b.masks[n]) for n in LAYERS)
    assert all(torch.equal(a.weights[n], b.weights[n]) for n in a.weights)
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


def test_library_random_mask():
    g = torch.Generator().manual_seed(0)
    mask = {"a": torch.rand(50, 40, generator=g) < 0.3, "b": torch.rand(10, generator=g) < 0.5}
    out = masks.random_mask(mask, torch.Generator().manual_seed(1))
    assert masks.counts(out) == masks.counts(mask)
    assert {k: v.shape for k, v in out.items()} == {k: v.shape for k, v in mask.items()}
    assert not torch.equal(out["a"], mask["a"])
    assert all(v.dtype == torch.bool for v in out.values())


def test_library_shuffle_moves_conv_connections_across_the_whole_tensor():
    """A convolution is shuffled over its whole weight tensor (out × in × kh × kw), not within
    each filter: the per-filter counts change, the layer's count and values do not."""
    model = models.build(ModelSpec(name="conv2", hidden=(16,)), (3, 32, 32), 10)
    models.initialise(model, ModelSpec(name="conv2", hidden=(16,)), seed=0)
    weights = model.state_dict()
    g = torch.Generator().manual_seed(0)
    mask = {name: torch.rand(weights[name].shape, generator=g) < 0.2 for name in model.prunable_layers()}
    layers = masks.shuffle_layers(model)
    assert layers == ["convs.0.weight", "convs.1.weight", "hidden.0.weight"]
    new_mask, new_weights = masks.shuffle(weights, mask, layers, torch.Generator().manual_seed(3))
    for name in layers:
        assert torch.equal(sorted_values(new_weights[name], new_mask[name]), sorted_values(weights[name], mask[name]))
        assert not torch.equal(new_mask[name], mask[name])
    conv = "convs.1.weight"
    per_filter = lambda m: m.flatten(1).sum(1)  # noqa: E731
    assert not torch.equal(per_filter(new_mask[conv]), per_filter(mask[conv]))
    # The output layer, biases and anything unmasked are the very same tensors.
    assert torch.equal(new_mask["output.weight"], mask["output.weight"])
    for name in weights:
        if name not in layers:
            assert new_weights[name] is weights[name], name
    again = masks.shuffle(weights, mask, layers, torch.Generator().manual_seed(3))
    assert all(torch.equal(again[0][n], new_mask[n]) and torch.equal(again[1][n], new_weights[n]) for n in layers)
    with pytest.raises(LthError, match="shuffle: layer 'nope' is not in the mask"):
        masks.shuffle(weights, mask, ["nope"], g)


def test_shuffle_output_setting_is_validated():
    base = {"controls": ["shuffle"]}
    assert Experiment.from_config("x", base).shuffle_output is False
    assert Experiment.from_config("x", {**base, "shuffle_output": True}).shuffle_output is True
    with pytest.raises(LthError, match=r"^experiments\.x\.shuffle_output: expected true or false, got 'yes'"):
        Experiment.from_config("x", {**base, "shuffle_output": "yes"})
    with pytest.raises(LthError, match=r"^experiments\.x\.shuffle_output: has no effect without the shuffle control"):
        Experiment.from_config("x", {"controls": ["reinit"], "shuffle_output": True})
