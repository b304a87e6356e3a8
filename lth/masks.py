"""Binary masks, magnitude pruning and the masks of the shuffle and random controls.

A mask is a dict from a prunable weight's name to a bool tensor of the same shape (True = kept).

Rounding rule (exact and the same everywhere): a round at rate p removes
``n_removed(n, p) = floor(p·n + 1/2)`` of the n weights that survive in a layer (layerwise) or in
all prunable layers together (global), i.e. p·n rounded to the nearest integer, halves up. After
r rounds a layer of N weights therefore keeps exactly ``survivors(N, p, r)`` weights. Among equal
magnitudes the weight with the lower flat index is kept, so masks are deterministic (a seeded
random order breaks ties instead where many magnitudes are equal by construction, e.g. after
magnitude-clamped training).

With ``prune.target_remaining: t`` and R rounds the counts follow the schedule instead of
compounding the per-round rounding: after round r a layer of N weights keeps
``scheduled_count(N, t, r, R) = floor(N·t^(r/R) + 1/2)``, so the last round keeps N·t rounded to
the nearest integer (compounding can drift by many weights when p·n is near a half each round).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from lth.errors import LthError

Mask = dict[str, torch.Tensor]


def n_removed(surviving: int, rate: float) -> int:
    """Number of weights one round at ``rate`` removes from ``surviving`` (nearest, halves up)."""
    return int(math.floor(round(rate * surviving, 9) + 0.5))


def survivors(total: int, rate: float, rounds: int) -> int:
    """Weights left after ``rounds`` rounds of pruning ``rate`` of the survivors each round."""
    left = total
    for _ in range(rounds):
        left -= n_removed(left, rate)
    return left


def scheduled_count(total: int, target: float, round_: int, rounds: int) -> int:
    """Weights kept after ``round_`` of ``rounds`` rounds that end at ``target`` of ``total``."""
    return int(math.floor(round(total * target ** (round_ / rounds), 9) + 0.5))


def full_mask(model: nn.Module) -> Mask:
    """All-ones mask over the model's prunable weights."""
    params = dict(model.named_parameters())
    return {name: torch.ones_like(params[name], dtype=torch.bool, device="cpu") for name in model.prunable_layers()}


def counts(mask: Mask) -> dict[str, int]:
    return {name: int(m.sum()) for name, m in mask.items()}


def fraction_remaining(mask: Mask) -> float:
    return sum(counts(mask).values()) / sum(m.numel() for m in mask.values())


