"""Bring-your-own modules: sympy and JAX adapters, the protocol check, the spec loader, the exact route."""

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy

from residual_expansion.errors import UsageError
from residual_expansion.models.adapters import SympyModule, as_module, check_module, taylor_via_derivatives
from residual_expansion.models.adapters.exact import exact_check, exact_point
from residual_expansion.models.adapters.loader import load_stack, parse_spec
from residual_expansion.models.adapters.sympy_module import sympy_stack
from residual_expansion.models.families import make_stack
from residual_expansion.theorem.expansion import expand

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "jax_stack.py"


@pytest.fixture(scope="module")
def pair():
    """One tanh layer as a JAX function and as sympy expressions (same weights), d = 3."""
    import jax.numpy as jnp

    from residual_expansion.models.adapters.jax_module import JaxModule

    rng = np.random.default_rng(3)
    W, b = rng.integers(-3, 4, (3, 3)) / 4, rng.integers(-3, 4, 3) / 4
    return JaxModule(lambda x: jnp.tanh(W @ x + b), 3), sympy_stack([(W, b)], sympy.tanh, 3)[0], (W, b)


def test_jax_and_sympy_modules_agree_with_the_numpy_formulas(pair):
    jaxm, symm, (W, b) = pair
    rng = np.random.default_rng(0)
    x = rng.standard_normal(3)
    vs = [rng.standard_normal(3) for _ in range(3)]
    z = W @ x + b
    t = np.tanh(z)
    d1, d2, d3 = 1 - t**2, -2 * t * (1 - t**2), (1 - t**2) * (6 * t**2 - 2)  # tanh', '', '''
    expected = d3 * (W @ vs[0]) * (W @ vs[1]) * (W @ vs[2])
    for m in (jaxm, symm):
        assert np.allclose(m.value(x), t, atol=1e-15)
        assert np.allclose(m.derivative(x, vs[:1]), d1 * (W @ vs[0]), atol=1e-14)
        assert np.allclose(m.derivative(x, vs[:2]), d2 * (W @ vs[0]) * (W @ vs[1]), atol=1e-14)
        assert np.allclose(m.derivative(x, vs), expected, atol=1e-13)
        assert np.allclose(m.vjp(x, vs[0]), W.T @ (d1 * vs[0]), atol=1e-14)


def test_jax_taylor_mode_matches_faa_di_bruno_and_sympy(pair):
    jaxm, symm, _ = pair
    series = np.random.default_rng(1).standard_normal((5, 2, 3))
    jet = jaxm.taylor(series)
    assert jaxm.taylor_route == "jet" and jet.shape == series.shape
    assert np.abs(jet[:3, :1] - taylor_via_derivatives(jaxm, series[:3, :1])).max() < 1e-12  # nested jvp
    assert np.abs(jet - symm.taylor(series)).max() < 1e-12
    # a corrupted series (coefficient 2 scaled as if jet took power-series terms) is far off
    wrong = series.copy()
    wrong[2] *= 2
    assert np.abs(jaxm.taylor(wrong) - jet).max() > 1e-3


def test_jax_leaves_global_x64_off(pair):
    import jax

    pair[0].value(np.zeros(3))
    assert not jax.config.jax_enable_x64


def test_float32_jax_module_is_refused():
    import jax.numpy as jnp

    from residual_expansion.models.adapters.jax_module import JaxModule

    W = jnp.ones((2, 2), dtype=jnp.float32)
    with pytest.raises(UsageError, match="float32"):
        JaxModule(lambda x: (W @ x).astype(jnp.float32), 2).value(np.zeros(2))


def test_sympy_module_against_the_family_module():
    """The same mlp layer as a family Perceptron and as sympy expressions: derivatives agree."""
    g = make_stack("mlp", 1, 2, activation_name="sin", seed=4).modules[0]
    xs = sympy.symbols("x1:3")
    W1, b1, W2, b2 = (sympy.Matrix(np.asarray(a).tolist()) for a in (g.inner, g.inner_bias, g.outer, g.outer_bias))
    hidden = (W1 * sympy.Matrix(xs) + b1).applyfunc(sympy.sin)
    sym = SympyModule(tuple(W2 * hidden + b2), xs)
    x = np.array([0.3, -1.2])
    for v in ([], [np.array([0.3, -1.0])], [np.array([0.3, -1.0]), np.array([2.0, 0.5])]):
        assert np.allclose(sym.derivative(x, v), g.derivative(x, v), atol=1e-12)
    assert not np.allclose(sym.derivative(x, v), -g.derivative(x, v), atol=1e-6)


