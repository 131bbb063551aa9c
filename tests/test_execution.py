"""The sweep-execution layer without Dask: cells and tasks, checkpoints, the CLI flags."""

from __future__ import annotations

import json
import sys
from operator import add, mul

import numpy as np
import pytest

from residual_expansion.cli import main
from residual_expansion.errors import UsageError
from residual_expansion.scaling import montecarlo, sweep
from residual_expansion.scaling.execution import Backend, Cell, Checkpoint, Task, fingerprint, run_cells
from residual_expansion.models.weights import Init
from residual_expansion.scaling.montecarlo import Model
from residual_expansion.scaling.schedules import power

ARGS = ["scaling", "--model", "res3", "--init", "iid-uniform", "--beta", "0.5,1", "--depths", "8,20",
        "--samples", "12", "--dim", "6", "--input-dim", "5", "--seed", "9", "--format", "json", "--quiet"]


def _run(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_run_cells_in_order_with_reduce():
    cells = [Cell(f"c{i}", (Task(add, (i, 1)), Task(mul, (i, 3))), lambda r: r[0] - r[1], int, int) for i in range(4)]
    assert run_cells(cells) == [1 - 0, 2 - 3, 3 - 6, 4 - 9]
    with pytest.raises(UsageError, match="unique"):
        run_cells(cells + cells[:1])


def test_chunk_threads_and_checkpoint_keep_the_bytes(capsys, tmp_path, monkeypatch):
    code, ref, _ = _run(capsys, ARGS)
    assert code == 0 and json.loads(ref)["results"]
    assert _run(capsys, ARGS + ["--chunk", "5", "--threads", "2"])[1] == ref
    ck = tmp_path / "sweep.jsonl"
    assert _run(capsys, ARGS + ["--checkpoint", str(ck)])[1] == ref
    lines = ck.read_text().splitlines()
    assert len(lines) == 3 and json.loads(lines[0])["fingerprint"] == fingerprint(json.loads(lines[0])["params"])

    # a rerun computes nothing: with the Monte Carlo broken it still prints the same bytes
    def broken(*a, **k):
        raise AssertionError("a finished cell was recomputed")

    monkeypatch.setattr(sweep, "simulate_chunk", broken)
    assert _run(capsys, ARGS + ["--checkpoint", str(ck)])[1] == ref
    monkeypatch.undo()

    # the rerun really reads the file: a tampered stored mean is what gets printed
    tampered = json.loads(lines[1])
    assert tampered["cell"] == "depth=8"
    tampered["result"][0]["ratio"][1] = 123.25
    ck.write_text("\n".join([lines[0], json.dumps(tampered), lines[2]]) + "\n")
    out = json.loads(_run(capsys, ARGS + ["--checkpoint", str(ck)])[1])
    assert out["results"][0]["mean_ratio"] == 123.25

    # an interrupted run (second cell missing, a torn half line) resumes to the same bytes
    ck.write_text(lines[0] + "\n" + lines[1] + "\n" + lines[2][:25])
    assert _run(capsys, ARGS + ["--checkpoint", str(ck)])[1] == ref
    assert ck.read_text().splitlines() == lines


def test_checkpoint_of_another_sweep_is_refused_and_kept(capsys, tmp_path):
    ck = tmp_path / "sweep.jsonl"
    _run(capsys, ARGS + ["--checkpoint", str(ck)])
    before = ck.read_bytes()
    other = [a if a != "9" else "10" for a in ARGS]  # another seed
    code, out, err = _run(capsys, other + ["--checkpoint", str(ck)])
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "written by a different sweep" in err
    assert ck.read_bytes() == before
    # chunk, threads and dtype-free options do not make it another sweep; dtype does
    assert _run(capsys, ARGS + ["--checkpoint", str(ck), "--chunk", "3"])[0] == 0
    assert _run(capsys, ARGS + ["--checkpoint", str(ck), "--dtype", "float32"])[0] == 2
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    code, out, err = _run(capsys, ARGS + ["--checkpoint", str(notes)])
    assert code == 2 and "was not written by residual-expansion" in err and notes.read_text() == "my notes\n"
    assert ck.read_bytes() == before


def test_damaged_checkpoint_line_is_refused(tmp_path):
    ck = Checkpoint(str(tmp_path / "c.jsonl"), {"a": 1})
    ck.append("x", [1.5])
    assert ck.load() == {"x": [1.5]}
    with open(ck.path, "a") as f:
        f.write("{not json}\n")
    with pytest.raises(UsageError, match="line 3 is damaged"):
        ck.load()
    assert Checkpoint(str(tmp_path / "missing.jsonl"), {}).load() == {}


def test_fingerprint_names_every_parameter_that_changes_numbers():
    base = dict(model=Model("res3", dim=6), init=Init("iid-uniform"), schedules=[power(0.5)], depths=[8], samples=12,
                seed=9, route="materialised", orders=None, dtype="float64")
    ref = fingerprint(sweep.sweep_params(**base))
    for key, value in [("model", Model("res3", dim=7)), ("init", Init("smooth")), ("schedules", [power(0.6)]),
                       ("depths", [8, 9]), ("samples", 13), ("seed", 8), ("dtype", "float32")]:
        assert fingerprint(sweep.sweep_params(**{**base, key: value})) != ref, key


@pytest.mark.parametrize("kwargs, message", [
    (dict(workers=2, scheduler="tcp://127.0.0.1:1"), "not both"),
    (dict(workers=0), "workers must be at least 1"),
    (dict(scheduler=" "), "scheduler must be an address"),
])
def test_bad_backend(kwargs, message):
    with pytest.raises(UsageError, match=message):
        Backend(**kwargs)


def _with_options(base: list[str], extra: list[str]) -> list[str]:
    """``base`` with the options of ``extra`` appended, replacing the value of an option
    already in ``base`` (a repeated option is an error)."""
    args = list(base)
    i = 0
    while i < len(extra):
        flag = extra[i]
        has_value = i + 1 < len(extra) and not extra[i + 1].startswith("--")
        if flag in args and has_value:
            args[args.index(flag) + 1] = extra[i + 1]
        else:
            args += extra[i:i + 1 + has_value]
        i += 1 + has_value
    return args


@pytest.mark.parametrize("extra, message", [
    (["--workers", "0"], "is not positive"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "not allowed with argument"),
    (["--chunk", "0"], "is not positive"),
    (["--threads", "0"], "is not positive"),
    (["--dtype", "float32", "--init", "iid-gaussian"], "dtype float32 applies to the materialised route only"),
    (["--workers", "2", "--norm", "pre-rms"], "--workers does not apply to --norm yet"),
    (["--chunk", "3", "--threads", "2", "--scheme", "fixup", "--beta", "0"], "--chunk, --threads do not apply to --scheme fixup"),
    (["--checkpoint", "x.jsonl", "--orders", "2"], "--checkpoint does not apply to --orders with res1/res3"),
])
def test_bad_execution_flags(capsys, extra, message):
    with pytest.raises(SystemExit) as exc:
        code = main(_with_options(ARGS, extra))
        raise SystemExit(code)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_unreachable_scheduler_is_one_line(capsys, monkeypatch):
    from residual_expansion.scaling import execution

    monkeypatch.setattr(execution, "CONNECT_TIMEOUT", 1)
    code, out, err = _run(capsys, ARGS + ["--scheduler", "tcp://127.0.0.1:9"])
    assert code == 2 and out == "" and "cannot be reached" in err and len(err.strip().splitlines()) == 1


def test_reduce_rejects_a_wrong_partition():
    # the reduction checks coverage, so a lost or doubled chunk cannot pass silently
    model, init = Model("res3", dim=6, input_dim=5), Init("iid-uniform")
    cells = sweep.sweep_cells(model, init, [power(0.5)], [6], 10, 1, "materialised", chunk=4)
    (cell,) = cells
    outs = [t.fn(*t.args) for t in cell.tasks]
    assert cell.reduce(outs) == montecarlo.simulate(model, init, [power(0.5)], 6, 10, 1)
    with pytest.raises(UsageError, match="cover"):
        cell.reduce(outs[:-1])


# --------------------------------------------------------------------------- lesion, gradients, verify

LESION = ["lesion", "--model", "res3", "--depth", "10", "--delete", "0,2", "--samples", "16", "--dim", "5",
          "--input-dim", "4", "--seed", "2", "--format", "json", "--quiet"]
GRADS = ARGS + ["--gradients"]


@pytest.mark.parametrize("argv", [ARGS + ["--checkpoint", "CK", "--chunk", "5"], GRADS + ["--threads", "2"], LESION,
                                  ["verify", "--depth", "3", "--claims", "LESION,COUNT", "--quiet"]],
                         ids=["scaling", "gradients", "lesion", "verify"])
def test_running_in_process_does_not_import_dask(argv, tmp_path):
    import subprocess

    argv = [str(tmp_path / "c.jsonl") if a == "CK" else a for a in argv]
    code = (
        "import sys\nfrom residual_expansion.cli import main\n"
        f"assert main({argv!r}) == 0\n"
        "assert not any(m == 'dask' or m.startswith(('dask.', 'distributed')) for m in sys.modules), 'dask imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("argv, other", [
    (LESION, _with_options(LESION, ["--delete", "0,3"])),
    (GRADS, _with_options(GRADS, ["--cotangent", "random"])),
    (GRADS, ARGS),  # a forward sweep is another sweep than a gradient sweep
], ids=["lesion", "gradients", "forward"])
def test_checkpoint_of_another_study_is_refused_and_kept(capsys, tmp_path, argv, other):
    ck = tmp_path / "c.jsonl"
    code, ref, _ = _run(capsys, argv + ["--checkpoint", str(ck)])
    before = ck.read_bytes()
    assert _run(capsys, argv + ["--checkpoint", str(ck), "--chunk", "3"])[1] == ref
    code, out, err = _run(capsys, other + ["--checkpoint", str(ck)])
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "different sweep" in err
    assert ck.read_bytes() == before


