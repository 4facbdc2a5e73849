"""Pure statistics shared by the queries: no SQL, no imports from the rest of the package."""
from __future__ import annotations

import math


def ratio(num, den):
    """num / den rounded to 4 places; None when there is nothing to divide by.
    One rounding everywhere, so a rate on any view equals the overview's."""
    return None if not den else round(num / den, 4)


def poisson_tail(k: int, mu: float) -> float:
    """P(X >= k) for X ~ Poisson(mu): the one-sided p-value of seeing k or more.

    Small tails (k above mu, the case that matters) come from the series of the
    regularized lower incomplete gamma P(k, mu), which has no cancellation;
    large tails (k at or below mu) from 1 - sum of the first k pmf terms.
    """
    if k <= 0:
        return 1.0
    if mu <= 0:
        return 0.0
    if mu < k:
        # P(k, mu) = mu^k e^-mu / k! * sum_n mu^n / ((k+1)...(k+n))
        term, total, n = 1.0, 1.0, 0
        while term > total * 1e-17:
            n += 1
            term *= mu / (k + n)
            total += term
        return min(1.0, math.exp(k * math.log(mu) - mu - math.lgamma(k + 1)) * total)
    head = math.fsum(math.exp(i * math.log(mu) - mu - math.lgamma(i + 1)) for i in range(k))
    return max(0.0, 1.0 - head)


def log_odds_z(y_now: int, n_now: int, y_base: int, n_base: int, prior: float) -> float:
    """How much more often a word occurs now than in the baseline, as a z-score: the log-odds
    ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008), counted per
    document (y of n appeals carry the word). The prior puts `prior` pseudo-documents at the
    pooled rate on each side, so a word seen a few times cannot score high by chance alone,
    and a word as common as usual scores near 0 however common it is."""
    pooled = (y_now + y_base) / (n_now + n_base) if n_now + n_base else 0.0
    a = prior * pooled
    if a <= 0 or y_now + a >= n_now + prior or y_base + a >= n_base + prior:
        return 0.0
    now_odds = math.log((y_now + a) / (n_now + prior - y_now - a))
    base_odds = math.log((y_base + a) / (n_base + prior - y_base - a))
    return (now_odds - base_odds) / math.sqrt(1.0 / (y_now + a) + 1.0 / (y_base + a))