def test_sympy_degree_and_bad_input():
    x, y = sympy.symbols("x y")
    assert SympyModule((x * y**2, x), (x, y)).degree == 3
    assert SympyModule((sympy.exp(x), y), (x, y)).degree is None
    with pytest.raises(UsageError, match="free symbols"):
        SympyModule((x + sympy.Symbol("z"), y), (x, y))
    with pytest.raises(UsageError, match="exprs has 1 entries"):
        SympyModule((x,), (x, y))


def test_check_module_names_what_is_wrong():
    class NoTaylor:
        dim, degree = 2, None

        def value(self, x):
            return x

    with pytest.raises(UsageError, match="lacks derivative, taylor, vjp"):
        check_module(NoTaylor())

    class WrongShape(NoTaylor):
        def derivative(self, x, vs):
            return x[:1]

        def taylor(self, s):
            return s

        def vjp(self, x, u):
            return u

    with pytest.raises(UsageError, match=r"derivative\(x, \[v\]\) returned shape \(1,\), expected \(2,\)"):
        check_module(WrongShape())
    with pytest.raises(UsageError, match="not a Module|expected a Module"):
        as_module(42)


# ----------------------------------------------------------------- the exact route


def test_exact_route_passes_and_fails_on_a_corrupted_formula():
    x = sympy.symbols("x1:3")
    g1 = SympyModule((sympy.sin(x[1] / 2), x[0] * x[1]), x)
    g2 = SympyModule((sympy.cos(x[0]) * x[1], sympy.exp(x[0] - x[1])), x)
    stack = [g1, g2, g1]
    ok = exact_check(stack, 4, seed=2)
    assert ok.passed and ok.terms == sum(len(expand(3, 4).of_order(k)) for k in range(1, 5))
    assert ok.generators > 0

    def no_sigma(n, k):  # forget 1/sigma: g3''[g1, g1] gets coefficient 1 instead of 1/2
        return [replace(t, coefficient=Fraction(1)) for t in expand(n, k, uniform=True).terms]

    bad = exact_check(stack, 4, seed=2, terms_of=no_sigma)
    assert not bad.passed and bad.mismatches[0][0] == 3 and bad.first_mismatch is not None

    def drop_one(n, k):  # lose one order-4 term
        return expand(n, k, uniform=True).terms[:-1]

    assert exact_check(stack, 4, seed=2, terms_of=drop_one).mismatches[0][0] == 4


def test_exact_route_on_polynomials_is_rational_and_matches_the_instance_route():
    x = sympy.symbols("x1:3")
    g = SympyModule((x[0] ** 2 - 3 * x[1], x[0] * x[1] + 1), x)
    r = exact_check([g] * 4, 3, point=(Fraction(1, 2), -1))
    assert r.passed and r.generators == 0 and r.point == ("1/2", "-1")


def test_exact_route_bad_input():
    x = sympy.symbols("x1:3")
    g = SympyModule((x[1], x[0]), x)
    with pytest.raises(UsageError, match="point has 1 coordinates"):
        exact_check([g], 2, point=(1,))
    with pytest.raises(UsageError, match="order must be a positive integer"):
        exact_check([g], 0)
    with pytest.raises(UsageError, match="needs sympy modules"):
        exact_check([make_stack("linear", 1, 2).modules[0]], 2)
    assert len(exact_point(4, seed=1)) == 4


# ----------------------------------------------------------------- the loader


def test_loader_reads_factories_files_and_packages(tmp_path):
    mods = load_stack(f"{EXAMPLE}:make", 3, 2, 0)
    assert len(mods) == 3 and mods[0].dim == 2
    sym = load_stack(f"{EXAMPLE}:make_sympy", 3, 2, 0)
    x = np.array([0.3, -0.2])
    assert all(np.allclose(a.value(x), b.value(x), atol=1e-15) for a, b in zip(mods, sym))
    single = tmp_path / "single.py"
    single.write_text("import sympy\nx, y = sympy.symbols('x y')\nG = sympy.Lambda((x, y), sympy.Matrix([y, -x]))\n"
                      "LAYERS = [G, G]\n")
    assert len(load_stack(f"{single}:G", 4, 2)) == 4
    assert len(load_stack(f"{single}:LAYERS", 2, 2)) == 2
    assert len(load_stack("residual_expansion.models.adapters.examples:sympy_make", 2, 2, 1)) == 2


