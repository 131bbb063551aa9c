"""Lesion studies (Veit, Wilber, Belongie 2016): delete K blocks of a random stack, measure what changes.

Deleting a set D of blocks of a residual stack replaces block i in D by the identity
(h_i = h_{i-1}); in the path expansion this removes exactly the paths through D. For i.i.d.
linear modules of variance s^2/d the path terms are orthogonal in expectation, so
(proofs/normalization.md, "Lesions")

    E ||x_n - x_n^(-D)||^2 / E ||x_n||^2 = 1 - prod_{i in D} (1 + lambda_i^2 s^2)^(-1)
                                          = 1 - (1 + lambda^2 s^2)^(-K)   (uniform lambda, |D| = K).

A *plain* stack h_i = g_i(h_{i-1}) has one path; deleting block i (again: the identity in its
place) leaves a product that shares no factor-free term with the original: for linear modules
the cross term vanishes and the fraction is 1 + s^(-2K) (2 for s = 1), whatever K >= 1.
Plain branches carry the He gain sqrt(2) on their outer matrix for ReLU (1 otherwise) so that
the signal neither vanishes nor explodes with depth.

The measured fraction is the ratio of means mean(||delta||^2) / mean(||x_n||^2); its standard
error is the delta-method one, std(A - R B) / (sqrt(S) mean(B)). The deleted blocks are drawn
uniformly per sample, nested across K (the K-set contains every smaller one).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from residual_expansion.errors import UsageError
from residual_expansion.models.weights import Init
from residual_expansion.scaling.montecarlo import Model
from residual_expansion.scaling.normalized import (
    Norm, activation_fn, branch, draw_input, draw_matrices, normalize, require_iid,
)
from residual_expansion.scaling.schedules import Schedule

LAYER_BUDGET = 32 * 2**20


def plain_gain(model: Model) -> float:
    """The He gain of a plain stack's outer matrix: sqrt(2) for res-1/res-3 with ReLU, 1 otherwise.

    >>> round(plain_gain(Model("res3", "relu")) ** 2, 12), plain_gain(Model("linear"))
    (2.0, 1.0)
    """
    return math.sqrt(2.0) if model.kind != "linear" and model.activation == "relu" else 1.0


def predicted_fraction(model: Model, norm: Norm, plain: bool, lam: float, deleted: int) -> float | None:
    """The exact E||x_n - x_n^(-D)||^2 / E||x_n||^2 for i.i.d. linear modules without normalization, else None.

    Residual: 1 - (1 + lambda^2 s^2)^(-K); plain: 1 + s^(-2K) for K >= 1 (0 for K = 0).

    >>> round(predicted_fraction(Model("linear"), Norm(None), False, 1.0, 2), 12)
    0.75
    >>> predicted_fraction(Model("linear"), Norm(None), True, 1.0, 3)
    2.0
    """
    linear = model.kind == "linear" or (model.kind == "res1" and model.activation == "identity")
    if not linear or norm.placement is not None:
        return None
    if deleted == 0:
        return 0.0
    s2 = model.s**2
    if plain:
        return 1.0 + s2 ** (-deleted)
    return -math.expm1(-deleted * math.log1p(lam * lam * s2))


@dataclass(frozen=True)
class LesionResult:
    """Deleting K blocks: the measured change-energy fraction, its standard error, the prediction (or None).

    ``full_energy``: mean ||x_n||^2 / ||x_0||^2 of the intact network (the same for every K).
    When a sample overflowed float64 the measurement is None and ``explodes`` is True.
    """

    deleted: int
    fraction: float | None
    stderr: float | None
    predicted: float | None
    full_energy: float | None
    explodes: bool = False

    @property
    def z(self) -> float | None:
        if self.predicted is None or self.fraction is None or not self.stderr or not math.isfinite(self.stderr):
            return None
        return (self.fraction - self.predicted) / self.stderr


@dataclass(frozen=True)
class Lesion:
    """A lesion study: settings and one result per K."""

    model: Model
    init: Init
    norm: Norm
    plain: bool
    schedule: Schedule
    depth: int
    samples: int
    seed: int
    results: tuple[LesionResult, ...]


def ratio_of_means(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """R = mean(a) / mean(b) and its delta-method standard error std(a - R b) / (sqrt(n) mean(b)).

    >>> ratio_of_means(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0]))
    (0.5, 0.0)
    """
    mb = float(np.mean(b))
    r = float(np.mean(a)) / mb
    se = float(np.std(a - r * b, ddof=1) / (math.sqrt(len(a)) * mb))
    return r, se


def run_lesion(
    model: Model,
    init: Init,
    norm: Norm,
    schedule: Schedule,
    depth: int,
    deletes: Sequence[int],
    samples: int,
    seed: int,
    plain: bool = False,
) -> Lesion:
    """Delete K blocks (uniformly at random per sample) for each K in ``deletes``; the same networks for every K.

    Draws come from ``numpy.random.default_rng([seed, depth, 13])``.

    >>> from residual_expansion.scaling.schedules import power
    >>> les = run_lesion(Model("linear", dim=8, input_dim=8), Init("iid-gaussian"), Norm(None), power(0.5), 16, [0, 4], 200, 0)
    >>> [r.deleted for r in les.results], les.results[0].fraction
    ([0, 4], 0.0)

    Raises
    ------
    UsageError
        When a K exceeds the depth or is negative, for a normalized plain stack, fewer than 2 samples,
        or a non-i.i.d. law.
    """
    require_iid(init, "lesion")
    if samples < 2:
        raise UsageError(f"samples {samples} is too small; at least 2 samples are needed for a standard error")
    if not deletes:
        raise UsageError("deletes is empty; give at least one number of blocks to delete")
    bad = [k for k in deletes if k < 0 or k > depth]
    if bad:
        raise UsageError(f"deletes {bad[0]} is outside 0..depth ({depth})")
    if plain and norm.placement is not None:
        raise UsageError("plain stacks are run without normalization (norm must be none)")
    act = activation_fn(model.activation)
    lam = schedule.scales(depth)
    ks = np.array(deletes)
    m = len(ks) + 1
    d = model.dim
    gain = plain_gain(model)
    rng = np.random.default_rng([seed, depth, 13])
    per = max(1, min(samples, LAYER_BUDGET // (8 * d * d * model.matrices * 2)))
    change, full = [], []
    with np.errstate(all="ignore"):
        for start in range(0, samples, per):
            c = min(per, samples - start)
            h0 = draw_input(rng, model, init, c)
            ranks = np.argsort(np.argsort(rng.random((c, depth)), axis=1), axis=1)
            keep = np.ones((c, m, depth), dtype=bool)
            keep[:, 1:, :] = ranks[:, None, :] >= ks[None, :, None]
            h = np.repeat(h0[:, None, :], m, axis=1)
            for k in range(depth):
                mats = draw_matrices(rng, model, init, c)
                if plain:
                    new = gain * branch(model.kind, act, mats, h)
                elif norm.placement == "pre":
                    new = h + lam[k] * branch(model.kind, act, mats, normalize(h, norm.kind))
                elif norm.placement == "post":
                    new = normalize(h + lam[k] * branch(model.kind, act, mats, h), norm.kind)
                else:
                    new = h + lam[k] * branch(model.kind, act, mats, h)
                h = np.where(keep[:, :, k, None], new, h)
            e0 = np.sum(h0 * h0, axis=-1)[:, None]
            full.append(np.sum(h[:, 0] ** 2, axis=-1) / e0[:, 0])
            change.append(np.sum((h[:, 1:] - h[:, :1]) ** 2, axis=-1) / e0)
    full_all = np.concatenate(full)
    change_all = np.concatenate(change)
    exploded = not (np.all(np.isfinite(full_all)) and np.all(np.isfinite(change_all)))
    results = []
    for j, K in enumerate(ks):
        if exploded:
            results.append(LesionResult(int(K), None, None, predicted_fraction(model, norm, plain, float(lam[0]), int(K)),
                                        None, True))
            continue
        r, se = ratio_of_means(change_all[:, j], full_all)
        results.append(LesionResult(int(K), r, se, predicted_fraction(model, norm, plain, float(lam[0]), int(K)),
                                    float(np.mean(full_all))))
    return Lesion(model, init, norm, plain, schedule, depth, samples, seed, tuple(results))
