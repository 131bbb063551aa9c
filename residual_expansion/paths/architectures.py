"""Residual architectures as directed acyclic graphs of computation paths.

A residual architecture is drawn as a DAG whose nodes are *junctions* (the running state
``x_i``, where branches meet by addition) and *modules* (the residual functions ``g_i``).
A block ``x_i = x_{i-1} + g_i(x_{i-1})`` contributes the skip edge ``x_{i-1} -> x_i`` and
the branch ``x_{i-1} -> g_i -> x_i``. A *computation path* is a directed path from the
input to the output; its *length* is the number of module nodes on it (docs/theory.md#computation-path-dags).

Built-in architectures
----------------------
- :func:`plain` ``(n)``: ``n`` blocks, nodes ``x0..xn`` and ``g1..gn``.
- :func:`two_branch` ``(n)``: ``n`` Transformer-style layers, each with two residual
  sub-blocks, attention then MLP: ``x{i-1} -> a{i} -> h{i} -> m{i} -> x{i}`` with the
  skip edges ``x{i-1} -> h{i}`` and ``h{i} -> x{i}``.

JSON schema (:func:`architecture_from_dict`, :func:`load_architecture`)
-----------------------------------------------------------------------
An object with the keys

- ``"nodes"`` (required): a list of ``{"id": <non-empty string>, "kind": "module" | "junction"}``;
- ``"edges"`` (required): a list of ``[<from id>, <to id>]`` pairs;
- ``"name"`` (optional string; default ``"custom"``);
- ``"depth"`` (optional positive integer: the number of layers the file describes, used
  as ``n`` in the scale schedules ``lambda = 1/sqrt(n), 1/n``; default: the number of
  module nodes);
- ``"input"``, ``"output"`` (optional node ids; default: the unique node without incoming,
  respectively outgoing, edges).

No other key is allowed (a typo is an error, not silently ignored). The graph must be
acyclic, have exactly one input and one output, and every node must lie on some
input-output path. Every violation raises :class:`UsageError` with one line naming the
offending node or edge.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import networkx as nx

from residual_expansion.errors import UsageError

MODULE = "module"
JUNCTION = "junction"
KINDS = (MODULE, JUNCTION)
SCHEMA_KEYS = ("name", "depth", "input", "output", "nodes", "edges")


@dataclass(frozen=True, eq=False)
class Architecture:
    """A validated residual architecture.

    Attributes
    ----------
    name:
        ``"plain"``, ``"two-branch"`` or the name given in a JSON file.
    depth:
        ``n``: the number of layers (blocks) it stacks; sets the scale schedules.
    graph:
        A frozen :class:`networkx.DiGraph`; each node has the attribute ``kind``
        (``"module"`` or ``"junction"``).
    input, output:
        The unique source and sink.
    order:
        A topological order of the nodes (it starts at the input and ends at the output).
    """

    name: str
    depth: int
    graph: nx.DiGraph
    input: Hashable
    output: Hashable
    order: tuple

    @cached_property
    def modules(self) -> int:
        """The number of module nodes (computed once)."""
        return sum(1 for _, k in self.graph.nodes(data="kind") if k == MODULE)

    def is_module(self, node: Hashable) -> bool:
        return self.graph.nodes[node]["kind"] == MODULE

    def to_dict(self) -> dict[str, Any]:
        """The architecture in the JSON schema of this module (explicit input, output, depth)."""
        return {
            "name": self.name,
            "depth": self.depth,
            "input": self.input,
            "output": self.output,
            "nodes": [{"id": v, "kind": k} for v, k in self.graph.nodes(data="kind")],
            "edges": [[u, v] for u, v in self.graph.edges()],
        }


def _endpoint(graph: nx.DiGraph, declared: Hashable | None, role: str) -> Hashable:
    """The declared input/output, or the unique node without incoming/outgoing edges."""
    if declared is not None:
        if declared not in graph:
            raise UsageError(f"the {role} {declared!r} is not a node of the architecture")
        return declared
    degree = graph.in_degree if role == "input" else graph.out_degree
    ends = [v for v in graph.nodes if degree(v) == 0]
    if len(ends) != 1:  # a non-empty DAG has at least one
        side = "incoming" if role == "input" else "outgoing"
        shown = ", ".join(repr(v) for v in ends[:5]) + (", ..." if len(ends) > 5 else "")
        raise UsageError(
            f"several nodes have no {side} edge ({shown}); an architecture has exactly one {role}"
        )
    return ends[0]


def validate(graph: nx.DiGraph, input: Hashable | None = None, output: Hashable | None = None) -> tuple[Hashable, Hashable]:
    """Check that ``graph`` is a residual architecture and return its ``(input, output)``.

    Checked in this order: non-empty; every node has ``kind`` module or junction;
    acyclic; exactly one input and one output (or the declared ones exist); input and
    output differ; every node is reachable from the input and reaches the output.

    Raises
    ------
    UsageError
        One line naming the offending node or edge (e.g. the cycle, the extra sources).

    Examples
    --------
    >>> g = nx.DiGraph([("x0", "g1"), ("g1", "x1"), ("x0", "x1")])
    >>> nx.set_node_attributes(g, {"x0": "junction", "g1": "module", "x1": "junction"}, "kind")
    >>> validate(g)
    ('x0', 'x1')
    """
    if graph.number_of_nodes() == 0:
        raise UsageError("the architecture has no nodes; it needs an input, an output and edges between them")
    for v, kind in graph.nodes(data="kind"):
        if kind not in KINDS:
            raise UsageError(f"node {v!r} has kind {kind!r}; allowed kinds: {', '.join(KINDS)}")
    if not nx.is_directed_acyclic_graph(graph):
        cycle = nx.find_cycle(graph)
        loop = " -> ".join(repr(u) for u, _ in cycle) + f" -> {cycle[0][0]!r}"
        raise UsageError(f"the graph has a cycle {loop} (edge {cycle[-1][0]!r} -> {cycle[-1][1]!r} closes it); an architecture must be acyclic")
    source = _endpoint(graph, input, "input")
    sink = _endpoint(graph, output, "output")
    if source == sink:
        raise UsageError(f"the input {source!r} is also the output; they must be different nodes")
    reached = nx.descendants(graph, source)
    reached.add(source)
    for v in graph.nodes:
        if v not in reached:
            raise UsageError(f"node {v!r} is not reachable from the input {source!r}")
    reaching = nx.ancestors(graph, sink)
    reaching.add(sink)
    for v in graph.nodes:
        if v not in reaching:
            raise UsageError(f"node {v!r} cannot reach the output {sink!r}")
    return source, sink


def build_architecture(
    name: str,
    depth: int,
    nodes: Iterable[tuple[Hashable, str]],
    edges: Iterable[tuple[Hashable, Hashable]],
    input: Hashable | None = None,
    output: Hashable | None = None,
) -> Architecture:
    """Validate ``(node, kind)`` pairs and ``(from, to)`` edges and freeze them into an :class:`Architecture`.

    Raises
    ------
    UsageError
        A node listed twice, an edge naming an unknown node or listed twice, a
        self-loop, a non-positive depth, or any failure of :func:`validate`.
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise UsageError(f"depth {depth!r} is not a positive integer")
    graph = nx.DiGraph()
    for v, kind in nodes:
        if v in graph:
            raise UsageError(f"node {v!r} is listed twice")
        graph.add_node(v, kind=kind)
    for u, v in edges:
        for w in (u, v):
            if w not in graph:
                raise UsageError(f"edge {u!r} -> {v!r} names the unknown node {w!r}")
        if u == v:
            raise UsageError(f"edge {u!r} -> {v!r} is a self-loop; an architecture must be acyclic")
        if graph.has_edge(u, v):
            raise UsageError(f"edge {u!r} -> {v!r} is listed twice")
        graph.add_edge(u, v)
    source, sink = validate(graph, input, output)
    order = tuple(nx.topological_sort(graph))
    return Architecture(name=name, depth=depth, graph=nx.freeze(graph), input=source, output=sink, order=order)


