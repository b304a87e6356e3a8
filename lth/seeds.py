"""Per-purpose seeds derived from one experiment seed.

Every random choice (initialisation, data order, control masks, reinitialisation) gets its own
seed derived from the experiment seed, the trial and the purpose, so that changing one (say, a
control's seed) never shifts another, and every output can record exactly which seed it used.
A hash is used rather than arithmetic such as `seed + trial` so that no two purposes collide.
"""

import hashlib


def derive_seed(*parts: object) -> int:
    """Return a stable 63-bit seed for the given parts, e.g. ``derive_seed(0, "trial", 3, "init")``."""
    text = "/".join(str(p) for p in parts)
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") & ((1 << 63) - 1)
