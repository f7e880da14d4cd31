"""The thread policy and the trainers' worker threads: same results for any thread count."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest
import xarray as xr

torch = pytest.importorskip("torch")

from lvdyn.producers import clockpizza, modadd  # noqa: E402
from lvdyn.producers._modadd_model import Architecture  # noqa: E402
from lvdyn.producers._threads import (  # noqa: E402
    available_cores,
    thread_budget,
    worker_pool,
)

SMALL = {"p": 11, "d_embed": 8, "width": 16, "progress": False}


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def one_run_per_chunk(monkeypatch):
    """Chunks of one run each, so that three seeds are three pieces of work."""
    monkeypatch.setattr(modadd, "_CPU_CHUNK_BYTES", 1)


def _identical(a: xr.Dataset, b: xr.Dataset) -> None:
    assert set(a.data_vars) == set(b.data_vars)
    for name in a.data_vars:
        # Bit-identical: each chunk runs the same kernels on the same data on one thread.
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def _worker_names(monkeypatch) -> set[str]:
    """Record the names of the threads that run the model's forward pass."""
    names: set[str] = set()
    forward = Architecture.forward

    def recording(self, params, a, b):
        names.add(threading.current_thread().name)
        return forward(self, params, a, b)

    monkeypatch.setattr(Architecture, "forward", recording)
    return names


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_modadd_on_worker_threads_is_bit_identical_to_the_serial_path(
    dtype, one_run_per_chunk, monkeypatch
) -> None:
    settings = {**SMALL, "steps": 25, "seeds": [0, 1, 2], "dtype": dtype, "eval_every": 5}
    serial = modadd.train(**settings, threads=1)
    names = _worker_names(monkeypatch)
    parallel = modadd.train(**settings, threads=3)
    assert any(n.startswith("lvdyn-worker") for n in names)  # the work did leave the caller
    assert "loss_push" in parallel  # the fitness signals come from the workers' gradients
    _identical(serial, parallel)


def test_modadd_resume_on_another_thread_count_is_identical(tmp_path, one_run_per_chunk) -> None:
    path = tmp_path / "ckpt.pt"
    settings = {**SMALL, "seeds": [0, 1, 2], "snapshot_steps": [3, 10], "dtype": "float32"}
    modadd.train(**settings, steps=12, checkpoint=path, checkpoint_every=5, threads=2)
    resumed = modadd.train(**settings, steps=20, checkpoint=path, threads=1)
    straight = modadd.train(**settings, steps=20, threads=3)
    _identical(resumed, straight)


def test_modadd_never_starts_more_workers_than_chunks(one_run_per_chunk) -> None:
    config = modadd._config(
        **{k: v for k, v in SMALL.items() if k != "progress"}, depth=2, activation="silu",
        combine="concat", optimizer="adamw", lr=0.01, weight_decay=0.5, betas=(0.9, 0.999),
        eps=1e-8, train_fraction=0.8, dtype="float32", device="cpu", steps=1, seeds=[0, 1],
        design="vary_all", init_seed=0, log_every=1, eval_every=None, snapshot_steps=(),
        checkpoint_every=10, fitness_signals=True, given_embedding=False,
        freeze_embedding=False, freeze_mlp=False,
    )  # fmt: skip
    assert modadd._new_trainer(config, threads=16).workers == 2
    assert modadd._new_trainer(config, threads=1).workers == 1


def test_modadd_results_do_not_depend_on_the_machines_cores(monkeypatch) -> None:
    # a run's float64 values change at ~1e-14 with the size of its chunk (chunks of 1 and 2
    # runs measured 1.4e-14 apart here), so the chunks must not follow the cores: the same
    # problem on 1 and on 8 allowed cores (affinity, quota) gives the same bits
    from lvdyn.producers import _threads

    monkeypatch.setattr(modadd, "_CPU_MIN_CHUNK_BYTES", 1)  # let a small problem split
    monkeypatch.setattr(_threads, "_cgroup_quota", lambda: None)
    settings = {"p": 23, "d_embed": 32, "width": 48, "steps": 40, "seeds": [0, 1, 2, 3]}
    results = []
    for cores in (1, 8):
        monkeypatch.setattr(_threads.os, "sched_getaffinity", lambda _, n=cores: set(range(n)))
        assert _threads.available_cores() == cores
        results.append(modadd.train(**settings, dtype="float64", progress=False, threads=1))
    _identical(*results)