def plain(n: int) -> Architecture:
    """``n`` residual blocks ``x_i = x_{i-1} + g_i(x_{i-1})``: nodes ``x0..xn``, ``g1..gn``.

    Raises
    ------
    UsageError
        When ``n < 1``.

    Examples
    --------
    >>> a = plain(2)
    >>> a.modules, a.graph.number_of_edges(), a.input, a.output
    (2, 6, 'x0', 'x2')

    Reference: docs/theory.md#computation-path-dags (plain stack).
    """
    if n < 1:
        raise UsageError(f"depth {n} is not positive; a plain stack has at least one block")
    nodes = [("x0", JUNCTION)]
    edges = []
    for i in range(1, n + 1):
        nodes += [(f"g{i}", MODULE), (f"x{i}", JUNCTION)]
        edges += [(f"x{i-1}", f"x{i}"), (f"x{i-1}", f"g{i}"), (f"g{i}", f"x{i}")]
    return _trusted("plain", n, nodes, edges, "x0", f"x{n}")


def two_branch(n: int) -> Architecture:
    """``n`` Transformer layers, each two residual sub-blocks: ``h = x + a(x)``, ``x' = h + m(h)``.

    Nodes ``x0..xn`` and ``h1..hn`` (junctions), ``a1..an`` (attention) and ``m1..mn``
    (MLP) modules.

    Raises
    ------
    UsageError
        When ``n < 1``.

    Examples
    --------
    >>> a = two_branch(3)
    >>> a.modules, a.depth
    (6, 3)

    Reference: docs/theory.md#computation-path-dags (a layer with two residual sub-blocks).
    """
    if n < 1:
        raise UsageError(f"depth {n} is not positive; a two-branch stack has at least one layer")
    nodes = [("x0", JUNCTION)]
    edges = []
    for i in range(1, n + 1):
        x0, a, h, m, x1 = f"x{i-1}", f"a{i}", f"h{i}", f"m{i}", f"x{i}"
        nodes += [(a, MODULE), (h, JUNCTION), (m, MODULE), (x1, JUNCTION)]
        edges += [(x0, h), (x0, a), (a, h), (h, x1), (h, m), (m, x1)]
    return _trusted("two-branch", n, nodes, edges, "x0", f"x{n}")


