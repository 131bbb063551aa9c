"""Every size limit of :mod:`residual_expansion.limits` at its boundary (issue 16).

For each limit, two command lines that differ only in the limited value:

* the largest allowed value is accepted: the command parses it, passes every check and
  reaches its work (the work function is replaced by a sentinel that raises
  :class:`Reached`, so nothing heavy runs in the suite; ``tests/benchmarks/limits_boundary.py``
  runs the accepted lines for real and times them against the limit's promise);
* the next value is refused: one line on stderr naming the limit, exit 2, under a second.

The limits' values are read from :mod:`residual_expansion.limits`, so a changed limit moves
the boundary of both lines with it.
"""

from __future__ import annotations

import json
import time

import pytest

from residual_expansion import limits as L
from residual_expansion.cli import main

from tests.cli_runs import timed_main

REFUSAL_SECONDS = 1.0


class Reached(Exception):
    """Raised by the sentinel that replaces a command's work: every check before it passed."""


#: The function each command calls first to do its work (imported inside ``run``, so
#: patching the module attribute reaches it).
WORK = {
    "verify": ("residual_expansion.claims.base", "Claim.run"),
    "expand": ("residual_expansion.theorem.expansion", "expand"),
    "counts": ("residual_expansion.theorem.trees", "count_labeled_trees"),
    "series": ("residual_expansion.theorem.composition", "sympy_series_coefficients"),
    "paths": ("residual_expansion.paths.polynomial", "path_statistics"),
    "crosscheck": ("residual_expansion.numeric.crosscheck", "crosscheck"),
    "scaling": ("residual_expansion.scaling.sweep", "run_sweep"),
    "lesion": ("residual_expansion.scaling.lesion", "run_lesion"),
}


def _patch_work(monkeypatch, command: str) -> None:
    import importlib

    module, attr = WORK[command]
    mod = importlib.import_module(module)

    def sentinel(*args, **kwargs):
        raise Reached(command)

    if "." in attr:
        cls, name = attr.split(".")
        monkeypatch.setattr(getattr(mod, cls), name, sentinel)
    else:
        monkeypatch.setattr(mod, attr, sentinel)


def _join(values) -> str:
    return ",".join(str(v) for v in values)


