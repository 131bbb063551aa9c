"""Sweeps on Dask: the same bytes on 2 local workers, on an existing scheduler, and after a worker is killed.

Every cluster listens on 127.0.0.1 only and is closed at the end of its test or module;
every wait is bounded.
"""

from __future__ import annotations

import json
import os
import signal

import pytest

from residual_expansion.cli import main

ARGS = ["scaling", "--model", "res3", "--init", "iid-uniform", "--beta", "0.5,1", "--depths", "8,20",
        "--samples", "12", "--dim", "6", "--input-dim", "5", "--seed", "9", "--format", "json", "--quiet",
        "--chunk", "5"]


def _out(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of 2 single-threaded worker processes on loopback, closed after the module."""
    import logging

    from distributed import Client, LocalCluster

    lc = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
    client = Client(lc, timeout=60)
    try:
        yield lc, client
    finally:
        client.close()
        lc.close()


def test_local_workers_print_the_same_bytes(capsys):
    ref = _out(capsys, ARGS)
    assert _out(capsys, ARGS + ["--workers", "2"]) == ref


def test_existing_scheduler_prints_the_same_bytes(capsys, cluster, tmp_path):
    lc, _client = cluster
    assert lc.scheduler_address.startswith("tcp://127.0.0.1:")
    ref = _out(capsys, ARGS)
    rechunked = ARGS[:-2] + ["--chunk", "1"]  # a repeated option is an error: replace --chunk 5, do not repeat it
    assert _out(capsys, rechunked + ["--scheduler", lc.scheduler_address, "--threads", "2"]) == ref
    # a checkpoint written on the cluster resumes in-process to the same bytes, and back
    ck = tmp_path / "c.jsonl"
    assert _out(capsys, ARGS + ["--scheduler", lc.scheduler_address, "--checkpoint", str(ck)]) == ref
    assert _out(capsys, ARGS + ["--checkpoint", str(ck)]) == ref


def test_killed_worker_does_not_change_the_result(cluster):
    """Kill one worker process by its PID after the first task finished; Dask reruns its tasks."""
    from residual_expansion.scaling.execution import Backend
    from residual_expansion.models.weights import Init
    from residual_expansion.scaling.montecarlo import Model
    from residual_expansion.scaling.schedules import power
    from residual_expansion.scaling.sweep import run_sweep

    lc, client = cluster
    model, init, scheds = Model("res3", dim=8, input_dim=5), Init("iid-uniform"), [power(0.5), power(1.0)]
    ref = run_sweep(model, init, scheds, [30, 60], 40, 4, chunk=1)
    pids = client.run(os.getpid, wait=True)
    assert len(pids) == 2 and os.getpid() not in pids.values()
    victim = sorted(pids.values())[0]
    killed: list[int] = []
    done = [0]

    def progress(n: int) -> None:
        done[0] += 1
        if not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    got = run_sweep(model, init, scheds, [30, 60], 40, 4, chunk=1, progress=progress,
                    backend=Backend(scheduler=lc.scheduler_address))
    assert killed == [victim] and done[0] == 80  # 80 tasks, the kill came after the first
    with pytest.raises(ProcessLookupError):
        os.kill(victim, 0)  # the process is gone
    assert got == ref


def test_slurm_configuration_renders_the_documented_job():
    """docs/examples/slurm_sweep.py: the batch script dask-jobqueue would submit (no SLURM here, so no sbatch)."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "docs" / "examples" / "slurm_sweep.py"
    spec = importlib.util.spec_from_file_location("slurm_sweep", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    cluster = example.make_cluster(scheduler_options={"host": "127.0.0.1", "dashboard_address": "127.0.0.1:0"})
    try:
        script = cluster.job_script()
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    finally:
        cluster.close()
    lines = script.splitlines()
    for want in ("#SBATCH -p compute", "#SBATCH -A my-project", "#SBATCH --cpus-per-task=8", "#SBATCH -t 02:00:00",
                 "source ~/venvs/rex/bin/activate"):
        assert want in lines, want
    assert "export DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False" in lines
    worker = next(line for line in lines if "dask_worker" in line)
    assert worker.startswith(sys.executable) or "python" in worker
    assert "--nthreads 1" in worker and "--nworkers 8" in worker and cluster.scheduler_address in worker


def test_worker_environment_gives_the_local_cluster_settings():
    """The environment variables the SLURM jobs export (execution.worker_environment), read by Dask
    in a fresh process, give every QUIET_CLUSTER value and a nanny pre-spawn environment without
    MALLOC_TRIM_THRESHOLD_ (and Dask's defaults differ, so the check can fail)."""
    import subprocess
    import sys

    from residual_expansion.scaling.execution import QUIET_CLUSTER, worker_environment

    code = ("import json, dask, distributed.nanny as n; import sys; keys = json.loads(sys.argv[1]); "
            "print(json.dumps([[dask.config.get(k) for k in keys], n._get_env_variables('distributed.nanny.pre-spawn-environ')]))")
    keys = [k for k, _v in QUIET_CLUSTER]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASK_")}

    def read(extra):
        out = subprocess.run([sys.executable, "-c", code, json.dumps(keys)], env={**env, **extra}, capture_output=True,
                             text=True, timeout=60, check=True)
        return json.loads(out.stdout)

    values, spawn = read(dict(worker_environment()))
    assert values == [v for _k, v in QUIET_CLUSTER]
    assert "MALLOC_TRIM_THRESHOLD_" not in spawn and spawn["OMP_NUM_THREADS"] == "1"
    defaults, default_spawn = read({})
    assert defaults != values and "MALLOC_TRIM_THRESHOLD_" in default_spawn


# --------------------------------------------------------------------------- every Monte Carlo sweep

GRAD_ARGS = ["scaling", "--model", "res3", "--init", "iid-uniform", "--beta", "0.5,1", "--depths", "6,12",
             "--samples", "10", "--dim", "5", "--input-dim", "4", "--seed", "9", "--gradients", "--cotangent", "random",
             "--format", "json", "--quiet"]
LESION_ARGS = ["lesion", "--model", "linear", "--depth", "12", "--delete", "0,1,3", "--samples", "24", "--dim", "5",
               "--input-dim", "4", "--seed", "4", "--format", "json", "--quiet"]
VERIFY_ARGS = ["verify", "--depth", "4", "--claims", "LESION,COUNT,GRAD-ENERGY", "--format", "json", "--quiet"]


@pytest.mark.parametrize("argv", [GRAD_ARGS, LESION_ARGS], ids=["gradients", "lesion"])
def test_every_sweep_prints_the_same_bytes_everywhere(capsys, cluster, tmp_path, argv):
    """In-process, on the shared cluster with other chunks and threads, from a checkpoint written
    on the cluster and read in-process (twice), and on a local cluster of 2 workers."""
    lc, _client = cluster
    ref = _out(capsys, argv)
    assert json.loads(ref)["all_pass"] in (True, False)
    other_seed = [x if x != "9" and x != "4" else "5" for x in argv]
    assert _out(capsys, other_seed) != ref  # the comparison can fail: another seed prints other numbers
    assert _out(capsys, argv + ["--chunk", "3", "--threads", "2"]) == ref
    assert _out(capsys, argv + ["--scheduler", lc.scheduler_address, "--chunk", "2"]) == ref
    ck = tmp_path / "c.jsonl"
    assert _out(capsys, argv + ["--scheduler", lc.scheduler_address, "--checkpoint", str(ck)]) == ref
    written = ck.read_bytes()
    assert _out(capsys, argv + ["--checkpoint", str(ck), "--chunk", "4"]) == ref
    assert ck.read_bytes() == written  # nothing recomputed, nothing appended
    assert _out(capsys, argv + ["--workers", "2"]) == ref


def test_verify_sends_monte_carlo_claims_to_the_cluster(capsys, cluster):
    """verify --scheduler: the Monte Carlo claims run as tasks on the workers, the report is the same bytes."""
    from distributed import get_task_stream

    lc, client = cluster
    ref = _out(capsys, VERIFY_ARGS)
    assert [r["status"] for r in json.loads(ref)["results"]] == ["PASS"] * 3
    with get_task_stream(client) as ts:
        assert _out(capsys, VERIFY_ARGS + ["--scheduler", lc.scheduler_address]) == ref
    ran = sorted(t["key"].split("-")[0] for t in ts.data)
    assert ran == ["run_claim", "run_claim"]  # LESION and GRAD-ENERGY; COUNT stayed in-process
    assert _out(capsys, VERIFY_ARGS + ["--workers", "2"]) == ref