def _trusted(name: str, depth: int, nodes: Sequence, edges: Sequence, source: str, sink: str) -> Architecture:
    """A built-in architecture: valid by construction (``nodes`` listed in a topological
    order), so the O(V+E) re-validation is skipped."""
    graph = nx.DiGraph()
    graph.add_nodes_from((v, {"kind": k}) for v, k in nodes)
    graph.add_edges_from(edges)
    order = tuple(v for v, _ in nodes)
    return Architecture(name=name, depth=depth, graph=nx.freeze(graph), input=source, output=sink, order=order)


def architecture_from_dict(data: Any, default_name: str = "custom") -> Architecture:
    """Parse the JSON schema of this module (see the module docstring) and validate it.

    Raises
    ------
    UsageError
        One line naming the malformed key, node or edge.

    Examples
    --------
    >>> a = architecture_from_dict({"nodes": [{"id": "x", "kind": "junction"},
    ...     {"id": "f", "kind": "module"}, {"id": "y", "kind": "junction"}],
    ...     "edges": [["x", "f"], ["f", "y"], ["x", "y"]]})
    >>> a.input, a.output, a.depth
    ('x', 'y', 1)
    """
    if not isinstance(data, Mapping):
        raise UsageError("the architecture must be a JSON object with keys 'nodes' and 'edges'")
    unknown = [k for k in data if k not in SCHEMA_KEYS]
    if unknown:
        raise UsageError(f"unknown key {unknown[0]!r} in the architecture; allowed keys: {', '.join(SCHEMA_KEYS)}")
    for key in ("nodes", "edges"):
        if key not in data:
            raise UsageError(f"the architecture has no {key!r} list; both 'nodes' and 'edges' are required")
        if not isinstance(data[key], list):
            raise UsageError(f"{key!r} must be a list, got {type(data[key]).__name__}")
    nodes = []
    for i, entry in enumerate(data["nodes"]):
        if not isinstance(entry, Mapping) or set(entry) != {"id", "kind"}:
            raise UsageError(f"node #{i} must be an object with exactly the keys 'id' and 'kind', got {entry!r}")
        if not isinstance(entry["id"], str) or not entry["id"]:
            raise UsageError(f"node #{i} has id {entry['id']!r}; node ids are non-empty strings")
        if entry["kind"] not in KINDS:
            raise UsageError(f"node {entry['id']!r} has kind {entry['kind']!r}; allowed kinds: {', '.join(KINDS)}")
        nodes.append((entry["id"], entry["kind"]))
    edges = []
    for i, entry in enumerate(data["edges"]):
        if not isinstance(entry, list) or len(entry) != 2 or not all(isinstance(v, str) for v in entry):
            raise UsageError(f"edge #{i} must be a pair [from, to] of node ids, got {entry!r}")
        edges.append((entry[0], entry[1]))
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name:
        raise UsageError(f"name {name!r} must be a non-empty string")
    modules = sum(1 for _, k in nodes if k == MODULE)
    depth = data.get("depth", modules)
    if "depth" not in data and modules == 0:
        raise UsageError("the architecture has no module node; give at least one module or an explicit 'depth'")
    return build_architecture(name, depth, nodes, edges, data.get("input"), data.get("output"))