# (id, accepted argv, refused argv, fragment of the refusal naming the limit)
BOUNDARIES = [
    ("verify-depth", f"verify --depth {L.VERIFY_MAX_DEPTH}", f"verify --depth {L.VERIFY_MAX_DEPTH + 1}",
     f"depth <= {L.VERIFY_MAX_DEPTH}"),
    ("verify-depth-chosen", f"verify --claims PATHS --depth {L.VERIFY_MAX_DEPTH_CHOSEN}",
     f"verify --claims PATHS --depth {L.VERIFY_MAX_DEPTH_CHOSEN + 1}", f"depth <= {L.VERIFY_MAX_DEPTH_CHOSEN}"),
    ("verify-order", f"verify --depth 3 --order {L.VERIFY_MAX_ORDER}", f"verify --depth 3 --order {L.VERIFY_MAX_ORDER + 1}",
     f"order <= {L.VERIFY_MAX_ORDER}"),
    ("expand-depth", f"expand --depth {L.EXPAND_MAX_DEPTH} --order 1", f"expand --depth {L.EXPAND_MAX_DEPTH + 1} --order 1",
     f"depth <= {L.EXPAND_MAX_DEPTH}"),
    # N(199, <=2) = 19,900 and N(200, <=2) = 20,100; N(39, <=3) = 19,799 and N(40, <=3) = 21,360
    ("expand-terms-order-2", "expand --depth 199 --order 2", "expand --depth 200 --order 2",
     f"terms <= {L.EXPAND_MAX_TERMS}"),
    ("expand-terms-order-3", "expand --depth 39 --order 3", "expand --depth 40 --order 3", f"terms <= {L.EXPAND_MAX_TERMS}"),
    ("expand-tied-depth", f"expand --tied --depth {L.TIED_MAX_DEPTH} --order 2",
     f"expand --tied --depth {L.TIED_MAX_DEPTH + 1} --order 2", f"depth <= {L.TIED_MAX_DEPTH}"),
    ("expand-tied-order", f"expand --tied --depth 12 --order {L.TIED_MAX_ORDER}",
     f"expand --tied --depth 12 --order {L.TIED_MAX_ORDER + 1}", f"order <= {L.TIED_MAX_ORDER}"),
    ("counts-depth", f"counts --depths {L.COUNTS_MAX_DEPTH} --order 2", f"counts --depths {L.COUNTS_MAX_DEPTH + 1} --order 2",
     f"depth <= {L.COUNTS_MAX_DEPTH}"),
    ("counts-order", f"counts --depths 2 --order {L.COUNTS_MAX_ORDER}", f"counts --depths 2 --order {L.COUNTS_MAX_ORDER + 1}",
     f"order <= {L.COUNTS_MAX_ORDER}"),
    # sum(depths) * 100^3 // 3 <= 5e6: depth 15 gives exactly 5,000,000, depth 16 gives 5,333,333
    ("counts-work", f"counts --depths 15 --order {L.COUNTS_MAX_ORDER}", f"counts --depths 16 --order {L.COUNTS_MAX_ORDER}",
     f"order^3/3 <= {L.COUNTS_MAX_WORK}"),
    ("series-depth", f"series --depth {L.SERIES_MAX_DEPTH} --order 1", f"series --depth {L.SERIES_MAX_DEPTH + 1} --order 1",
     f"depth <= {L.SERIES_MAX_DEPTH}"),
    ("series-order", f"series --depth 1 --order {L.SERIES_MAX_ORDER}", f"series --depth 1 --order {L.SERIES_MAX_ORDER + 1}",
     f"order <= {L.SERIES_MAX_ORDER}"),
    ("series-product", "series --depth 6 --order 3", "series --depth 5 --order 4", f"--depth*--order <= {L.SERIES_MAX_PRODUCT}"),
    ("paths-depth", f"paths --depth {L.PATHS_MAX_DEPTH}", f"paths --depth {L.PATHS_MAX_DEPTH + 1}",
     f"depth <= {L.PATHS_MAX_DEPTH}"),
    ("crosscheck-depth", f"crosscheck --depth {L.CROSSCHECK_MAX_DEPTH} --order 1 --dim 2",
     f"crosscheck --depth {L.CROSSCHECK_MAX_DEPTH + 1} --order 1 --dim 2", f"depth <= {L.CROSSCHECK_MAX_DEPTH}"),
    ("crosscheck-dim", f"crosscheck --depth 1 --dim {L.CROSSCHECK_MAX_DIM}", f"crosscheck --depth 1 --dim {L.CROSSCHECK_MAX_DIM + 1}",
     f"dim <= {L.CROSSCHECK_MAX_DIM}"),
    ("crosscheck-width", f"crosscheck --depth 1 --dim 2 --width {L.CROSSCHECK_MAX_WIDTH}",
     f"crosscheck --depth 1 --dim 2 --width {L.CROSSCHECK_MAX_WIDTH + 1}", f"width <= {L.CROSSCHECK_MAX_WIDTH}"),
    # depth * dim * width <= 2e6: 1000 * 2 * 1000 = 2e6
    ("crosscheck-weights", "crosscheck --depth 1000 --dim 2 --width 1000", "crosscheck --depth 1000 --dim 2 --width 1001",
     f"depth*dim*width <= {L.CROSSCHECK_MAX_WEIGHTS}"),
    ("crosscheck-lambda-lo", f"crosscheck --depth 3 --lambda-range {L.LAMBDA_MIN!r},0.1",
     "crosscheck --depth 3 --lambda-range 9.99999e-7,0.1", "0 < lo < hi"),
    ("crosscheck-lambda-hi", f"crosscheck --depth 3 --lambda-range 0.1,{L.LAMBDA_MAX!r}",
     "crosscheck --depth 3 --lambda-range 0.1,10.00001", "0 < lo < hi"),
    ("scaling-depth", f"scaling --depths {L.SCALING_MAX_DEPTH} --samples 2 --dim 2",
     f"scaling --depths {L.SCALING_MAX_DEPTH + 1} --samples 2 --dim 2", f"depth <= {L.SCALING_MAX_DEPTH}"),
    ("scaling-depths", f"scaling --depths {_join(range(1, L.SCALING_MAX_DEPTHS + 1))} --samples 2 --dim 2",
     f"scaling --depths {_join(range(1, L.SCALING_MAX_DEPTHS + 2))} --samples 2 --dim 2", f"depths <= {L.SCALING_MAX_DEPTHS}"),
    ("scaling-samples", f"scaling --samples {L.SCALING_MAX_SAMPLES} --depths 2 --dim 2",
     f"scaling --samples {L.SCALING_MAX_SAMPLES + 1} --depths 2 --dim 2", f"samples <= {L.SCALING_MAX_SAMPLES}"),
    ("scaling-dim", f"scaling --dim {L.SCALING_MAX_DIM} --depths 2 --samples 2",
     f"scaling --dim {L.SCALING_MAX_DIM + 1} --depths 2 --samples 2", f"dim <= {L.SCALING_MAX_DIM}"),
    ("scaling-input-dim", f"scaling --input-dim {L.SCALING_MAX_INPUT_DIM} --depths 2 --samples 2 --dim 2",
     f"scaling --input-dim {L.SCALING_MAX_INPUT_DIM + 1} --depths 2 --samples 2 --dim 2",
     f"input-dim <= {L.SCALING_MAX_INPUT_DIM}"),
    ("scaling-orders", f"scaling --model linear --orders {L.SCALING_MAX_ORDERS} --depths 2 --samples 2 --dim 2",
     f"scaling --model linear --orders {L.SCALING_MAX_ORDERS + 1} --depths 2 --samples 2 --dim 2",
     f"orders <= {L.SCALING_MAX_ORDERS}"),
    ("scaling-schedules", f"scaling --beta {_join(i / 100 for i in range(L.SCALING_MAX_SCHEDULES))} --depths 2 --samples 2 --dim 2",
     f"scaling --beta {_join(i / 100 for i in range(L.SCALING_MAX_SCHEDULES + 1))} --depths 2 --samples 2 --dim 2",
     f"schedules <= {L.SCALING_MAX_SCHEDULES}"),
    ("scaling-beta", f"scaling --beta {L.SCALING_MAX_BETA!r} --depths 2 --samples 2 --dim 2",
     "scaling --beta 10.000001 --depths 2 --samples 2 --dim 2", f"--beta 10.000001 is beyond the limit abs(--beta) <= {L.SCALING_MAX_BETA:g}"),
    ("scaling-weight-scale", f"scaling --weight-scale {L.SCALING_MAX_WEIGHT_SCALE!r} --depths 2 --samples 2 --dim 2",
     "scaling --weight-scale 1000000.1 --depths 2 --samples 2 --dim 2",
     f"--weight-scale 1000000.1 is beyond the limit 0 < --weight-scale <= {L.SCALING_MAX_WEIGHT_SCALE:g}"),
    # work = schedules * samples * sum(L) * (d^2 + 64) on the materialised route (uniform weights):
    # 1 * 100000 * (50000 + 50000) * (36 + 64) = 1e12 exactly; one more layer exceeds it
    ("scaling-work", "scaling --beta 1 --samples 100000 --depths 50000,50000 --dim 6",
     "scaling --beta 1 --samples 100000 --depths 50000,50001 --dim 6", f"work <= {L.SCALING_MAX_WORK}"),
    # lesion: (deleted blocks + 1) passes of 100000 * 5000 * (36 + 64): 20 passes are 1e12
    ("lesion-work", "lesion --depth 5000 --samples 100000 --dim 6 --delete " + _join(range(1, 20)),
     "lesion --depth 5000 --samples 100000 --dim 6 --delete " + _join(range(1, 21)), f"work <= {L.SCALING_MAX_WORK}"),
    # input work = schedules * samples * dim * input_dim <= 2e9: 1 * 100000 * 2 * 10000 = 2e9
    ("scaling-input-work", "scaling --beta 1 --samples 100000 --depths 1 --dim 2 --input-dim 10000",
     "scaling --beta 1 --samples 100000 --depths 1 --dim 2 --input-dim 10001", f"input work <= {L.SCALING_MAX_INPUT_WORK}"),
    ("lesion-delete", f"lesion --depth 200 --samples 2 --dim 2 --delete {_join(range(1, L.SCALING_MAX_DEPTHS + 1))}",
     f"lesion --depth 200 --samples 2 --dim 2 --delete {_join(range(1, L.SCALING_MAX_DEPTHS + 2))}",
     f"--delete ({L.SCALING_MAX_DEPTHS + 1} blocks) is beyond the limit --delete <= {L.SCALING_MAX_DEPTHS}"),
    ("lesion-depth", f"lesion --depth {L.SCALING_MAX_DEPTH} --samples 2 --dim 2 --delete 1",
     f"lesion --depth {L.SCALING_MAX_DEPTH + 1} --samples 2 --dim 2 --delete 1", f"depth <= {L.SCALING_MAX_DEPTH}"),
    # numbers: 12 digits of an integer, 40 characters of a number, decimal exponent 40
    ("int-digits", "counts --order 2 --depths 000000000002", "counts --order 2 --depths 0000000000002",
     f"beyond the limit of {L.INT_DIGITS} digits"),
    ("number-chars", "scaling --depths 2 --samples 2 --dim 2 --c " + "1." + "0" * (L.NUMBER_CHARS - 2),
     "scaling --depths 2 --samples 2 --dim 2 --c " + "1." + "0" * (L.NUMBER_CHARS - 1),
     f"beyond the limit of {L.NUMBER_CHARS}"),
    ("rational-exponent", f"expand --depth 2 --order 2 --scales 1e{L.EXPONENT_MAX},1",
     f"expand --depth 2 --order 2 --scales 1e{L.EXPONENT_MAX + 1},1", f"|exponent| <= {L.EXPONENT_MAX}"),
]


