"""Marion et al.'s Figure 2 with uniform weights on a SLURM cluster, through dask-jobqueue.

Run on the login node (or in a small job of its own): ``python slurm_sweep.py``. It asks
SLURM for 10 jobs of 8 cores, one single-threaded Dask worker per core (80 workers), runs
the sweep on them with a checkpoint (rerun the script after a walltime kill to resume),
and prints the JSON table. Edit the four site settings first. docs/distributed.md.
"""

from __future__ import annotations

SITE = {
    "queue": "compute",  # your partition (#SBATCH -p)
    "account": "my-project",  # your account (#SBATCH -A)
    "python_env": "source ~/venvs/rex/bin/activate",  # the same residual-expansion on every node
    "interface": None,  # e.g. "ib0" when the nodes talk over InfiniBand
}


def make_cluster(**overrides):
    """A SLURMCluster whose every job has 8 cores = 8 worker processes of one thread, 16 GB, 2 hours.

    Each job exports the Dask settings of ``--workers N`` clusters before it starts its workers
    (no statistical profiler, slower monitors, glibc's malloc defaults; docs/distributed.md).
    ``overrides`` replace any SLURMCluster argument (the tests bind the scheduler to 127.0.0.1).
    """
    import shlex

    from dask_jobqueue import SLURMCluster

    from residual_expansion.scaling.execution import worker_environment

    settings = dict(
        queue=SITE["queue"],
        account=SITE["account"],
        cores=8,
        processes=8,
        memory="16GB",
        walltime="02:00:00",
        job_script_prologue=[SITE["python_env"]] + [f"export {k}={shlex.quote(v)}" for k, v in worker_environment()],
        interface=SITE["interface"],
    )
    return SLURMCluster(**{**settings, **overrides})


def main() -> None:
    from distributed import Client

    from residual_expansion.render.sweep_output import render_sweep
    from residual_expansion.scaling.execution import Backend
    from residual_expansion.models.weights import Init
    from residual_expansion.scaling.montecarlo import Model
    from residual_expansion.scaling.schedules import power
    from residual_expansion.scaling.sweep import run_sweep

    cluster = make_cluster()
    cluster.scale(jobs=10)
    client = Client(cluster)
    try:
        client.wait_for_workers(40, timeout=1800)  # start with half; the rest join as SLURM starts them
        sweep = run_sweep(
            Model("res3", "relu", dim=100, input_dim=64), Init("iid-uniform"), [power(0.5)],
            depths=[1000], samples=10_000, seed=0, chunk=50,
            backend=Backend(scheduler=cluster.scheduler_address), checkpoint="figure2.jsonl",
        )
        print(render_sweep(sweep, "json"))
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
