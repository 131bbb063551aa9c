"""The Hurst map on Marion et al.'s Figure 7 protocol: shared weights, statistics over networks,
the execution layer (same bytes in-process, with any chunk, on 2 workers, from a checkpoint)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from residual_expansion.cli import main
from residual_expansion.errors import UsageError
from residual_expansion.models.activations import activation
from residual_expansion.models.families import res3
from residual_expansion.scaling import hurst
from residual_expansion.scaling.montecarlo import Model
from residual_expansion.scaling.schedules import power

MODEL = Model("res3", "relu", dim=4, input_dim=3)
BETAS = (0.0, 0.5, 1.2)
HURST_ARGS = ["scaling", "--init", "fbm", "--hurst", "0.3,0.8", "--beta", "0.2:1.2:3", "--depths", "6,12",
              "--networks", "3", "--inputs", "2", "--dim", "4", "--input-dim", "3", "--seed", "5", "--gradients",
              "--format", "json", "--quiet"]


def _direct(model, net, beta, c, depth, i, cotangent):
    """One (network, beta, input) by a plain loop over layers through the modules' value and vjp."""
    phi = activation(model.activation)
    lam = power(beta, c).scales(depth)
    mods = [res3(net.weights[k, 0], net.weights[k, 1], phi) for k in range(depth)]
    h0 = net.h0[i]
    hs = [h0]
    for k, g in enumerate(mods):
        hs.append(hs[-1] + lam[k] * g.value(hs[-1]))
    hl = hs[-1]
    if cotangent == "loss":
        p_l = 2.0 * (net.readout @ hl - net.target[i]) * net.readout
    else:
        p_l = net.noise[i]
    p = p_l
    for k in range(depth - 1, -1, -1):
        p = p + lam[k] * mods[k].vjp(hs[k], p)
    n0, nl = np.linalg.norm(h0), np.linalg.norm(p_l)
    return (np.linalg.norm(hl) / n0, np.linalg.norm(hl - h0) / n0, np.linalg.norm(p) / nl,
            np.linalg.norm(p_l - p) / nl)


@pytest.mark.parametrize("cotangent", ["loss", "random"])
def test_shared_weights_against_a_direct_loop(cotangent):
    """Independent route: every (network, beta, input) of the batched layer loop against a loop over
    layers for that one pair, through the Perceptron modules' value and vjp."""
    depth, inputs, c = 7, 3, 1.3
    block = hurst.simulate_networks(MODEL, 0.7, 2, BETAS, c, [depth], 0, 3, inputs, 11, cotangent)
    for n in range(3):
        net = hurst.draw_network(MODEL, 0.7, depth, inputs, hurst.network_generator(11, 2, n, depth), cotangent)
        for j, b in enumerate(BETAS):
            for i in range(inputs):
                want = _direct(MODEL, net, b, c, depth, i, cotangent)
                got = (block.norm[n, 0, j, i], block.diff[n, 0, j, i], block.back[n, 0, j, i],
                       block.back_diff[n, 0, j, i])
                assert got == pytest.approx(want, rel=1e-12, abs=1e-14)


def test_weights_are_drawn_once_per_network():
    """Every beta and input of a network sees the same weights: with one input and identical betas
    the rows coincide exactly; another network differs."""
    block = hurst.simulate_networks(MODEL, 0.4, 0, (0.5, 0.5), 1.0, [9], 0, 2, 1, 3, None)
    assert np.array_equal(block.diff[:, 0, 0], block.diff[:, 0, 1])
    assert block.diff[0, 0, 0, 0] != block.diff[1, 0, 0, 0]


def test_forward_numbers_do_not_depend_on_the_cotangent():
    runs = [hurst.simulate_networks(MODEL, 0.6, 1, BETAS, 1.0, [5, 9], 0, 3, 2, 0, cot)
            for cot in (None, "loss", "random")]
    for r in runs[1:]:
        assert np.array_equal(r.norm, runs[0].norm) and np.array_equal(r.diff, runs[0].diff)


def test_chunks_do_not_change_a_number():
    args = (MODEL, [0.3, 0.8], BETAS, [6, 12], 5, 2, 7, "loss")
    ref = hurst.run_hurst_map(*args)
    for chunk in (1, 2, 5):
        other = hurst.run_hurst_map(*args, chunk=chunk)
        assert other.heat_forward == ref.heat_forward and other.heat_gradient == ref.heat_gradient
        assert other.sweeps == ref.sweeps and other.measured_forward == ref.measured_forward


def test_network_statistics_use_the_spread_over_networks():
    """Two networks with very different means and tiny spread inside each: the standard error is
    the spread of the network means, far above the naive per-sample one."""
    v = np.array([[1.0, 1.001, 0.999], [3.0, 3.001, 2.999]])
    st = hurst.network_stats(v)
    assert st.mean == pytest.approx(2.0) and st.stderr == pytest.approx(1.0)
    naive = np.std(v.ravel(), ddof=1) / math.sqrt(v.size)
    assert st.stderr > 2 * naive
    # the jackknife standard error of the variance: equal to the closed form for the mean
    lm = hurst.network_log_moments(v)
    assert lm.stderr == st.stderr and lm.var == pytest.approx(np.var(v.ravel(), ddof=1))
    assert lm.stderr_var > 0