@pytest.mark.parametrize("spec, message", [
    ("nocolon", "must be FILE.py:NAME"),
    ("missing_file.py:make", "no file missing_file.py"),
    ("no.such.package:make", "cannot import no.such.package"),
    ("{ex}:nothing", "has no attribute 'nothing'"),
    ("{tmp}/bad.py:LAYERS", "2 modules for depth 3"),
    ("{tmp}/bad.py:NUMBER", "expected a Module"),
    ("{tmp}/bad.py:BROKEN", "raised ZeroDivisionError"),
    ("{tmp}/bad.py:SHAPE", "returned shape"),
    ("{tmp}/bad.py:FACTORY_DICT", "returned a dict"),
])
def test_loader_errors_are_one_line(tmp_path, spec, message):
    (tmp_path / "bad.py").write_text(
        "import numpy as np\n"
        "LAYERS = [None, None]\nNUMBER = 3\n"
        "def BROKEN(depth, dim, seed):\n    return 1 / 0\n"
        "def FACTORY_DICT(depth, dim, seed):\n    return {}\n"
        "class Shape:\n    dim, degree = 2, None\n"
        "    def value(self, x):\n        return np.zeros(x.shape[:-1] + (3,))\n"
        "    def derivative(self, x, v):\n        return x\n"
        "    def taylor(self, s):\n        return s\n"
        "    def vjp(self, x, u):\n        return u\n"
        "SHAPE = Shape()\n")
    with pytest.raises(UsageError, match=message) as info:
        load_stack(spec.format(ex=EXAMPLE, tmp=tmp_path), 3, 2, 0)
    assert "\n" not in str(info.value)


def test_parse_spec_windows_and_package_forms():
    assert parse_spec("C:\\nets\\net.py:make").is_file
    assert parse_spec("pkg.mod:NAME") .source == "pkg.mod"


def test_magnitudes_bound_the_derivatives_and_agree(pair):
    jaxm, symm, _ = pair
    rng = np.random.default_rng(5)
    x = rng.standard_normal(3)
    vs = [rng.standard_normal(3) for _ in range(2)]
    mj, ms = jaxm.magnitude(x, vs), symm.magnitude(x, vs)
    assert np.abs(mj - ms).max() < 1e-13
    assert np.all(mj >= np.abs(jaxm.derivative(x, vs)) - 1e-15)
    assert np.allclose(jaxm.magnitude(x, []), np.abs(jaxm.value(x)))


# ----------------------------------------------------------------- crosscheck --module (the "must show")


def test_must_show_jax_factory_passes_crosscheck_and_sympy_twin_passes_exact(capsys):
    from residual_expansion.cli import main

    assert main(["crosscheck", "--module", f"{EXAMPLE}:make", "--depth", "6", "--order", "4", "--dim", "5",
                 "--format", "json"]) == 0
    import json

    out = json.loads(capsys.readouterr().out)
    assert out["pass"] and out["coefficients_pass"] and out["remainder_pass"] and out["terms"] == 281
    assert main(["crosscheck", "--module", f"{EXAMPLE}:make_sympy", "--exact", "--depth", "6", "--order", "4",
                 "--dim", "5", "--format", "json"]) == 0
    exact = json.loads(capsys.readouterr().out)
    assert exact["pass"] and exact["mismatches"] == [] and exact["terms"] == 281


def test_crosscheck_of_jax_modules_fails_on_a_corrupted_formula():
    from residual_expansion.numeric.crosscheck import crosscheck

    modules = load_stack(f"{EXAMPLE}:make", 3, 3, 1)

    def no_sigma(n, k, p=None):
        return [replace(t, coefficient=Fraction(1)) for t in expand(n, k, uniform=True).terms]

    good = crosscheck(3, 3, "jax", dim=3, seed=1, modules=modules)
    bad = crosscheck(3, 3, "jax", dim=3, seed=1, modules=modules, terms_of=no_sigma)
    assert good.passed and not bad.passed and not bad.coefficients.passed
    assert bad.coefficients.relative_errors[2] > 1e3 * bad.coefficients.tolerance
    with pytest.raises(UsageError, match="modules has 3 entries, depth is 4"):
        crosscheck(4, 2, "jax", dim=3, modules=modules)


def test_jax_taylor_falls_back_to_nested_jvp_where_jet_has_no_rule():
    import jax

    from residual_expansion.models.adapters.jax_module import JaxModule

    g = JaxModule(lambda x: jax.nn.softplus(x[::-1]), 2)
    x = sympy.symbols("x1:3")
    twin = SympyModule((sympy.log(1 + sympy.exp(x[1])), sympy.log(1 + sympy.exp(x[0]))), x)
    series = np.array([[0.2, -0.4], [1.0, 0.5], [0.0, -0.25]])
    out = g.taylor(series)
    assert g.taylor_route == "nested jvp"
    assert np.abs(out - twin.taylor(series)).max() < 1e-14
