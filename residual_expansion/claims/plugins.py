"""Claims from installed packages: the entry-point group ``residual_expansion.claims``.

A package registers claims in its ``pyproject.toml``::

    [project.entry-points."residual_expansion.claims"]
    my-claims = "my_package.claims:CLAIMS"     # a Claim, a sequence of Claims,
                                                # or a callable returning either

:func:`registered` lists the built-in claims (source ``residual-expansion``) followed by
every plugin's claims (source: the distribution that installed the entry point), in
entry-point name order. ``verify`` runs, filters (``--claims``) and renders them like the
built-in ones; ``verify --list`` prints them with their sources. A plugin that fails to
load, returns something that is not a Claim, or reuses an id is a :class:`UsageError`
naming the entry point (never skipped silently: a verifier must not drop a claim).

Example: docs/examples/plugin/ (installed and run by tests/test_plugins.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from residual_expansion.claims.base import Claim
from residual_expansion.errors import UsageError

GROUP = "residual_expansion.claims"
BUILTIN_SOURCE = "residual-expansion"


@dataclass(frozen=True)
class RegisteredClaim:
    """A claim with the distribution that provides it."""

    claim: Claim
    source: str


def _claims_of(obj: Any, where: str) -> tuple[Claim, ...]:
    if callable(obj) and not isinstance(obj, Claim):
        try:
            obj = obj()
        except Exception as exc:
            raise UsageError(f"{where}: calling it raised {type(exc).__name__}: {exc}") from exc
    items = (obj,) if isinstance(obj, Claim) else obj
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise UsageError(f"{where} gave a {type(obj).__name__}; expected a Claim, Claims, or a callable returning them")
    out = tuple(items)
    for c in out:
        if not isinstance(c, Claim):
            raise UsageError(f"{where} gave a {type(c).__name__}, not a residual_expansion.claims.Claim")
        if not c.id or c.id != c.id.strip().upper() or "," in c.id or " " in c.id:
            raise UsageError(f"{where}: claim id {c.id!r} must be upper case without spaces or commas")
    return out


def plugin_claims(entry_points: Sequence[Any] | None = None) -> tuple[RegisteredClaim, ...]:
    """Every claim registered under :data:`GROUP`, in entry-point name order.

    Arguments
    ---------
    entry_points: the entry points to load (default: the installed ones); tests pass
        their own objects with ``name``, ``value``, ``dist`` and ``load()``.

    Raises
    ------
    UsageError
        An entry point that fails to load or gives something other than Claims.
    """
    eps = list(metadata.entry_points(group=GROUP)) if entry_points is None else list(entry_points)
    out = []
    for ep in sorted(eps, key=lambda e: e.name):
        dist = getattr(ep, "dist", None)
        source = getattr(dist, "name", None) or ep.value.split(":")[0].split(".")[0]
        where = f"plugin {ep.name} = {ep.value} (from {source})"
        try:
            obj = ep.load()
        except Exception as exc:
            raise UsageError(f"{where} failed to load: {type(exc).__name__}: {exc}") from exc
        out.extend(RegisteredClaim(c, source) for c in _claims_of(obj, where))
    return tuple(out)


def registered(builtin: Sequence[Any], entry_points: Sequence[Any] | None = None) -> tuple[RegisteredClaim, ...]:
    """The built-in claims (Claims, or ``ClaimRef`` handles that load their module when run),
    then the plugins' claims; ids must be unique.

    >>> from residual_expansion.claims import REGISTRY
    >>> [r.source for r in registered(REGISTRY, entry_points=[])][:1]
    ['residual-expansion']
    """
    out = [RegisteredClaim(c, BUILTIN_SOURCE) for c in builtin] + list(plugin_claims(entry_points))
    seen: dict[str, str] = {}
    for r in out:
        if r.claim.id in seen:
            raise UsageError(f"claim id {r.claim.id} is registered twice (by {seen[r.claim.id]} and {r.source})")
        seen[r.claim.id] = r.source
    return tuple(out)


__all__ = ["GROUP", "BUILTIN_SOURCE", "RegisteredClaim", "plugin_claims", "registered"]
