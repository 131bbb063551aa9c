"""The module families as :class:`~residual_expansion.models.protocol.Module` objects.

Every family is a one-hidden-layer map, a :class:`Perceptron`,

    g(x) = B phi(C x + c) + b            (B, C matrices or the identity, c, b vectors or 0)

so a single formula gives every derivative (the m-th derivative of g as a symmetric
m-linear map):

    g^(m)(x)[v_1, ..., v_m] = B ( phi^(m)(z) * prod_j (C v_j) ),     z = C x + c,  m >= 1,

products elementwise. The families (names shared with the rest of the project):

* ``linear``  g(x) = A x                     (phi = identity, B = A, C = I);
* ``affine``  g(x) = A x + b;
* ``mlp``     g(x) = W2 phi(W1 x + b1) + b2  (hidden width configurable);
* ``res1``    g(h) = V phi(h)                (Marion et al., res-1);
* ``res2``    g(h) = phi(V h)                (res-2 as the Monte Carlo runs it, docs/scaling.md);
* ``res3``    g(h) = V phi(W h)              (Marion et al., res-3).

The Monte Carlo (:mod:`residual_expansion.scaling.montecarlo`, the backward pass of
:mod:`residual_expansion.scaling.gradients`) builds one module per layer from the drawn
weights with :func:`from_weights` and calls ``value`` and ``vjp``: the families here are the
only definition of each branch.

Batches. Inputs carry leading batch axes: x has shape (..., d), the trailing axis is the
feature axis. Weights may carry leading batch axes too, one weight per sample: a matrix of
shape (c, out, in) acts on x of shape (..., c, r, in) (each of the c samples maps its r
rows; numpy ``matmul`` broadcasting), a bias then has shape (c, 1, out). So the Monte Carlo
holds c networks' weights for one layer in one :class:`Perceptron` and pushes (c, m, d)
states (c samples, m schedules) through it; the cross-check uses unbatched weights.

Weights of :func:`make_stack`: entries of every matrix mapping R^k to anything are
N(0, 1/k) (``linear``, ``affine``, ``mlp``) or U(-sqrt(3/d), sqrt(3/d)) (``res1``, ``res2``, ``res3``,
Marion et al.'s i.i.d. initialisation, variance 1/d); biases N(0, 1/4); the input
x ~ N(0, I_d). So every pre-activation and every module output is O(1) per coordinate.
All draws come from ``numpy.random.default_rng(seed)`` in a fixed order (x, then layer 1,
2, ...). The weight laws of the Monte Carlo live in :mod:`residual_expansion.models.weights`.

Reference: docs/theory.md#residual-stacks and docs/theory.md#marion-models; P. Marion,
A. Fermanian, G. Biau, J.-P. Vert, "Scaling ResNets in the large-depth regime", JMLR 2025.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from residual_expansion.errors import UsageError
from residual_expansion.models.activations import IDENTITY, Activation, activation
from residual_expansion.models.protocol import Module

FAMILIES: tuple[str, ...] = ("linear", "affine", "mlp", "res1", "res2", "res3")
POLYNOMIAL_FAMILIES: tuple[str, ...] = ("linear", "affine")
DEFAULT_ACTIVATION = "tanh"
BIAS_SCALE = 0.5


def _apply(matrix: np.ndarray | None, x: np.ndarray) -> np.ndarray:
    """M x on the trailing axis (M = identity when None); x (d,) or batched (..., d)."""
    if matrix is None:
        return x
    if x.ndim == 1:
        return matrix @ x
    return np.matmul(x, np.swapaxes(matrix, -1, -2))


def _apply_transpose(matrix: np.ndarray | None, u: np.ndarray) -> np.ndarray:
    """M^T u on the trailing axis (for vector-Jacobian products)."""
    if matrix is None:
        return u
    if u.ndim == 1:
        return np.swapaxes(matrix, -1, -2) @ u
    return np.matmul(u, matrix)


def _add(x: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    return x if bias is None else x + bias


def _abs(a: np.ndarray | None) -> np.ndarray | None:
    return None if a is None else np.abs(a)


@dataclass(frozen=True, eq=False)
class Perceptron:
    """g(x) = B phi(C x + c) + b, a :class:`~residual_expansion.models.protocol.Module`.

    Attributes
    ----------
    dim:
        d, the input and output dimension.
    activation:
        phi (:class:`~residual_expansion.models.activations.Activation`).
    outer:
        B, shape (..., d, h), or None (h = d, B = I).
    inner:
        C, shape (..., h, d), or None (C = I).
    inner_bias:
        c, shape (h,) (batched: (..., 1, h)), or None.
    outer_bias:
        b, shape (d,) (batched: (..., 1, d)), or None.

    With the identity activation the hidden layer is skipped (phi(z) = z is not applied),
    so the batched float32 forward of the Monte Carlo stays in float32.

    >>> g = linear(np.array([[0.0, 1.0], [2.0, 0.0]]))
    >>> g.value(np.array([1.0, 3.0])).tolist(), g.degree
    ([3.0, 2.0], 1)
    """

    dim: int
    activation: Activation
    outer: np.ndarray | None
    inner: np.ndarray | None = None
    inner_bias: np.ndarray | None = None
    outer_bias: np.ndarray | None = None

    @property
    def width(self) -> int:
        """h, the hidden width."""
        return self.dim if self.inner is None else int(self.inner.shape[-2])

    @property
    def degree(self) -> int | None:
        """1 for the identity activation (g affine), else None (phi is not a polynomial)."""
        return 1 if self.activation.name == "identity" else None

    @property
    def smooth(self) -> bool:
        """False for piecewise-linear activations (the module then has kinks)."""
        return self.activation.smooth

    def pre_activation(self, x: np.ndarray) -> np.ndarray:
        """z = C x + c, shape (..., h)."""
        return _add(_apply(self.inner, x), self.inner_bias)

    def value(self, x: np.ndarray) -> np.ndarray:
        """g(x) = B phi(C x + c) + b, shape (..., d)."""
        return self.value_at(self.pre_activation(x))

    def value_at(self, z: np.ndarray) -> np.ndarray:
        """B phi(z) + b from the pre-activation z = C x + c (kept by a backward pass), shape (..., d).

        >>> g = res3(np.eye(2), 2.0 * np.eye(2), activation("relu"))
        >>> x = np.array([1.0, -1.0])
        >>> g.value_at(g.pre_activation(x)).tolist() == g.value(x).tolist() == [2.0, 0.0]
        True
        """
        hidden = z if self.activation is IDENTITY else self.activation.value(z)
        return _add(_apply(self.outer, hidden), self.outer_bias)

    def derivative(self, x: np.ndarray, vectors: Sequence[np.ndarray]) -> np.ndarray:
        """g^(m)(x)[v_1, ..., v_m] = B (phi^(m)(C x + c) * prod_j C v_j); m = 0 gives g(x).

        Exact: uses the activation's derivative formulas.

        >>> g = make_stack("affine", depth=1, dim=2, seed=0).modules[0]
        >>> bool(np.allclose(g.derivative(np.zeros(2), [np.array([1.0, 0.0])]), g.outer[:, 0]))
        True
        """
        return self.at(x, len(vectors)).derivative(vectors)

    def magnitude(self, x: np.ndarray, vectors: Sequence[np.ndarray]) -> np.ndarray:
        """|B| (|phi^(m)|~(z) * prod_j |C| |v_j|) (+ |b| when m = 0): the scale of g^(m)'s rounding error.

        |phi^(m)|~ is the activation's magnitude plus |phi^(m+1)(z)| (|C| |x| + |c|), the
        first-order sensitivity to the relative rounding error carried by z.
        """
        return self.at(x, len(vectors)).magnitude(vectors)

    def at(self, x: np.ndarray, m_max: int) -> "PerceptronPoint":
        """The module frozen at x, with phi^(j)(z) for j <= m_max + 1 computed once."""
        return PerceptronPoint(self, x, m_max)

    def taylor(self, series: np.ndarray) -> np.ndarray:
        """Coefficients of g(X(lambda)) from those of X(lambda), shape (K, ..., d) -> (K, ..., d).

        Z = C X + c coefficient-wise (c on the constant term), H = phi(Z) by the
        activation's ODE recurrence, G = B H + b.
        """
        z = _apply(self.inner, series)
        if self.inner_bias is not None:
            z = z.copy()
            z[0] += self.inner_bias
        g = _apply(self.outer, self.activation.series(z))
        if self.outer_bias is not None:
            g = g.copy()
            g[0] += self.outer_bias
        return g

    def kinks(self, series: np.ndarray) -> np.ndarray:
        """The series of the pre-activations Z = C X + c (piecewise-linear phi), else shape (K, ..., 0)."""
        z = np.array(_apply(self.inner, series))  # a copy: callers keep it while the series moves on
        if self.activation.smooth:
            return np.zeros(z.shape[:-1] + (0,))
        if self.inner_bias is not None:
            z[0] += self.inner_bias
        return z

    def vjp(self, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        """(dg/dx)^T u = C^T (phi'(C x + c) * B^T u), shape (..., d).

        >>> g = linear(np.array([[0.0, 1.0], [2.0, 0.0]]))
        >>> g.vjp(np.zeros(2), np.array([1.0, 0.0])).tolist()
        [0.0, 1.0]
        """
        return self.vjp_at(None if self.activation is IDENTITY else self.pre_activation(x), cotangent)

    def vjp_at(self, z: np.ndarray | None, cotangent: np.ndarray) -> np.ndarray:
        """C^T (phi'(z) * B^T u) from the pre-activation z = C x + c (None for the identity phi).

        The backward pass of the Monte Carlo keeps z from the forward pass instead of x, so
        it does not multiply by C twice.

        >>> g = res2(np.array([[1.0, 0.0], [0.0, -1.0]]), activation("relu"))
        >>> x, u = np.array([1.0, 1.0]), np.array([3.0, 5.0])
        >>> g.vjp_at(g.pre_activation(x), u).tolist() == g.vjp(x, u).tolist() == [3.0, 0.0]
        True
        """
        back = _apply_transpose(self.outer, cotangent)
        if self.activation is not IDENTITY:
            back = self.activation.derivatives(z, 1)[1] * back
        return _apply_transpose(self.inner, back)

    def bound(self, x_abs: np.ndarray) -> np.ndarray:
        """|B| phi~(|C| x~ + |c|) + |b|: bounds |g| and its rounding at any x with |x| <= x~.

        phi~(z) = |z| max(1, max|phi'|) for identity and piecewise-linear phi,
        |phi|~(z) + |z| max(|phi'|~(z), 1) otherwise (~: the activation's magnitudes).
        """
        act = self.activation
        za = _add(_apply(_abs(self.inner), x_abs), _abs(self.inner_bias))
        if act.smooth and act.name != "identity":
            mags = act.magnitudes(za, 1)
            hidden = mags[0] + za * np.maximum(mags[1], 1.0)
        else:
            hidden = za * max(1.0, float(np.max(np.abs(act.derivatives(np.array([-1.0, 1.0]), 1)[1]))))
        return _add(_apply(_abs(self.outer), hidden), _abs(self.outer_bias))


class PerceptronPoint:
    """A :class:`Perceptron` at a fixed x: phi^(j)(z), their magnitudes and |weights|, computed once."""

    def __init__(self, module: Perceptron, x: np.ndarray, m_max: int) -> None:
        self.module = module
        act = module.activation
        z = module.pre_activation(x)
        z_abs = _add(_apply(_abs(module.inner), np.abs(x)), _abs(module.inner_bias))
        derivs = act.derivatives(z, m_max + 1)
        self.derivs = derivs[:-1]
        self.mags = act.magnitudes(z, m_max) + np.abs(derivs[1:]) * z_abs
        self.abs_outer = _abs(module.outer)
        self.abs_inner = _abs(module.inner)
        self.abs_outer_bias = _abs(module.outer_bias)

    def derivative(self, vectors: Sequence[np.ndarray]) -> np.ndarray:
        """g^(m)(x)[v_1, ..., v_m] (m = 0: g(x))."""
        m = len(vectors)
        hidden = self.derivs[m]
        for v in vectors:
            hidden = hidden * _apply(self.module.inner, v)
        out = _apply(self.module.outer, hidden)
        return _add(out, self.module.outer_bias) if m == 0 else out

    def magnitude(self, vectors: Sequence[np.ndarray]) -> np.ndarray:
        """|g|^(m)(x)[|v_1|, ..., |v_m|] with rounding sensitivity (see :meth:`Perceptron.magnitude`)."""
        m = len(vectors)
        hidden = self.mags[m]
        for v in vectors:
            hidden = hidden * _apply(self.abs_inner, np.abs(v))
        out = _apply(self.abs_outer, hidden)
        return _add(out, self.abs_outer_bias) if m == 0 else out


# ---------------------------------------------------------------- family constructors


def linear(a: np.ndarray, bias: np.ndarray | None = None) -> Perceptron:
    """g(x) = A x (+ b): the ``linear`` (``affine``) family; A of shape (..., d, d)."""
    return Perceptron(int(a.shape[-1]), IDENTITY, a, None, None, bias)


def mlp(w1: np.ndarray, b1: np.ndarray | None, w2: np.ndarray, b2: np.ndarray | None,
        phi: Activation) -> Perceptron:
    """g(x) = W2 phi(W1 x + b1) + b2; W1 (..., h, d), W2 (..., d, h)."""
    return Perceptron(int(w1.shape[-1]), phi, w2, w1, b1, b2)


def res1(v: np.ndarray, phi: Activation) -> Perceptron:
    """g(h) = V phi(h) (Marion et al.'s res-1); V (..., d, d)."""
    return Perceptron(int(v.shape[-1]), phi, v)


def res2(v: np.ndarray, phi: Activation) -> Perceptron:
    """g(h) = phi(V h) (res-2 of the Monte Carlo); V (..., d, d)."""
    return Perceptron(int(v.shape[-1]), phi, None, v)


def res3(w: np.ndarray, v: np.ndarray, phi: Activation) -> Perceptron:
    """g(h) = V phi(W h) (Marion et al.'s res-3); W, V (..., d, d)."""
    return Perceptron(int(w.shape[-1]), phi, v, w)


#: The families without biases, and how many weight matrices one layer of each has.
WEIGHT_MATRICES = MappingProxyType({"linear": 1, "res1": 1, "res2": 1, "res3": 2})


def from_weights(family: str, weights: Sequence[np.ndarray], phi: Activation) -> Perceptron:
    """One layer of ``family`` from its weight matrices, in the Monte Carlo's draw order.

    ``weights`` is [A] (linear, phi unused), [V] (res1, res2) or [W, V] (res3), each of
    shape (..., d, d); leading axes hold one network per sample.

    >>> w = np.array([[[0.0, 1.0], [1.0, 0.0]]])  # one network, d = 2
    >>> from_weights("res2", [w], activation("abs")).value(np.array([[[1.0, -2.0]]])).tolist()
    [[[2.0, 1.0]]]

    Raises
    ------
    UsageError
        For a family with biases or a wrong number of matrices.
    """
    if family not in WEIGHT_MATRICES:
        raise UsageError(f"family must be one of {', '.join(WEIGHT_MATRICES)}, got {family!r}")
    if len(weights) != WEIGHT_MATRICES[family]:
        raise UsageError(f"weights must hold {WEIGHT_MATRICES[family]} matrices for {family}, got {len(weights)}")
    if family == "linear":
        return linear(weights[0])
    if family == "res1":
        return res1(weights[0], phi)
    if family == "res2":
        return res2(weights[0], phi)
    return res3(weights[0], weights[1], phi)


# ---------------------------------------------------------------- the stack


@dataclass(frozen=True, eq=False)
class ResidualStack:
    """x_i = x_{i-1} + lambda_i g_i(x_{i-1}), i = 1..n, with its input x.

    Every computation goes through the :class:`~residual_expansion.models.protocol.Module`
    protocol of ``modules``, so any modules (the families here, normalization layers, a
    user's own) make a stack.

    Attributes
    ----------
    modules:
        g_1..g_n.
    x:
        The input x_0, shape (d,).
    family, activation:
        How the modules were built (names, for reports; ``"custom"`` and None otherwise).
    seed:
        The seed of the draw (None when not drawn).
    """

    modules: tuple[Module, ...]
    x: np.ndarray
    family: str = "custom"
    activation: str | None = None
    seed: int | None = None

    @property
    def depth(self) -> int:
        return len(self.modules)

    @property
    def dim(self) -> int:
        return int(self.x.shape[-1])

    @property
    def width(self) -> int:
        """The largest hidden width of the modules (their ``width``, else d)."""
        return max([getattr(m, "width", self.dim) for m in self.modules] + [self.dim])

    @property
    def degree(self) -> int | None:
        """The largest polynomial degree of the modules; None when one is not a polynomial."""
        degrees = [m.degree for m in self.modules]
        return None if any(p is None for p in degrees) else max(degrees, default=0)

    @property
    def smooth(self) -> bool:
        """False when some module is only piecewise smooth (has kinks)."""
        return all(getattr(m, "smooth", True) for m in self.modules)

    @property
    def terminates(self) -> bool:
        """True when x_n(lambda) is a polynomial in lambda of degree <= n.

        So when every module is affine (degree <= 1) or piecewise linear (while no
        pre-activation changes sign), and for any single layer (x_1 = x + lambda g_1(x)).
        """
        return self.depth == 1 or all(
            (m.degree is not None and m.degree <= 1) or not getattr(m, "smooth", True) for m in self.modules
        )

    def lambdas(self, lam: float | Sequence[float]) -> np.ndarray:
        """lambda_1..lambda_n from a uniform value or a per-layer sequence."""
        return np.broadcast_to(np.asarray(lam, dtype=float), (self.depth,))

    def forward(self, lam: float | Sequence[float]) -> np.ndarray:
        """The forward pass x_n, directly: x_i = x_{i-1} + lambda_i g_i(x_{i-1}).

        >>> s = make_stack("linear", depth=2, dim=3, seed=1)
        >>> bool(np.allclose(s.forward(0.0), s.x))
        True
        """
        lams = self.lambdas(lam)
        x = self.x
        with np.errstate(over="ignore", invalid="ignore"):
            for lam_i, module in zip(lams, self.modules):
                x = x + lam_i * module.value(x)
        return x

    def kink_values(self, lam: float) -> tuple[np.ndarray, ...]:
        """The kink arguments (pre-activations) of every module along the forward pass at lambda."""
        lams = self.lambdas(lam)
        x = self.x
        out = []
        for lam_i, module in zip(lams, self.modules):
            if hasattr(module, "kinks"):
                out.append(module.kinks(x[None])[0])
            x = x + lam_i * module.value(x)
        return tuple(out)


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
        phi for ``mlp``, ``res1``, ``res2``, ``res3`` (default tanh); ``linear``/``affine`` reject it.
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
    >>> s.depth, s.dim, s.modules[0].inner.shape
    (3, 4, (5, 4))
    """
    if family not in FAMILIES:
        raise UsageError(f"unknown module family {family!r}; allowed: {', '.join(FAMILIES)}")
    if depth < 1 or dim < 1:
        raise UsageError(f"depth and dim must be positive, got depth {depth}, dim {dim}")
    if width is not None and family != "mlp":
        raise UsageError(f"width applies to the mlp family only, not {family}", parameters=("width",))
    if width is not None and width < 1:
        raise UsageError(f"width must be positive, got {width}")
    if family in POLYNOMIAL_FAMILIES:
        if activation_name is not None:
            raise UsageError(f"activation_name applies to mlp, res1, res2 and res3, not {family}",
                             parameters=("activation_name",))
        act = IDENTITY
    else:
        act = activation(activation_name or DEFAULT_ACTIVATION)
    h = (width or dim) if family == "mlp" else dim
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(dim)
    modules = tuple(_draw_module(family, rng, dim, h, act) for _ in range(depth))
    return ResidualStack(modules, x, family, None if family in POLYNOMIAL_FAMILIES else act.name, seed)


def _draw_module(family: str, rng: np.random.Generator, dim: int, h: int, act: Activation) -> Perceptron:
    """One module of ``family``, drawn in the fixed order of :func:`make_stack`."""
    if family == "linear":
        return linear(_normal(rng, (dim, dim), dim))
    if family == "affine":
        a = _normal(rng, (dim, dim), dim)
        return linear(a, BIAS_SCALE * rng.standard_normal(dim))
    if family == "mlp":
        w1 = _normal(rng, (h, dim), dim)
        b1 = BIAS_SCALE * rng.standard_normal(h)
        w2 = _normal(rng, (dim, h), h)
        b2 = BIAS_SCALE * rng.standard_normal(dim)
        return mlp(w1, b1, w2, b2, act)
    if family == "res1":
        return res1(_uniform(rng, (dim, dim), dim), act)
    if family == "res2":
        return res2(_uniform(rng, (dim, dim), dim), act)
    v = _uniform(rng, (dim, dim), dim)
    w = _uniform(rng, (dim, dim), dim)
    return res3(w, v, act)


def _normal(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    return rng.standard_normal(shape) / np.sqrt(fan_in)


def _uniform(rng: np.random.Generator, shape: tuple[int, ...], d: int) -> np.ndarray:
    bound = np.sqrt(3.0 / d)
    return rng.uniform(-bound, bound, shape)


# ---------------------------------------------------------------- generic helpers


class ModulePoint:
    """Any module at a fixed x (fallback of ``at``): derivative and magnitude through the protocol."""

    def __init__(self, module: Module, x: np.ndarray) -> None:
        self.module = module
        self.x = x

    def derivative(self, vectors: Sequence[np.ndarray]) -> np.ndarray:
        return self.module.derivative(self.x, vectors)

    def magnitude(self, vectors: Sequence[np.ndarray]) -> np.ndarray:
        if hasattr(self.module, "magnitude"):
            return self.module.magnitude(self.x, vectors)
        # No rounding model: |g^(m)(x)[v_1, ..., v_m]| itself (a heuristic scale, not a bound).
        return np.abs(self.module.derivative(self.x, vectors))


def module_at(module: Module, x: np.ndarray, m_max: int):
    """``module.at(x, m_max)`` when the module has it, else a :class:`ModulePoint`."""
    if hasattr(module, "at"):
        return module.at(x, m_max)
    return ModulePoint(module, x)


def derivative_from_taylor(module: Module, x: np.ndarray, vectors: Sequence[np.ndarray]) -> np.ndarray:
    """g^(m)(x)[v_1, ..., v_m] from ``module.taylor`` alone, by polarization.

    With w_S = sum_{j in S} v_j and [lambda^m] the coefficient of lambda^m,

        g^(m)(x)[v_1, ..., v_m] = sum_{S subset of {1..m}, S nonempty} (-1)^(m - |S|) [lambda^m] g(x + lambda w_S),

    since m! [lambda^m] g(x + lambda w) = g^(m)(x)[w, ..., w] and the symmetric m-linear
    form D is recovered from its diagonal by inclusion-exclusion (the polarization identity
    D[v_1, ..., v_m] = (1/m!) sum_S (-1)^(m - |S|) D[w_S, ..., w_S]).
    All 2^m - 1 series go through one batched ``taylor`` call (subsets on a new leading
    batch axis), so this is exact up to rounding. For modules with unbatched weights.

    Arguments
    ---------
    module: any Module (only ``taylor`` and, for m = 0, ``value`` are used).
    x: the point, shape (d,).
    vectors: v_1..v_m, each of shape (d,).

    Returns
    -------
    Array of shape (d,).

    >>> g = make_stack("mlp", depth=1, dim=3, seed=2).modules[0]
    >>> x, v, w = np.eye(3)
    >>> bool(np.allclose(derivative_from_taylor(g, x, [v, w]), g.derivative(x, [v, w])))
    True
    """
    m = len(vectors)
    if m == 0:
        return module.value(x)
    subsets = [s for k in range(1, m + 1) for s in itertools.combinations(range(m), k)]
    series = np.zeros((m + 1, len(subsets)) + np.shape(x))
    series[0] = x
    for i, s in enumerate(subsets):
        series[1, i] = sum(vectors[j] for j in s)
    top = module.taylor(series)[m]
    signs = np.array([(-1.0) ** (m - len(s)) for s in subsets]).reshape((-1,) + (1,) * np.ndim(x))
    return np.sum(signs * top, axis=0)


__all__ = [
    "FAMILIES", "POLYNOMIAL_FAMILIES", "WEIGHT_MATRICES", "Perceptron", "PerceptronPoint", "ResidualStack",
    "linear", "mlp", "res1", "res2", "res3", "from_weights", "make_stack", "ModulePoint", "module_at", "derivative_from_taylor",
]
