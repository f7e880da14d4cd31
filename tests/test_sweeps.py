"""Sweeps: the config, a real 2-worker LocalCluster end to end, resuming, and fit_runs."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import lvdyn
from lvdyn.cli import main
from lvdyn.producers import synthetic
from lvdyn.sweeps import SweepError, fit_runs, load_config, run_sweep

R, A = [1.0, 0.5], [[-1.0, -0.5], [-0.2, -1.0]]
LV_PARAMS = {"r": R, "A": A, "x0": [0.1, 0.1], "steps": 40, "dt": 0.1}
CONFIG = {
    "producer": "synthetic",
    "entry": "lotka_volterra",
    "params": LV_PARAMS,
    "grid": {"noise": [0.01, 0.05]},
    "seeds": {"start": 0, "stop": 13, "step": 3},  # labels of two widths: .../9 and .../12
    "chunk_size": 2,
}
SEEDS = [0, 3, 6, 9, 12]


@pytest.fixture(scope="module")
def worker_env():
    """Workers are fresh processes: let them import the same lvdyn as this test process."""
    root = str(Path(lvdyn.__file__).resolve().parents[1])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
        yield mp


@pytest.fixture(scope="module")
def cluster(worker_env):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    ) as local:
        yield local


def _mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.glob("*.nc"))}


# --- configuration -----------------------------------------------------------------------


def test_unknown_key_names_the_key_and_the_allowed_keys() -> None:
    with pytest.raises(ValueError, match=r"unknown sweep key `seed`; allowed keys are producer"):
        load_config({"producer": "synthetic", "seeds": [0], "seed": 3})


@pytest.mark.parametrize("name", ["../up.nc", "/abs/combined.nc", "a/../../b.nc", "C:\\x.nc"])
def test_paths_from_the_config_stay_inside_the_output_folder(name: str) -> None:
    with pytest.raises(ValueError, match="`combined` must be a path inside the output folder"):
        load_config({"producer": "synthetic", "seeds": [0], "combined": name})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"grid": {"noise": 0.1}}, "`grid.noise` must be a non-empty list"),
        ({"params": {"seeds": [1]}}, "`params.seeds` is not allowed"),
        ({"seeds": [1, 1]}, "`seeds` must be distinct"),
        ({"seeds": {"begin": 0}}, "`seeds` as a range must be a table"),
        ({"chunk_size": 0}, "`chunk_size` must be an integer >= 1"),
        ({"producer": "../evil"}, "`producer` must be a module name"),
        ({"params": {"noise": 0.0}}, "`noise` is in both"),
    ],
)
def test_malformed_configs_name_the_key(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_config({**CONFIG, **change})


def test_tasks_cross_the_grid_and_chunk_the_seeds_with_stable_names(tmp_path: Path) -> None:
    toml = tmp_path / "sweep.toml"
    toml.write_text(
        'producer = "synthetic"\nentry = "lotka_volterra"\nseeds = { start = 0, stop = 5 }\n'
        "chunk_size = 2\n[params]\nsteps = 40\n[grid]\nnoise = [0.01, 0.05]\n"
    )
    tasks = load_config(toml).tasks()
    assert [t.seeds for t in tasks] == [(0, 1), (2, 3), (4,)] * 2
    assert [t.params["noise"] for t in tasks] == [0.01] * 3 + [0.05] * 3
    assert [t.name for t in load_config(toml).tasks()] == [t.name for t in tasks]
    assert len({t.name for t in tasks}) == 6
    fewer = load_config({**CONFIG, "seeds": [0, 1]}).tasks()
    assert fewer[0].name != tasks[0].name  # the settings changed, so does the name


@pytest.mark.parametrize("name", ["sweep_synthetic.toml", "sweep_modadd.toml"])
def test_example_configs_load(name: str) -> None:
    config = load_config(Path(__file__).parents[1] / "examples" / name)
    n_points = int(np.prod([len(values) for values in config.grid.values()]))
    n_chunks = -(-len(config.seeds) // config.chunk_size)
    assert len(config.tasks()) == n_points * n_chunks


# --- end to end on a real local cluster --------------------------------------------------


def test_sweep_runs_on_two_workers_and_resumes(tmp_path: Path, cluster) -> None:
    address = cluster.scheduler_address
    with run_sweep(CONFIG, tmp_path, scheduler=address, progress=False) as ds:
        assert type(ds.strength.data).__module__.startswith("dask")  # opened lazily
        combined = ds.load()
    assert combined.sizes["run"] == 10  # 2 noise levels x 5 seeds, each exactly once
    assert len(set(combined.run.values)) == 10
    pairs = sorted(zip(combined.noise.values.tolist(), combined.seed.values.tolist(), strict=True))
    assert pairs == sorted((n, s) for n in (0.01, 0.05) for s in SEEDS)
    labels = zip(combined.run.values, combined.seed.values, strict=True)
    assert all(str(run).endswith(f"/{seed}") for run, seed in labels)  # none truncated
    # Each run is exactly what the producer gives for its seed (netCDF zlib is lossless).
    run = combined.isel(run=int(np.flatnonzero((combined.seed == 3) & (combined.noise == 0.05))[0]))
    direct = synthetic.lotka_volterra(**LV_PARAMS, noise=0.05, seed=3)
    np.testing.assert_array_equal(run.strength.values, direct.strength.isel(run=0).values)
    assert str(run.run.values).endswith("/3")
    lvdyn.validate_traces(combined)

    parts = tmp_path / "parts"
    before = _mtimes(parts)
    assert len(before) == 6
    victim = sorted(before)[2]
    (parts / victim).unlink()
    with run_sweep(CONFIG, tmp_path, scheduler=address, progress=False) as again:
        xr.testing.assert_equal(again.load(), combined)
    after = _mtimes(parts)
    assert set(after) == set(before)
    assert all(after[name] == before[name] for name in before if name != victim)


@pytest.mark.slow
def test_cli_sweep_starts_a_local_cluster(tmp_path: Path, worker_env) -> None:
    config = tmp_path / "sweep.toml"
    config.write_text(
        'producer = "synthetic"\nentry = "lotka_volterra"\nseeds = [7, 8]\nchunk_size = 1\n'
        "[params]\nr = [1.0, 0.5]\nA = [[-1.0, -0.5], [-0.2, -1.0]]\nx0 = [0.1, 0.1]\n"
        "steps = 20\nnoise = 0.02\n"
    )
    assert main(["sweep", str(config), "--out", str(tmp_path / "out"), "--workers", "2"]) == 0
    ds = lvdyn.open_traces(tmp_path / "out" / "combined.nc")
    assert sorted(ds.seed.values.tolist()) == [7, 8]


def test_cli_sweep_bad_config_is_a_one_line_user_error(tmp_path: Path, capsys) -> None:
    config = tmp_path / "sweep.toml"
    config.write_text('producer = "synthetic"\nseeds = [0]\nworkers = 3\n')
    assert main(["sweep", str(config), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown sweep key `workers`" in err


# --- fitting at scale ----------------------------------------------------------------------


def _lv_runs() -> xr.Dataset:
    x0 = [[0.1, 0.1], [0.3, 0.05], [0.05, 0.4]]
    ds = synthetic.lotka_volterra(r=R, A=A, x0=x0, steps=300, dt=0.02)
    return ds.assign_coords(start=("run", ["low", "high", "high"]))


def test_fit_runs_recovers_each_runs_parameters() -> None:
    fits = fit_runs(_lv_runs(), lvdyn.LotkaVolterra())
    assert fits.sizes["run"] == 3 and list(fits.start.values) == ["low", "high", "high"]
    # Rates are per step, so the true ones are r * dt and A * dt (dt = 0.02). Central
    # differences of log x with dt = 0.02 leave errors of about 1e-5 relative in r and
    # 3e-4 relative in A on these noise-free runs; the tolerances allow several times that.
    np.testing.assert_allclose(fits.growth_rates, np.tile(np.multiply(R, 0.02), (3, 1)), rtol=1e-4)
    np.testing.assert_allclose(
        fits.interaction_matrix, np.tile(np.multiply(A, 0.02), (3, 1, 1)), atol=2e-3 * 0.02
    )
    assert fits.predicted_survivor.values.all()  # the true equilibrium (0.83, 0.33) is interior
    assert (fits.score > 0.999).all()


def test_fit_runs_scores_each_equation_on_its_own_rows_as_fit_traces_fits_them() -> None:
    from lvdyn.fitting._design import traces_design

    # Species 2 dies out (values below 1e-3 written as exact zeros, 173 of 301 samples):
    # its equation loses those samples in the fit, and must not be scored on them either.
    r, A = [1.0, 0.5, -1.0], [[-1.0, -0.5, -0.1], [-0.2, -1.0, -0.1], [0.1, 0.1, -1.0]]
    ds = synthetic.lotka_volterra(r=r, A=A, x0=[[0.2, 0.3, 0.5]], steps=300, dt=0.05)
    x = ds.strength.values
    noisy = x * np.exp(0.01 * np.random.default_rng(0).normal(size=x.shape))
    ds["strength"] = (ds.strength.dims, np.where(x < 1e-3, 0.0, noisy))
    fits = fit_runs(ds, lvdyn.LotkaVolterra(), time="time")
    model = lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds, time="time")
    assert model.zeros_dropped_.tolist() == [0, 0, 173]
    # The same number as score_traces' per-equation R^2 (which uses the fit's masks), averaged.
    scored = lvdyn.score_traces(model, ds, time="time", simulate=False)
    expected = float(np.nanmean(scored.r2_derivative.values))
    assert fits.score.item() == pytest.approx(expected, rel=1e-12)
    # Scoring every row instead (the extinct rows as zeros) gives another number (measured
    # 0.42549 against 0.42522).
    design = traces_design(ds, log=True, time="time")
    assert abs(model.score(design.X, design.y) - expected) > 1e-5


def test_fit_runs_passes_fit_keywords_and_fits_sindy() -> None:
    per_time = fit_runs(_lv_runs(), lvdyn.LotkaVolterra(), time="time")
    np.testing.assert_allclose(per_time.growth_rates, np.tile(R, (3, 1)), rtol=1e-4)
    sindy = fit_runs(_lv_runs(), lvdyn.SINDy(), time="time")
    assert sindy.coef.dims == ("run", "component", "feature")
    # x0' = x0 (1 - x0 - 0.5 x1) = x0 - x0^2 - 0.5 x0 x1. The polynomial fit of x' (not of
    # log x) on these runs is off by up to 4e-3 in these terms; 1e-2 leaves margin.
    expected = {"x0": 1.0, "x0^2": -1.0, "x0 x1": -0.5}
    for feature, value in expected.items():
        np.testing.assert_allclose(sindy.coef.sel(component=0, feature=feature), value, atol=1e-2)


def test_fit_runs_on_the_cluster_matches_in_process_and_groups(cluster) -> None:
    distributed = pytest.importorskip("distributed")
    ds = _lv_runs()
    with distributed.Client(cluster) as client:
        remote = fit_runs(ds, lvdyn.LotkaVolterra(), client=client)
        grouped = fit_runs(ds, lvdyn.LotkaVolterra(), client=client, group_by="start")
    local = fit_runs(ds, lvdyn.LotkaVolterra())
    xr.testing.assert_allclose(remote.drop_attrs(), local.drop_attrs())
    assert list(grouped.start.values) == ["high", "low"]
    np.testing.assert_allclose(
        grouped.growth_rates.sel(start="low"), local.growth_rates.isel(run=0), rtol=1e-12
    )
    with pytest.raises(ValueError, match="`group_by` must name a coordinate on `run`"):
        fit_runs(ds, lvdyn.LotkaVolterra(), group_by="nope")


# --- faults ----------------------------------------------------------------------------------

SLOW_PRODUCER = '''
import os, pathlib, time
from lvdyn.producers import synthetic

def lotka_volterra(*, marker_dir, hold, seed, **params):
    """Signal that this run is being produced (file named pid-noise_seed), then take a while."""
    pathlib.Path(marker_dir, f"{os.getpid()}-{params['noise']}_{seed}").write_text("")
    time.sleep(hold)
    return synthetic.lotka_volterra(seed=seed, **params)
'''


@pytest.mark.slow
def test_a_worker_killed_mid_task_loses_nothing(tmp_path: Path, worker_env, monkeypatch) -> None:
    distributed = pytest.importorskip("distributed")
    package = tmp_path / "code" / "faulty"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "slow_producer.py").write_text(SLOW_PRODUCER)
    out = tmp_path / "out"
    monkeypatch.syspath_prepend(str(tmp_path / "code"))  # found here and on the workers
    worker_env.setenv("PYTHONPATH", f"{tmp_path / 'code'}{os.pathsep}{os.environ['PYTHONPATH']}")
    config = {
        **CONFIG,
        "producer": "faulty.slow_producer",
        # A path keyword: each task gets its own out/tasks/<task>/markers folder.
        "params": {**LV_PARAMS, "marker_dir": "markers", "hold": 1.5},
        "seeds": [0, 1, 2, 3],
    }  # 2 noise levels x 2 chunks of 2 seeds = 4 tasks of about 3 s each
    killed: list[int] = []
    finished = threading.Event()

    def kill_first_worker_seen() -> None:
        while not killed and not finished.is_set():
            found = sorted(out.glob("tasks/*/markers/*"))
            if found:
                pid = int(found[0].name.split("-")[0])
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.05)

    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    ) as local:
        killer = threading.Thread(target=kill_first_worker_seen)
        killer.start()
        try:
            ds = run_sweep(config, out, scheduler=local.scheduler_address, progress=False)
        finally:
            finished.set()
            killer.join()
    with ds:
        combined = ds.load()
    assert len(killed) == 1
    # The killed task was started again elsewhere: the seed the killed worker was running has
    # markers from two processes. (Find it by the killed pid: markers sort by pid, so the
    # first one in name order need not be the killed worker's.)
    names = [m.name.split("-") for m in out.glob("tasks/*/markers/*")]
    killed_seeds = {seed for pid, seed in names if pid == str(killed[0])}
    assert killed_seeds, "the killed worker left no marker"
    for killed_seed in killed_seeds:
        attempts = {pid for pid, seed in names if seed == killed_seed}
        assert len(attempts) >= 2, (killed_seed, attempts)
    # Every (noise, seed) run is in the combined dataset exactly once.
    pairs = sorted(zip(combined.noise.values.tolist(), combined.seed.values.tolist(), strict=True))
    assert pairs == sorted((n, s) for n in (0.01, 0.05) for s in range(4))
    assert len(set(combined.run.values)) == 8
    assert not list((out / "parts").glob(".*.tmp"))  # no half-written part kept


def test_an_unknown_producer_fails_before_any_task_runs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'lvdyn\.producers\.nosuch' was not found"):
        run_sweep({**CONFIG, "producer": "nosuch"}, tmp_path, progress=False)
    assert not list((tmp_path / "parts").glob("*.nc"))


def test_failed_tasks_raise_and_keep_the_finished_parts(tmp_path: Path, cluster) -> None:
    config = {
        **CONFIG,
        "params": {k: v for k, v in LV_PARAMS.items() if k != "x0"},
        "grid": {"x0": [[0.1, 0.1], [-0.1, 0.1]]},  # the second point is invalid
        "seeds": [0, 1],
        "retries": 0,
    }
    with pytest.raises(SweepError, match=r"1 of 2 sweep tasks failed.*`x0` must be positive"):
        run_sweep(config, tmp_path, scheduler=cluster.scheduler_address, progress=False)
    good = load_config(config).tasks()[0]
    assert [p.name for p in (tmp_path / "parts").glob("*.nc")] == [f"{good.name}.nc"]
    assert not (tmp_path / "combined.nc").exists()
