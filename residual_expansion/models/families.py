"""Residual modules in numpy: seeded families, forward passes and exact directional derivatives.

Every family is a one-hidden-layer map

    g(x) = B phi(C x + c) + b            (B, C matrices or the identity, c, b vectors or 0)

with independent weights per layer, so a single formula gives every derivative
(the m-th derivative of g as a symmetric m-linear map):

    g^(m)(x)[v_1, ..., v_m] = B ( phi^(m)(z) * prod_j (C v_j) ),     z = C x + c,  m >= 1,

products elementwise. The families (names shared with the rest of the project):

* ``linear``  g(x) = A x                     (phi = identity, B = A, C = I);
* ``affine``  g(x) = A x + b;
* ``mlp``     g(x) = W2 phi(W1 x + b1) + b2  (hidden width configurable);
* ``res1``    g(h) = V phi(h)                (Marion et al., res-1);
* ``res3``    g(h) = V phi(W h)              (Marion et al., res-3).

Weights: entries of every matrix mapping R^k to anything are N(0, 1/k) (``linear``,
``affine``, ``mlp``) or U(-sqrt(3/d), sqrt(3/d)) (``res1``, ``res3``, Marion et al.'s i.i.d.
initialisation, variance 1/d); biases N(0, 1/4); the input x ~ N(0, I_d). So every
pre-activation and every module output is O(1) per coordinate. All draws come from
``numpy.random.default_rng(seed)`` in a fixed order (x, then layer 1, 2, ...).

Reference: theory.md sections 1 and 5.3; P. Marion, A. Fermanian, G. Biau, J.-P. Vert,
"Scaling ResNets in the large-depth regime", JMLR 2025.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from residual_expansion.models.activations import ACTIVATIONS, IDENTITY, Activation, activation
from residual_expansion.errors import UsageError

FAMILIES: tuple[str, ...] = ("linear", "affine", "mlp", "res1", "res3")
POLYNOMIAL_FAMILIES: tuple[str, ...] = ("linear", "affine")
DEFAULT_ACTIVATION = "tanh"
BIAS_SCALE = 0.5


@dataclass(frozen=True, eq=False)
class Layer:
    """One module g(x) = B phi(C x + c) + b; ``None`` stands for the identity or zero.

    Attributes
    ----------
    outer:
        B, shape (d, h), or None (h = d, B = I).
    inner:
        C, shape (h, d), or None (C = I).
    inner_bias:
        c, shape (h,), or None.
    outer_bias:
        b, shape (d,), or None.
    """

    outer: np.ndarray | None
    inner: np.ndarray | None
    inner_bias: np.ndarray | None = None
    outer_bias: np.ndarray | None = None

    def pre_activation(self, x: np.ndarray) -> np.ndarray:
        """z = C x + c (x may carry extra trailing axes)."""
        z = x if self.inner is None else self.inner @ x
        if self.inner_bias is not None:
            z = z + (self.inner_bias if x.ndim == 1 else self.inner_bias[:, None])
        return z

    def project(self, v: np.ndarray) -> np.ndarray:
        """C v (no bias): the direction of z along v."""
        return v if self.inner is None else self.inner @ v

    def output(self, hidden: np.ndarray, bias: bool = True) -> np.ndarray:
        """B hidden (+ b when ``bias``)."""
        y = hidden if self.outer is None else self.outer @ hidden
        if bias and self.outer_bias is not None:
            y = y + (self.outer_bias if hidden.ndim == 1 else self.outer_bias[:, None])
        return y

    def absolute(self) -> "Layer":
        """The layer with every weight replaced by its absolute value (for rounding magnitudes)."""
        f = (lambda a: None if a is None else np.abs(a))
        return Layer(f(self.outer), f(self.inner), f(self.inner_bias), f(self.outer_bias))


@dataclass(frozen=True, eq=False)
class ResidualStack:
    """x_i = x_{i-1} + lambda_i g_i(x_{i-1}), i = 1..n, with its input x.

    Attributes
    ----------
    family, activation:
        How the modules were built (``activation`` is the identity for linear/affine).
    layers:
        g_1..g_n.
    x:
        The input x_0, shape (d,).
    seed, width:
        The seed of the draw and the hidden width h.
    """

    family: str
    activation: Activation
    layers: tuple[Layer, ...]
    x: np.ndarray
    seed: int
    width: int

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def dim(self) -> int:
        return int(self.x.shape[0])

    @property
    def terminates(self) -> bool:
        """True when x_n(lambda) is a polynomial in lambda of degree <= n.

        So for linear and affine modules, piecewise-linear activations (while no
        pre-activation changes sign), and any single layer (x_1 = x + lambda g_1(x)).
        """
        return self.family in POLYNOMIAL_FAMILIES or not self.activation.smooth or self.depth == 1

    def lambdas(self, lam: float | Sequence[float]) -> np.ndarray:
        """lambda_1..lambda_n from a uniform value or a per-layer sequence."""
        arr = np.broadcast_to(np.asarray(lam, dtype=float), (self.depth,))
        return arr

    def forward(self, lam: float | Sequence[float]) -> np.ndarray:
        """The forward pass x_n, directly: x_i = x_{i-1} + lambda_i g_i(x_{i-1}).

        >>> s = make_stack("linear", depth=2, dim=3, seed=1)
        >>> bool(np.allclose(s.forward(0.0), s.x))
        True
        """
        lams = self.lambdas(lam)
        x = self.x
        with np.errstate(over="ignore", invalid="ignore"):
            for lam_i, layer in zip(lams, self.layers):
                x = x + lam_i * module_value(layer, self.activation, x)
        return x

    def pre_activations(self, lam: float) -> np.ndarray:
        """The pre-activations z_i = C_i x_{i-1} + c_i of every layer along the forward pass, shape (n, h)."""
        lams = self.lambdas(lam)
        x = self.x
        out = []
        for lam_i, layer in zip(lams, self.layers):
            z = layer.pre_activation(x)
            out.append(z)
            x = x + lam_i * layer.output(self.activation.value(z))
        return np.array(out)


def module_value(layer: Layer, act: Activation, x: np.ndarray) -> np.ndarray:
    """g(x) = B phi(C x + c) + b."""
    return layer.output(act.value(layer.pre_activation(x)))


def module_derivative(layer: Layer, act: Activation, x: np.ndarray, vectors: Sequence[np.ndarray]) -> np.ndarray:
    """The directional derivative g^(m)(x)[v_1, ..., v_m] = B (phi^(m)(C x + c) * prod_j C v_j).

    With no vectors (m = 0) this is g(x). Exact: uses the activation's derivative formulas.

    >>> s = make_stack("affine", depth=1, dim=2, seed=0)
    >>> v = np.array([1.0, 0.0])
    >>> bool(np.allclose(module_derivative(s.layers[0], s.activation, s.x, [v]), s.layers[0].outer[:, 0]))
    True
    """
    m = len(vectors)
    if m == 0:
        return module_value(layer, act, x)
    z = layer.pre_activation(x)
    hidden = act.derivatives(z, m)[m]
    for v in vectors:
        hidden = hidden * layer.project(v)
    return layer.output(hidden, bias=False)


def _normal(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    return rng.standard_normal(shape) / np.sqrt(fan_in)


def _uniform(rng: np.random.Generator, shape: tuple[int, ...], d: int) -> np.ndarray:
    bound = np.sqrt(3.0 / d)
    return rng.uniform(-bound, bound, shape)


def make_stack(
    family: str,
    depth: int,
    dim: int,
    *,
    width: int | None = None,
    activation_name: str | None = None,
    seed: int = 0,
) -> ResidualStack:
    """A residual stack of ``depth`` independent modules of ``family``, weights drawn from ``seed``.

    Arguments
    ---------
    family:
        One of :data:`FAMILIES`.
    depth, dim:
        n >= 1 and d >= 1.
    width:
        Hidden width of ``mlp`` (default ``dim``); other families reject it.
    activation_name:
        phi for ``mlp``, ``res1``, ``res3`` (default tanh); ``linear``/``affine`` reject it.
    seed:
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    ResidualStack

    Raises
    ------
    UsageError
        Unknown family or activation, non-positive sizes, or an option the family does not take.

    >>> s = make_stack("mlp", depth=3, dim=4, width=5, seed=7)
    >>> s.depth, s.dim, s.layers[0].inner.shape
    (3, 4, (5, 4))
    """
    if family not in FAMILIES:
        raise UsageError(f"unknown module family {family!r}; allowed: {', '.join(FAMILIES)}")
    if depth < 1 or dim < 1:
        raise UsageError(f"depth and dim must be positive, got depth {depth}, dim {dim}")
    if width is not None and family != "mlp":
        raise UsageError(f"--width applies to the mlp family only, not {family}")
    if width is not None and width < 1:
        raise UsageError(f"width must be positive, got {width}")
    if family in POLYNOMIAL_FAMILIES:
        if activation_name is not None:
            raise UsageError(f"--activation applies to mlp, res1 and res3, not {family}")
        act = IDENTITY
    else:
        act = activation(activation_name or DEFAULT_ACTIVATION)
    h = (width or dim) if family == "mlp" else dim
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(dim)
    layers = []
    for _ in range(depth):
        if family == "linear":
            layers.append(Layer(outer=_normal(rng, (dim, dim), dim), inner=None))
        elif family == "affine":
            a = _normal(rng, (dim, dim), dim)
            layers.append(Layer(outer=a, inner=None, outer_bias=BIAS_SCALE * rng.standard_normal(dim)))
        elif family == "mlp":
            w1 = _normal(rng, (h, dim), dim)
            b1 = BIAS_SCALE * rng.standard_normal(h)
            w2 = _normal(rng, (dim, h), h)
            b2 = BIAS_SCALE * rng.standard_normal(dim)
            layers.append(Layer(outer=w2, inner=w1, inner_bias=b1, outer_bias=b2))
        elif family == "res1":
            layers.append(Layer(outer=_uniform(rng, (dim, dim), dim), inner=None))
        else:  # res3
            v = _uniform(rng, (dim, dim), dim)
            w = _uniform(rng, (dim, dim), dim)
            layers.append(Layer(outer=v, inner=w))
    return ResidualStack(family, act, tuple(layers), x, seed, h)


__all__ = [
    "FAMILIES", "POLYNOMIAL_FAMILIES", "ACTIVATIONS", "Layer", "ResidualStack",
    "module_value", "module_derivative", "make_stack",
]