def _refuse(argv, capsys):
    code, seconds = timed_main(argv)
    out, err = capsys.readouterr()
    return code, out, err, seconds


@pytest.mark.parametrize("ident, accepted, refused, fragment", BOUNDARIES, ids=[b[0] for b in BOUNDARIES])
def test_limit_boundary(ident, accepted, refused, fragment, monkeypatch, capsys):
    _patch_work(monkeypatch, accepted.split()[0])
    with pytest.raises(Reached):
        main(accepted.split())
    out, err = capsys.readouterr()
    assert err == "", err
    code, out, err, seconds = _refuse(refused.split(), capsys)
    assert code == 2, (refused, out[:200], err)
    assert out == "" and err.endswith("\n") and err.count("\n") == 1 and "Traceback" not in err, err
    assert fragment in err, err
    assert seconds < REFUSAL_SECONDS, (refused, seconds)


def test_taylor_coefficient_bytes_at_the_boundary(monkeypatch, capsys):
    """``scaling --orders K`` for res1/res3 keeps 8 (K + 8) S d bytes of Taylor coefficients: at K = 56 and
    d = 2048, 2048 samples are 2^31 bytes, the limit (accepted: the work is reached), 2049 are refused."""
    from residual_expansion.scaling import orders

    def sentinel(*args, **kwargs):
        raise Reached("scaling --orders")

    monkeypatch.setattr(orders, "run_order_profiles", sentinel)
    base = "scaling --model res3 --orders 56 --depths 2 --dim 2048 --beta 1 --samples "
    assert 8 * (56 + 8) * 2048 * 2048 == L.SCALING_MAX_TAYLOR_BYTES
    with pytest.raises(Reached):
        main((base + "2048").split())
    assert capsys.readouterr().err == ""
    code, out, err, seconds = _refuse((base + "2049").split(), capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err, err
    assert f"Taylor coefficient bytes <= {L.SCALING_MAX_TAYLOR_BYTES}" in err, err
    assert seconds < REFUSAL_SECONDS


def test_fixup_bytes_per_sample_at_the_boundary(monkeypatch, capsys):
    """``scaling --scheme fixup`` keeps one sample's forward pass, 8 L (d^2 + 2 d) bytes: at d = 62 (d^2 + 2 d =
    3968 = 2^7 * 31), L = 2^31 / (8 * 3968) is not an integer, so the largest accepted depth is its floor,
    and one more layer is refused."""
    from residual_expansion.scaling import normalized

    def sentinel(*args, **kwargs):
        raise Reached("scaling --scheme fixup")

    monkeypatch.setattr(normalized, "run_fixup", sentinel)
    per_layer = 8 * (62 * 62 + 2 * 62)
    depth = L.SCALING_MAX_FIXUP_BYTES // per_layer
    base = "scaling --model res3 --scheme fixup --dim 62 --samples 2 --beta 1 --depths "
    with pytest.raises(Reached):
        main((base + str(depth)).split())
    assert capsys.readouterr().err == ""
    code, out, err, seconds = _refuse((base + str(depth + 1)).split(), capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err, err
    assert f"Fixup bytes per sample <= {L.SCALING_MAX_FIXUP_BYTES}" in err, err
    assert seconds < REFUSAL_SECONDS


def _arch(nodes: int, edges: int) -> dict:
    """A plain stack as an architecture dict with exactly ``nodes`` nodes and ``edges`` edges
    (junctions x0..xm, modules g1..gm, edges x_{i-1}->x_i, x_{i-1}->g_i, g_i->x_i; padded with
    isolated extra junctions)."""
    return {"nodes": [{"id": f"n{i}", "kind": "junction"} for i in range(nodes)],
            "edges": [[f"n{i % max(1, nodes)}", f"n{(i + 1) % max(1, nodes)}"] for i in range(edges)]}


def _refused_file(tmp_path, name: str, text: str, capsys):
    """Exit status, stderr and the CPU seconds of ``paths --arch FILE``: counting the nodes of a
    40,002-node file means parsing 2 MB of JSON (0.1 s idle); on the shared test machine the
    wall time of that parse varies with the load, the CPU time does not."""
    path = tmp_path / name
    path.write_text(text)
    code, seconds = timed_main(["paths", "--arch", str(path)], clock=time.process_time)
    return code, capsys.readouterr().err, seconds


@pytest.mark.parametrize("what", ["bytes", "nodes", "edges", "nesting", "digits"])
def test_architecture_file_limits_at_the_boundary(what, tmp_path, monkeypatch, capsys):
    """``read_architecture_json`` accepts each size at its limit (the content may then be
    refused by the architecture validation, not by a size limit) and refuses one more."""
    if what == "bytes":
        body = json.dumps({"nodes": [], "edges": []})
        at = body + " " * (L.ARCH_MAX_BYTES - len(body))
        over = at + " "
        fragment = f"beyond the limit of {L.ARCH_MAX_BYTES}"
    elif what == "nodes":
        at, over = json.dumps(_arch(L.ARCH_MAX_NODES, 0)), json.dumps(_arch(L.ARCH_MAX_NODES + 1, 0))
        fragment = f"nodes, beyond the limit of {L.ARCH_MAX_NODES}"
    elif what == "edges":
        at, over = json.dumps(_arch(3, L.ARCH_MAX_EDGES)), json.dumps(_arch(3, L.ARCH_MAX_EDGES + 1))
        fragment = f"edges, beyond the limit of {L.ARCH_MAX_EDGES}"
    elif what == "nesting":
        at = '{"nodes": [], "edges": [], "x": ' + "[" * (L.ARCH_MAX_NESTING - 1) + "]" * (L.ARCH_MAX_NESTING - 1) + "}"
        over = '{"nodes": [], "edges": [], "x": ' + "[" * L.ARCH_MAX_NESTING + "]" * L.ARCH_MAX_NESTING + "}"
        fragment = f"nested deeper than the limit of {L.ARCH_MAX_NESTING}"
    else:
        at = '{"nodes": [], "edges": [], "width": ' + "1" * L.INT_DIGITS + "}"
        over = '{"nodes": [], "edges": [], "width": ' + "1" * (L.INT_DIGITS + 1) + "}"
        fragment = f"beyond the limit of {L.INT_DIGITS} digits"
    ok = tmp_path / "at.json"
    ok.write_text(at)
    assert len(ok.read_bytes()) <= L.ARCH_MAX_BYTES
    L.read_architecture_json(str(ok))  # no size limit refuses it
    code, err, seconds = _refused_file(tmp_path, "over.json", over, capsys)
    assert code == 2 and err.count("\n") == 1 and fragment in err, err
    assert seconds < REFUSAL_SECONDS


def test_boundary_table_covers_every_limit_constant():
    """Every numeric limit constant of limits.py appears in a boundary test above (a new limit
    without a boundary test fails here)."""
    names = {n for n in dir(L) if n.isupper() and isinstance(getattr(L, n), (int, float)) and not isinstance(getattr(L, n), bool)}
    covered = {"VERIFY_MAX_DEPTH", "VERIFY_MAX_DEPTH_CHOSEN", "VERIFY_MAX_ORDER", "EXPAND_MAX_DEPTH", "EXPAND_MAX_TERMS",
               "TIED_MAX_DEPTH", "TIED_MAX_ORDER", "COUNTS_MAX_DEPTH", "COUNTS_MAX_ORDER", "COUNTS_MAX_WORK",
               "SERIES_MAX_DEPTH", "SERIES_MAX_ORDER", "SERIES_MAX_PRODUCT", "PATHS_MAX_DEPTH", "CROSSCHECK_MAX_DEPTH",
               "CROSSCHECK_MAX_DIM", "CROSSCHECK_MAX_WIDTH", "CROSSCHECK_MAX_WEIGHTS", "LAMBDA_MIN", "LAMBDA_MAX",
               "SCALING_MAX_DEPTH", "SCALING_MAX_DEPTHS", "SCALING_MAX_SAMPLES", "SCALING_MAX_DIM", "SCALING_MAX_INPUT_DIM",
               "SCALING_MAX_ORDERS", "SCALING_MAX_SCHEDULES", "SCALING_MAX_BETA", "SCALING_MAX_WEIGHT_SCALE",
               "SCALING_MAX_WORK", "SCALING_MAX_INPUT_WORK", "SCALING_MAX_TAYLOR_BYTES", "SCALING_MAX_FIXUP_BYTES",
               "INT_DIGITS", "NUMBER_CHARS", "EXPONENT_MAX",
               "ARCH_MAX_BYTES", "ARCH_MAX_NODES", "ARCH_MAX_EDGES", "ARCH_MAX_NESTING"}
    not_limits = {"LAYER_OVERHEAD"}  # a cost-model constant of the work limit, not a limit
    assert names - not_limits <= covered, sorted(names - not_limits - covered)