def test_trainers_restore_the_callers_torch_threads() -> None:
    torch.set_num_threads(2)
    modadd.train(**SMALL, steps=2, seeds=[0, 1], threads=2)
    assert torch.get_num_threads() == 2
    clockpizza.train(p=7, d_model=8, n_heads=2, steps=2, seeds=[0, 1], threads=2)
    assert torch.get_num_threads() == 2


def test_clockpizza_runs_on_worker_threads_are_bit_identical(monkeypatch) -> None:
    settings = {"p": 7, "d_model": 8, "n_heads": 2, "steps": 12, "log_every": 2, "seeds": [0, 1, 2]}
    serial = clockpizza.train(**settings, threads=1)
    parallel = clockpizza.train(**settings, threads=3)
    _identical(serial, parallel)
    alone = clockpizza.train(**{**settings, "seeds": [1]}, threads=1)
    # a run does not depend on the runs beside it (same seed, same draws, same kernels)
    np.testing.assert_array_equal(parallel.strength.values[1], alone.strength.values[0])


def test_thread_budget_follows_the_argument_then_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert thread_budget(5) == 5
    assert thread_budget(None) == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "lots")  # ignored, as OpenMP ignores it
    assert thread_budget(None) == available_cores()
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert thread_budget(None) == available_cores() >= 1


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True])
def test_bad_threads_are_refused_by_name(bad) -> None:
    with pytest.raises(ValueError, match="`threads` must be an integer >= 1"):
        modadd.train(**SMALL, steps=1, seeds=[0], threads=bad)
    with pytest.raises(ValueError, match="`threads` must be an integer >= 1"):
        clockpizza.train(p=7, d_model=8, n_heads=2, steps=1, threads=bad)


def test_worker_pool_keeps_the_order_and_raises_the_workers_errors() -> None:
    with worker_pool(3) as pool:
        assert pool.map(lambda x: 10 * x, range(7)) == [0, 10, 20, 30, 40, 50, 60]
        assert torch.get_num_threads() == 1

        def fail(x: int) -> int:
            raise ArithmeticError(f"piece {x}")

        with pytest.raises(ArithmeticError, match="piece"):
            pool.map(fail, [1, 2])


def test_command_lines_take_threads(tmp_path, capsys) -> None:
    from lvdyn.cli import main

    out = tmp_path / "m.nc"
    small = ["--p", "7", "--d-embed", "4", "--width", "8", "--steps", "2", "--seeds", "0,1"]
    assert main(["train", "modadd", *small, "--threads", "2", "--out", str(out), "-q"]) == 0
    with xr.open_dataset(out) as ds:
        assert ds.sizes["run"] == 2
    for command in (["train", "modadd"], ["train", "clockpizza"], ["demo"]):
        assert main([*command, "--threads", "0", "--out", str(tmp_path / "x")]) == 2
        assert "--threads" in capsys.readouterr().err  # the usage error names the option


_COUNT_THREADS = """
import os, torch
from lvdyn.producers._threads import worker_pool
a = torch.randn(256, 256)
a @ a
before = len(os.listdir("/proc/self/task"))
with worker_pool(2) as pool:
    pool.map(lambda _: (a @ a).sum().item(), range(4))
    print(len(os.listdir("/proc/self/task")) - before)
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc")
def test_workers_run_their_products_on_one_thread_whatever_the_omp_default() -> None:
    # OpenMP keeps its thread count per thread and starts new threads at the environment's
    # default (every core without OMP_NUM_THREADS): unpinned, each worker's products start
    # an OpenMP helper thread on a 2-core machine; pinned, the pool adds its 2 workers only
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env["OMP_NUM_THREADS"] = str(max(2, available_cores()))  # as if the machine had more cores
    out = subprocess.run(
        [sys.executable, "-c", _COUNT_THREADS], env=env, capture_output=True, text=True,
        check=True, timeout=120,
    )  # fmt: skip
    assert int(out.stdout.strip()) == 2