def test_heat_row_is_the_mean_of_log10_and_marks_overflow():
    vals = np.array([[[0.1, 10.0], [1.0, 1.0]], [[100.0, 1000.0], [np.inf, 1.0]]])  # (networks, betas, inputs)
    assert hurst.heat_row(vals, np.array([0, 0])) == (pytest.approx((-1 + 1 + 2 + 3) / 4), math.inf)
    assert hurst.heat_row(vals, np.array([4, 0]))[0] == math.inf


def test_blocks_must_cover_the_networks_once():
    b = hurst.simulate_networks(MODEL, 0.5, 0, BETAS, 1.0, [4], 0, 2, 1, 0)
    with pytest.raises(UsageError):
        hurst.join_blocks([b], 3)
    assert hurst.decode_block(json.loads(json.dumps(hurst.encode_block(b)))) .diff.tolist() == b.diff.tolist()


@pytest.mark.parametrize("kwargs", [dict(networks=1), dict(inputs=0), dict(gradients="other"), dict(chunk=0),
                                    dict(hursts=[1.0]), dict(betas=[])])
def test_bad_arguments_name_the_parameter(kwargs):
    base = dict(model=MODEL, hursts=[0.5], betas=[0.5], depths=[4], networks=2, inputs=1, seed=0)
    base.update(kwargs)
    with pytest.raises(UsageError):
        hurst.run_hurst_map(**base)


def _out(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def test_cli_hurst_json_carries_the_protocol(capsys):
    doc = json.loads(_out(capsys, HURST_ARGS))
    assert doc["networks"] == 3 and doc["inputs"] == 2 and doc["samples"] == 6
    assert len(doc["heatmap"]["forward"]) == 2 and len(doc["heatmap"]["forward"][0]) == 3
    assert doc["heatmap"]["depth"] == 12 and doc["heatmap"]["gradient"] is not None
    assert all(r["hurst"] in (0.3, 0.8) and "gradient" in r for r in doc["results"])


def test_cli_checkpoint_and_chunk_print_the_same_bytes(capsys, tmp_path):
    ref = _out(capsys, HURST_ARGS)
    ck = tmp_path / "h.jsonl"
    assert _out(capsys, HURST_ARGS + ["--checkpoint", str(ck), "--chunk", "1"]) == ref
    assert len(ck.read_text().splitlines()) == 3  # header and one line per Hurst index
    assert _out(capsys, HURST_ARGS + ["--checkpoint", str(ck)]) == ref
    other = [a if a != "5" else "6" for a in HURST_ARGS]  # another seed: refused, file untouched
    before = ck.read_bytes()
    assert main(other + ["--checkpoint", str(ck)]) == 2
    assert "different sweep" in capsys.readouterr().err and ck.read_bytes() == before


def test_cli_two_workers_print_the_same_bytes(capsys):
    ref = _out(capsys, HURST_ARGS)
    assert _out(capsys, HURST_ARGS + ["--workers", "2", "--chunk", "2"]) == ref


@pytest.mark.parametrize("extra", [["--samples", "4"], ["--threads", "2"], ["--dtype", "float32"],
                                   ["--histogram", "x.png"]])
def test_cli_hurst_refuses_flags_that_do_not_apply(capsys, extra):
    assert main(HURST_ARGS + extra) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_cli_networks_need_hurst(capsys):
    assert main(["scaling", "--networks", "3", "--quiet"]) == 2
    assert "--hurst" in capsys.readouterr().err


def test_cli_hurst_grid_is_limited(capsys):
    assert main(["scaling", "--init", "fbm", "--hurst", "0.01:0.99:500", "--quiet"]) == 2
    assert "hursts" in capsys.readouterr().err


def test_local_workers_keep_glibc_malloc_defaults_and_run_quiet():
    """Dask's nannies export MALLOC_TRIM_THRESHOLD_=65536 (which turns off glibc's dynamic mmap
    threshold and made a Hurst-map network cost 3.6 s of CPU instead of 0.8 s on a worker), and a
    nanny leaves it in its own process's environment; the clusters run_cells starts unset it
    (and put the caller's environment back) and keep one BLAS thread. Their workers run with
    QUIET_CLUSTER (no statistical profiler, slower tick and system monitor), read back on the
    worker, while the caller's own Dask configuration is left as it was."""
    import os

    import dask
    import distributed  # noqa: F401  (loads the distributed.* defaults into dask.config)

    from residual_expansion.scaling.execution import QUIET_CLUSTER, Backend, Cell, Task, run_cells

    keys = [k for k, _v in QUIET_CLUSTER]
    assert "distributed.worker.profile.enabled" in keys
    defaults = [dask.config.get(k) for k in keys]
    assert defaults != [v for _k, v in QUIET_CLUSTER]  # the test would see a cluster that ignored them
    cell = Cell("env", (Task(os.getenv, ("MALLOC_TRIM_THRESHOLD_",)), Task(os.getenv, ("OMP_NUM_THREADS",)))
                + tuple(Task(dask.config.get, (k,)) for k in keys), list, list, list)
    before = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    os.environ["MALLOC_TRIM_THRESHOLD_"] = "65536"  # as a nanny started earlier in this process leaves it
    try:
        assert run_cells([cell], Backend(workers=1)) == [[None, "1"] + [v for _k, v in QUIET_CLUSTER]]
        assert os.environ["MALLOC_TRIM_THRESHOLD_"] == "65536"
        assert [dask.config.get(k) for k in keys] == defaults
    finally:
        if before is None:
            del os.environ["MALLOC_TRIM_THRESHOLD_"]
        else:
            os.environ["MALLOC_TRIM_THRESHOLD_"] = before