def load_architecture(path: str | Path) -> Architecture:
    """Read and validate an architecture JSON file (schema in the module docstring).

    Raises
    ------
    UsageError
        When the file cannot be read, is not JSON, or is not a valid architecture.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise UsageError(f"cannot read architecture file {str(path)!r}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{str(path)!r} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    return architecture_from_dict(data, default_name=path.stem)


def architecture_to_json(arch: Architecture) -> str:
    """The architecture as JSON text in this module's schema (:func:`load_architecture` reads it back)."""
    return json.dumps(arch.to_dict(), indent=2)


def random_architecture(rng, size: int, edge_probability: float = 0.3, module_probability: float = 0.5) -> Architecture:
    """A random valid architecture on ``size`` nodes ``"0".."size-1"`` (a test and claim fixture).

    Edges ``i -> j`` (``i < j``) are drawn with ``edge_probability``; then every node
    without a predecessor gets one edge from a random earlier node and every node
    without a successor one edge to a random later node, so ``"0"`` is the unique input
    and ``"size-1"`` the unique output. Inner nodes are modules with
    ``module_probability``; input and output are junctions.

    Arguments: ``rng`` is a :class:`numpy.random.Generator`; ``size >= 2``.
    """
    if size < 2:
        raise UsageError(f"size {size} is too small; a random architecture needs at least 2 nodes")
    edges = {(i, j) for i in range(size) for j in range(i + 1, size) if rng.random() < edge_probability}
    for j in range(1, size):
        if not any((i, j) in edges for i in range(j)):
            edges.add((int(rng.integers(0, j)), j))
    for i in range(size - 1):
        if not any((i, j) in edges for j in range(i + 1, size)):
            edges.add((i, int(rng.integers(i + 1, size))))
    kinds = [JUNCTION] + [MODULE if rng.random() < module_probability else JUNCTION for _ in range(size - 2)] + [JUNCTION]
    nodes = [(str(i), kinds[i]) for i in range(size)]
    modules = kinds.count(MODULE)
    return build_architecture(f"random-{size}", max(modules, 1), nodes, [(str(i), str(j)) for i, j in sorted(edges)])
