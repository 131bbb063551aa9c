"""Weight laws: how the weights of any module family are drawn, layer after layer.

A weight law gives every weight entry variance std^2 (for the Monte Carlo std = s / sqrt(d))
and fixes how an entry varies with the layer index k = 1..L:

* ``iid-uniform``: independent U(-std sqrt 3, std sqrt 3) entries;
* ``iid-gaussian``: independent N(0, std^2) entries;
* ``smooth``: each entry a Gaussian process in the layer position t = k / L with kernel
  exp(-(t - t')^2 / (2 b^2)), b = 0.1, sampled exactly on the grid from the
  eigendecomposition of the kernel matrix (eigenvalues below 1e-12 of the largest dropped);
* ``fbm:H``: each entry's sequence over layers is fractional Gaussian noise, the increments
  of fractional Brownian motion with Hurst index H, normalised to unit variance, sampled
  exactly by circulant embedding (Davies-Harte).

:func:`draw_iid` draws one layer's weights of an i.i.d. law, :func:`correlated_paths` the
sequences over layers of a correlated law; the Monte Carlo
(:mod:`residual_expansion.scaling.montecarlo`) shapes them into the per-sample weight
batches of :mod:`residual_expansion.models.families`.

Reference: docs/theory.md#weight-laws; proofs/scaling.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from residual_expansion.errors import UsageError

#: Eigenvalues of the smooth kernel below this fraction of the largest are dropped.
EIG_RTOL = 1e-12


@dataclass(frozen=True)
class Init:
    """A weight law: ``iid-uniform``, ``iid-gaussian``, ``smooth`` or ``fbm`` with Hurst index.

    >>> parse_init("fbm:0.7").label, parse_init("smooth").iid
    ('fbm:0.7', False)
    """

    kind: str
    hurst: float | None = None
    bandwidth: float = 0.1

    @property
    def iid(self) -> bool:
        return self.kind.startswith("iid")

    @property
    def label(self) -> str:
        return f"fbm:{self.hurst:g}" if self.kind == "fbm" else self.kind


def parse_init(text: str) -> Init:
    """``iid-uniform``, ``iid-gaussian``, ``smooth`` or ``fbm:H`` with 0 < H < 1.

    Raises
    ------
    UsageError
        For anything else.
    """
    spec = text.strip()
    allowed = "allowed: iid-uniform, iid-gaussian, smooth, fbm:H with 0 < H < 1"
    if spec in ("iid-uniform", "iid-gaussian", "smooth"):
        return Init(spec)
    head, _, rest = spec.partition(":")
    if head == "fbm":
        try:
            h = float(rest)
        except ValueError:
            raise UsageError(f"init {text!r}: Hurst index is not a number; {allowed}") from None
        if not 0.0 < h < 1.0:
            raise UsageError(f"init {text!r}: Hurst index {h:g} is outside (0, 1); {allowed}")
        return Init("fbm", hurst=h)
    raise UsageError(f"unknown init {text!r}; {allowed}")


def smooth_factor(n_layers: int, bandwidth: float = 0.1, rtol: float = EIG_RTOL) -> np.ndarray:
    """F (n_layers x r) with F F^T the squared-exponential kernel on t_k = k / n_layers.

    K_jk = exp(-(t_j - t_k)^2 / (2 b^2)); F = U sqrt(w) over the eigenpairs (w, U) of K
    with w > rtol * max(w) (rounding-level and negative eigenvalues are dropped).

    >>> F = smooth_factor(50)
    >>> t = np.arange(1, 51) / 50
    >>> bool(np.allclose(F @ F.T, np.exp(-(t[:, None] - t) ** 2 / 0.02), atol=1e-9))
    True
    """
    t = np.arange(1, n_layers + 1) / n_layers
    kernel = np.exp(-((t[:, None] - t[None, :]) ** 2) / (2.0 * bandwidth**2))
    w, u = np.linalg.eigh(kernel)
    keep = w > rtol * w.max()
    return u[:, keep] * np.sqrt(w[keep])


def fgn_autocovariance(n: int, hurst: float) -> np.ndarray:
    """gamma(k) = (|k+1|^2H - 2|k|^2H + |k-1|^2H) / 2 for k = 0..n-1 (unit-variance fGn).

    >>> fgn_autocovariance(3, 0.5).tolist()
    [1.0, 0.0, 0.0]
    """
    k = np.arange(n, dtype=float)
    h2 = 2.0 * hurst
    return 0.5 * (np.abs(k + 1) ** h2 - 2.0 * np.abs(k) ** h2 + np.abs(k - 1) ** h2)


def fgn_paths(n: int, count: int, hurst: float, rng: np.random.Generator) -> np.ndarray:
    """``count`` independent unit-variance fGn sequences of length n, shape (n, count).

    Davies-Harte: embed the Toeplitz covariance in a circulant of size 2n, whose
    eigenvalues (FFT of its first row) are non-negative for fGn; then the real and
    imaginary parts of FFT(sqrt(eig / 2n) (Z1 + i Z2)) are two independent exact samples.
    """
    gam = fgn_autocovariance(n + 1, hurst)
    row = np.concatenate([gam[:n + 1], gam[n - 1:0:-1]])
    eig = np.fft.fft(row).real
    eig = np.sqrt(np.maximum(eig, 0.0) / len(row))
    half = (count + 1) // 2
    z = rng.standard_normal((half, len(row))) + 1j * rng.standard_normal((half, len(row)))
    y = np.fft.fft(z * eig, axis=1)[:, :n]
    return np.concatenate([y.real, y.imag], axis=0)[:count].T.copy()


def draw_iid(rng: np.random.Generator, kind: str, shape: tuple[int, ...], std: float) -> np.ndarray:
    if kind == "iid-uniform":
        a = std * math.sqrt(3.0)
        return rng.uniform(-a, a, shape)
    return std * rng.standard_normal(shape)


def correlated_paths(
    init: Init, n_layers: int, count: int, rng: np.random.Generator, std: float, factor: np.ndarray | None = None
) -> np.ndarray:
    """(n_layers, count) sequences over layers of variance std^2 for a correlated law.

    ``factor`` is the smooth kernel's factor (:func:`smooth_factor`), computed once per depth.
    """
    if init.kind == "smooth":
        f = smooth_factor(n_layers, init.bandwidth) if factor is None else factor
        return (std * f) @ rng.standard_normal((f.shape[1], count))
    assert init.hurst is not None
    return std * fgn_paths(n_layers, count, init.hurst, rng)


__all__ = [
    "EIG_RTOL", "Init", "parse_init", "smooth_factor", "fgn_autocovariance", "fgn_paths", "draw_iid",
    "correlated_paths",
]