def _keep_largest(scores: torch.Tensor, keep: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Bool tensor marking the ``keep`` largest scores.

    Ties: the lower flat index wins, or, with a ``generator``, a random order drawn from it (so
    that equal magnitudes are not pruned by position, which would remove whole units).
    """
    flat = scores.flatten()
    if generator is None:
        order = torch.argsort(flat, descending=True, stable=True)
    else:
        perm = torch.randperm(flat.numel(), generator=generator)
        order = perm[torch.argsort(flat[perm], descending=True, stable=True)]
    kept = torch.zeros_like(flat, dtype=torch.bool)
    kept[order[:keep]] = True
    return kept.view_as(scores)


def _scores(weights: dict[str, torch.Tensor], mask: Mask, name: str, inverse: bool = False) -> torch.Tensor:
    """|w| (or -|w| for inverse pruning, which keeps the smallest) for surviving weights, -inf for
    pruned ones (so they are never revived)."""
    w = weights[name].detach().to("cpu", torch.float64).abs()
    return torch.where(mask[name], -w if inverse else w, torch.full_like(w, -math.inf))


def check_compatible(weights: dict[str, torch.Tensor], mask: Mask, where: str = "mask") -> None:
    """Raise LthError naming the first layer whose mask is missing or has the wrong shape."""
    for name, m in mask.items():
        if name not in weights:
            raise LthError(f"{where}: layer '{name}' is not in the weights (have: {', '.join(sorted(weights))})")
        if tuple(m.shape) != tuple(weights[name].shape):
            raise LthError(
                f"{where}: layer '{name}' has shape {tuple(m.shape)} but the weights have {tuple(weights[name].shape)}"
            )


def prune_layerwise(
    weights: dict[str, torch.Tensor],
    mask: Mask,
    rates: dict[str, float],
    *,
    inverse: bool = False,
    generator: torch.Generator | None = None,
) -> Mask:
    """Remove, in each layer, the ``rates[layer]`` fraction of its surviving weights of smallest |w|
    (of largest |w| when ``inverse``; ``generator``: random tie order, see `_keep_largest`)."""
    check_compatible(weights, mask)
    new = {}
    for name, m in mask.items():
        alive = int(m.sum())
        new[name] = _keep_largest(
            _scores(weights, mask, name, inverse), alive - n_removed(alive, rates[name]), generator
        )
    return new


def prune_global(
    weights: dict[str, torch.Tensor],
    mask: Mask,
    rate: float,
    layers: list[str] | None = None,
    *,
    keep: int | None = None,
    inverse: bool = False,
    generator: torch.Generator | None = None,
) -> Mask:
    """Remove the ``rate`` fraction of all surviving weights in ``layers`` (default: all) pooled
    (or keep exactly ``keep`` of them; ``inverse`` and ``generator`` as in `prune_layerwise`).

    Layers left out of ``layers`` keep their mask unchanged (e.g. a ResNet's output layer).
    """
    check_compatible(weights, mask)
    layers = list(mask) if layers is None else layers
    pooled = torch.cat([_scores(weights, mask, name, inverse).flatten() for name in layers])
    alive = int(torch.isfinite(pooled).sum())
    kept = _keep_largest(pooled, alive - n_removed(alive, rate) if keep is None else keep, generator)
    new, start = dict(mask), 0
    for name in layers:
        size = mask[name].numel()
        new[name] = kept[start : start + size].view_as(mask[name])
        start += size
    return new


def layer_rates(model: nn.Module, spec) -> dict[str, float]:
    """Per-layer rate for layerwise pruning from a `PruneSpec` and the model's layer kinds."""
    return {name: spec.rate_for(kind) for name, kind in model.prunable_layers().items()}


def pooled_layers(model: nn.Module, spec) -> list[str]:
    """The layers global pruning pools: every prunable layer whose kind is not excluded."""
    return [name for name, kind in model.prunable_layers().items() if kind not in spec.exclude]


def prune(
    model: nn.Module,
    weights: dict[str, torch.Tensor],
    mask: Mask,
    spec,
    round_: int | None = None,
    *,
    inverse: bool = False,
    generator: torch.Generator | None = None,
    oneshot_rounds: int | None = None,
) -> Mask:
    """One round of magnitude pruning as the `PruneSpec` says (layerwise or global).

    With ``spec.target_remaining`` the round makes the mask of round ``round_`` of the schedule
    (`scheduled_count`), so it must be given. ``inverse`` removes the largest magnitudes instead;
    ``generator`` breaks ties in a random order. With ``oneshot_rounds`` the (dense) trained
    network is pruned in one shot to the sparsity of that many iterative rounds (`oneshot_counts`).
    """
    if oneshot_rounds is not None:
        if spec.strategy == "global" and (inverse or generator is not None):
            # the pooled count is split across layers in plain magnitude order (oneshot_counts)
            raise LthError("--oneshot-rounds with global pruning takes neither --inverse nor --tie-seed")
        keep = oneshot_counts(model, spec, oneshot_rounds, weights)
        return prune_to_counts(weights, mask, keep, inverse=inverse, generator=generator)
    if spec.target_remaining is not None:
        if round_ is None or not 1 <= round_ <= spec.rounds:
            raise LthError(f"prune.target_remaining: the round to prune to must be in 1..{spec.rounds}, got {round_}")
        if spec.strategy == "global":
            layers = pooled_layers(model, spec)
            total = sum(mask[name].numel() for name in layers)
            keep = scheduled_count(total, spec.target_remaining, round_, spec.rounds)
            return prune_global(weights, mask, spec.rate, layers, keep=keep, inverse=inverse, generator=generator)
        keep = oneshot_counts(model, spec, round_)
        return prune_to_counts(weights, mask, keep, inverse=inverse, generator=generator)
    if spec.strategy == "global":
        return prune_global(weights, mask, spec.rate, pooled_layers(model, spec), inverse=inverse, generator=generator)
    return prune_layerwise(weights, mask, layer_rates(model, spec), inverse=inverse, generator=generator)


def shuffle_layers(model: nn.Module, output: bool = False) -> list[str]:
    """The layers the shuffle control moves: every hidden and convolutional layer, and the
    output layer only when ``output`` (LTH control 2 shuffles "within each hidden layer")."""
    return [name for name, kind in model.prunable_layers().items() if output or kind != "output"]


def shuffle(
    weights: dict[str, torch.Tensor], mask: Mask, layers: list[str], generator: torch.Generator
) -> tuple[Mask, dict[str, torch.Tensor]]:
    """LTH control 2: move each surviving connection of ``layers``, *with its own start value*,
    to a uniformly random position of the same layer.

    One uniformly random permutation of all positions of a layer's weight tensor (a convolution's
    whole kernel tensor, not per filter) is applied to the mask and to the weights together, so a
    connection that survives at position p reaches a uniformly random new position still carrying
    ``weights[p]`` (θ_k under late rewinding). Per layer the count of survivors and the multiset of
    their start values are the ticket's; only where they sit changes. This is what tells the
    control apart from `random_mask`, which keeps the values where they were and draws new
    positions for the mask, i.e. pairs new positions with other weights' initial values.
    Layers not in ``layers`` (by default the output layer, see `shuffle_layers`), biases and
    batch-norm tensors are returned unchanged. Layers are drawn in the mask's order, so a layer's
    permutation does not depend on which later layers are shuffled.
    Returns (mask, weights); ``masks.apply`` then zeroes the pruned positions.
    """
    check_compatible(weights, mask)
    unknown = sorted(set(layers) - set(mask))
    if unknown:
        raise LthError(f"shuffle: layer '{unknown[0]}' is not in the mask (have: {', '.join(sorted(mask))})")
    new_mask, new_weights = dict(mask), dict(weights)
    for name, m in mask.items():
        if name not in layers:
            continue
        perm = torch.randperm(m.numel(), generator=generator)
        new_mask[name] = m.flatten()[perm].view_as(m)
        w = weights[name]
        new_weights[name] = w.flatten()[perm.to(w.device)].view_as(w)
    return new_mask, new_weights


def random_mask(mask: Mask, generator: torch.Generator) -> Mask:
    """A fresh uniformly random mask with the same per-layer counts, drawn without looking at ``mask``'s positions."""
    out = {}
    for name, count in counts(mask).items():
        kept = torch.zeros(mask[name].numel(), dtype=torch.bool)
        kept[torch.randperm(kept.numel(), generator=generator)[:count]] = True
        out[name] = kept.view_as(mask[name])
    return out


def apply(weights: dict[str, torch.Tensor], mask: Mask) -> dict[str, torch.Tensor]:
    """Weights with pruned entries set to exactly zero (a new dict; unmasked tensors are shared)."""
    check_compatible(weights, mask)
    return {name: (w * mask[name].to(w.device, w.dtype) if name in mask else w) for name, w in weights.items()}


def prune_to_counts(
    weights: dict[str, torch.Tensor],
    mask: Mask,
    keep: dict[str, int],
    *,
    inverse: bool = False,
    generator: torch.Generator | None = None,
) -> Mask:
    """Keep, in each layer, the ``keep[layer]`` surviving weights of largest |w| (ties: lower index;
    ``inverse``: of smallest |w|; ``generator``: random tie order).

    One-shot pruning: with ``keep`` from `oneshot_counts` one call reaches the sparsity that r
    rounds of iterative pruning reach, so the two can be compared at exactly equal per-layer counts.
    Layers missing from ``keep`` keep their mask. Pruned weights are never revived, so asking for
    more than survive is an error rather than a silent smaller mask.
    """
    check_compatible(weights, mask)
    new = dict(mask)
    for name, k in keep.items():
        if name not in mask:
            raise LthError(f"prune_to_counts: layer '{name}' is not in the mask (have: {', '.join(sorted(mask))})")
        alive = int(mask[name].sum())
        if not 0 <= k <= alive:
            raise LthError(f"prune_to_counts: cannot keep {k} weights of layer '{name}', {alive} survive")
        new[name] = _keep_largest(_scores(weights, mask, name, inverse), int(k), generator)
    return new


def oneshot_counts(
    model: nn.Module, spec, rounds: int, weights: dict[str, torch.Tensor] | None = None
) -> dict[str, int]:
    """Per-layer weights to keep so that one-shot pruning matches ``rounds`` rounds of ``spec``.

    Rounding: the counts are those of the iterative schedule itself, ``survivors(N, p, rounds)``
    (p·n rounded to the nearest integer, halves up, removed round by round), *not*
    ``round(N·(1-p)^rounds)``. The two agree for LeNet-300-100 at 0.2/0.1 up to 6 rounds but not
    in general (77 weights at 0.2 for 8 rounds: 14 survive, 77·0.8^8 = 12.9), and equal counts are
    what makes one-shot and iterative comparable.

    Layerwise: layer of N weights and kind k keeps ``survivors(N, spec.rate_for(k), rounds)``.
    Global: ``survivors(total, spec.rate, rounds)`` weights are kept pooled over the layers
    `pooled_layers` names, i.e. the largest |w| of ``weights`` there (ties: lower index in layer
    order, as in `prune_global`); the returned per-layer counts are how many of those fall in each
    layer, so `prune_to_counts` with them keeps exactly that pooled set; excluded layers are left
    out (and keep their mask). ``weights`` is required for global.
    With ``spec.target_remaining`` the counts are the schedule's, `scheduled_count`, in place of
    `survivors` (layerwise, these are also the counts iterative pruning keeps at that round);
    excluded kinds keep all their weights.
    """
    full = full_mask(model)

    def count(total: int, kind: str) -> int:
        if spec.target_remaining is not None:
            if kind in spec.exclude:
                return total
            return scheduled_count(total, spec.target_remaining, rounds, spec.rounds)
        return survivors(total, spec.rate if kind == "pooled" else spec.rate_for(kind), rounds)

    if spec.strategy != "global":
        return {name: count(full[name].numel(), kind) for name, kind in model.prunable_layers().items()}
    if weights is None:
        raise LthError("oneshot_counts: global pruning needs the weights to split the pooled count across layers")
    check_compatible(weights, full)
    layers = pooled_layers(model, spec)
    pooled = torch.cat([_scores(weights, full, name).flatten() for name in layers])
    kept = _keep_largest(pooled, count(pooled.numel(), "pooled"))
    out, start = {}, 0
    for name in layers:
        m = full[name]
        out[name] = int(kept[start : start + m.numel()].sum())
        start += m.numel()
    return out