def test_checkpoint_resumes_a_gradient_sweep_cell_by_cell(capsys, tmp_path, monkeypatch):
    """A checkpoint holding only the first depth: the rerun computes the second and prints the same bytes."""
    from residual_expansion.scaling import gradients

    ref = _run(capsys, GRADS)[1]
    ck = tmp_path / "g.jsonl"
    _run(capsys, GRADS + ["--checkpoint", str(ck)])
    lines = ck.read_text().splitlines()
    assert len(lines) == 3
    ck.write_text("\n".join(lines[:2]) + "\n" + lines[2][:40])  # the second cell torn by a kill
    calls = []
    real = gradients.gradient_chunk
    monkeypatch.setattr(gradients, "gradient_chunk", lambda *a, **k: calls.append(a[2].shape[1]) or real(*a, **k))
    assert _run(capsys, GRADS + ["--checkpoint", str(ck)])[1] == ref
    assert calls and set(calls) == {20}  # only the torn depth was recomputed
    assert ck.read_text().splitlines()[:2] == lines[:2] and len(ck.read_text().splitlines()) == 3


@pytest.mark.parametrize("argv, extra, message", [
    (GRADS, ["--dtype", "float32"], "gradients run in float64"),
    (LESION, ["--dtype", "float32"], "unrecognized arguments: --dtype"),
    (LESION, ["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "not allowed with argument"),
    (["verify", "--depth", "3"], ["--chunk", "3"], "unrecognized arguments: --chunk"),
])
def test_bad_flags_of_the_other_sweeps(capsys, argv, extra, message):
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(_with_options(argv, extra)))
    err = capsys.readouterr().err
    assert exc.value.code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_thread_groups_join_in_sample_order():
    from residual_expansion.scaling.gradients import gradient_chunk
    from residual_expansion.scaling.lesion import lesion_chunk
    from residual_expansion.scaling.normalized import Norm

    model, init = Model("res3", dim=5, input_dim=4), Init("iid-uniform")
    lams = np.stack([power(0.5).scales(5), power(1.0).scales(5)])
    one = montecarlo.simulate_chunk(model, init, lams, 3, 1, 8, "materialised")
    three = montecarlo.simulate_chunk(model, init, lams, 3, 1, 8, "materialised", threads=3)
    assert one.start == three.start == 1 and np.array_equal(one.norm, three.norm) and np.array_equal(one.bad, three.bad)
    g1, g3 = gradient_chunk(model, init, lams, 3, 1, 8), gradient_chunk(model, init, lams, 3, 1, 8, threads=3)
    assert np.array_equal(g1.back, g3.back) and np.array_equal(g1.forward.diff, g3.forward.diff)
    l1 = lesion_chunk(model, init, Norm(None), lams[0], (0, 2), False, 3, 1, 8)
    l3 = lesion_chunk(model, init, Norm(None), lams[0], (0, 2), False, 3, 1, 8, threads=3)
    assert np.array_equal(l1.change, l3.change)
    # the rows are the samples' own: a shifted range gives the shifted rows, not the same ones
    assert not np.array_equal(one.norm[1:], montecarlo.simulate_chunk(model, init, lams, 3, 1, 7, "materialised").norm[1:])


def test_gradient_sweep_runs_the_networks_of_the_forward_sweep():
    """The forward half of a gradient sweep is the materialised sweep with the same seed (same streams)."""
    from residual_expansion.scaling.gradients import simulate_gradients

    model, init = Model("res3", dim=5, input_dim=4), Init("iid-uniform")
    (fw,), _ = simulate_gradients(model, init, [power(0.5)], 7, 9, 3, "random", chunk=2)
    (run,) = montecarlo.simulate(model, init, [power(0.5)], 7, 9, 3, route="materialised")
    assert fw.route == "materialised-backprop" and (fw.ratio, fw.norm_ratio, fw.log_moments) == (
        run.ratio, run.norm_ratio, run.log_moments)
