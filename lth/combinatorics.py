"""How many subnetworks of a given size a network has: log10 C(n, k), exactly, via log-gamma.

C(6344, 545) has about 800 digits, so it is reported as a base-10 logarithm. ``math.lgamma``
keeps the result exact to double precision (no overflow, no float factorials), and for small n
it agrees with ``math.comb`` (a test checks it against brute force).
"""

from __future__ import annotations

import math
import operator

from lth.errors import LthError


def log10_comb(n: int, k: int) -> float:
    """log10 of the binomial coefficient C(n, k) for integers 0 <= k <= n."""
    try:
        n, k = operator.index(n), operator.index(k)  # ints and NumPy integers, never floats
    except TypeError:
        raise LthError(f"log10_comb: need integers, got n={n!r}, k={k!r}") from None
    if not 0 <= k <= n:
        raise LthError(f"log10_comb: need 0 <= k <= n, got n={n}, k={k}")
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) / math.log(10)
