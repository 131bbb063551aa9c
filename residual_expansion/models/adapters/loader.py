"""Load a user's residual stack from a spec ``FILE.py:NAME`` or ``package.module:NAME``.

NAME may be

* a module (a Module, a :class:`SympyModule`, a ``sympy.Lambda`` or a function written
  with ``jax.numpy``): used at every layer;
* a sequence of modules, one per layer (its length must be the depth);
* a factory ``NAME(depth, dim, seed)`` returning that sequence (a callable with three
  parameters). When the file imports JAX the factory runs inside ``jax.enable_x64(True)``,
  so arrays it creates with ``jax.numpy`` are float64.

Every module is checked against the protocol (:func:`check_module`): any problem (no colon,
missing file, an import that fails, missing name, wrong type, wrong length, wrong output
shape) is a :class:`UsageError` with a one-line message naming the spec.

Reference: docs/api.md ("Your own modules").
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from residual_expansion.errors import UsageError
from residual_expansion.models.adapters.common import as_module


@dataclass(frozen=True)
class Spec:
    """A parsed ``--module`` value: where to import from and which attribute to take."""

    source: str
    name: str
    is_file: bool


def parse_spec(spec: str) -> Spec:
    """Split ``FILE.py:NAME`` or ``package.module:NAME``.

    >>> parse_spec("my_net.py:make")
    Spec(source='my_net.py', name='make', is_file=True)
    >>> parse_spec("pkg.nets:make").is_file
    False
    """
    source, sep, name = spec.rpartition(":")
    if not sep or not source or not name.isidentifier():
        raise UsageError(f"module spec {spec!r} must be FILE.py:NAME or package.module:NAME")
    return Spec(source, name, source.endswith(".py") or "/" in source or "\\" in source)


def is_spec(value: str) -> bool:
    """True when ``value`` looks like a spec (contains a colon), not a family name."""
    return ":" in value


def _import(spec: Spec, raw: str) -> Any:
    if spec.is_file:
        path = Path(spec.source)
        if not path.is_file():
            raise UsageError(f"module spec {raw!r}: no file {spec.source}")
        key = "residual_expansion_user_" + hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
        loader_spec = importlib.util.spec_from_file_location(key, path)
        if loader_spec is None or loader_spec.loader is None:
            raise UsageError(f"module spec {raw!r}: cannot import {spec.source}")
        module = importlib.util.module_from_spec(loader_spec)
        try:
            with _x64():
                loader_spec.loader.exec_module(module)
        except Exception as exc:
            raise UsageError(f"module spec {raw!r}: importing {spec.source} raised {type(exc).__name__}: {exc}") \
                from exc
    else:
        try:
            module = importlib.import_module(spec.source)
        except Exception as exc:
            raise UsageError(f"module spec {raw!r}: cannot import {spec.source} ({type(exc).__name__}: {exc})") \
                from exc
    if not hasattr(module, spec.name):
        raise UsageError(f"module spec {raw!r}: {spec.source} has no attribute {spec.name!r}")
    return getattr(module, spec.name)


@contextlib.contextmanager
def _x64():
    """Float64 JAX inside the block when JAX is (or gets) imported; the global setting is restored."""
    if "jax" in sys.modules:
        # optional extra (jax): imported only when a JAX module is used
        import jax

        with jax.enable_x64(True):
            yield
    else:
        yield


def _is_factory(obj: Any) -> bool:
    if not callable(obj) or hasattr(obj, "value"):
        return False
    try:
        params = [p for p in inspect.signature(obj).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return False
    return len(params) == 3


def load_stack(spec: str, depth: int, dim: int | None = None, seed: int = 0) -> tuple[Any, ...]:
    """The modules g_1..g_n named by ``spec`` (see the module docstring), checked against the protocol.

    Arguments
    ---------
    spec: ``FILE.py:NAME`` or ``package.module:NAME``.
    depth: n, the number of layers.
    dim: d; required for plain JAX functions, otherwise checked against the modules' dim.
    seed: passed to a factory.

    Returns
    -------
    A tuple of n Modules.

    Raises
    ------
    UsageError
        One line naming what is wrong with the spec or the modules.

    >>> mods = load_stack("residual_expansion.models.adapters.examples:sympy_make", 2, 2, 0)
    >>> len(mods), mods[0].dim
    (2, 2)
    """
    parsed = parse_spec(spec)
    obj = _import(parsed, spec)
    if _is_factory(obj):
        try:
            with _x64():
                obj = obj(depth, dim, seed)
        except UsageError:
            raise
        except Exception as exc:
            raise UsageError(f"module spec {spec!r}: {parsed.name}({depth}, {dim}, {seed}) raised "
                             f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(obj, Sequence) or isinstance(obj, str):
            raise UsageError(f"module spec {spec!r}: the factory {parsed.name} returned a {type(obj).__name__}, "
                             "expected a list of modules, one per layer")
    if isinstance(obj, Sequence) and not isinstance(obj, str):
        items = list(obj)
        if len(items) != depth:
            raise UsageError(f"module spec {spec!r}: {len(items)} modules for depth {depth}; give one per layer")
    else:
        items = [obj] * depth
    with _x64():
        mods = tuple(as_module(m, dim, name=f"{parsed.name}[{i}]") for i, m in enumerate(items))
    dims = {m.dim for m in mods}
    if len(dims) != 1:
        raise UsageError(f"module spec {spec!r}: the modules have different dims {sorted(dims)}")
    return mods


__all__ = ["Spec", "parse_spec", "is_spec", "load_stack"]
