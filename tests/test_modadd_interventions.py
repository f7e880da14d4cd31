"""Given and frozen embeddings, and interventions on circles, in the modadd producer."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lvdyn.producers import modadd  # noqa: E402
from lvdyn.producers._checkpoint import load_checkpoint  # noqa: E402
from lvdyn.producers._modadd_trainer import EnsembleTrainer  # noqa: E402

SMALL = {"p": 23, "d_embed": 16, "width": 32, "progress": False, "fitness_signals": False}
DRAW = {"p": 23, "d_embed": 16, "width": 32}


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _initial_trainer(tmp_path, **kwargs) -> EnsembleTrainer:
    """The trainer `modadd.train` builds for these settings, before any update."""
    path = tmp_path / "config.pt"
    modadd.train(**SMALL, steps=1, checkpoint=path, resume=False, **kwargs)
    _, config = load_checkpoint(path)
    given = kwargs.get("initial_embedding")
    return modadd._new_trainer(config, given=None if given is None else np.asarray(given))


# ----- intervene -----------------------------------------------------------------------------
def test_boost_scales_exactly_the_target_and_its_mirror() -> None:
    E = np.random.default_rng(1).normal(size=(59, 128))
    before = modadd.circle_strengths(E)
    after = modadd.circle_strengths(modadd.intervene(E, boost={7: 1.6}))
    factor = np.ones(59)
    factor[[7, 52]] = 1.6
    # one FFT round trip in float64: relative error ~1e-15 per entry; 1e-12 leaves room
    np.testing.assert_allclose(after, before * factor, rtol=1e-12)


def test_remove_zeroes_the_target_and_leaves_the_rest() -> None:
    E = np.random.default_rng(2).normal(size=(2, 59, 32))
    before = modadd.circle_strengths(E)
    after = modadd.circle_strengths(modadd.intervene(E, remove=[3, 29]))
    zeroed = [3, 56, 29, 30]
    # a zeroed row is exactly 0 before the inverse FFT; rounding leaves ~1e-14 of |E|
    assert np.all(after[:, zeroed] < 1e-10)
    keep = np.setdiff1d(np.arange(59), zeroed)
    np.testing.assert_allclose(after[:, keep], before[:, keep], rtol=1e-12)


def test_an_added_circle_is_a_genuine_circle_of_the_asked_strength() -> None:
    p, k = 31, 4
    E = modadd.intervene(np.zeros((p, 16)), add={k: 50.0}, seed=3)
    strengths = modadd.circle_strengths(E)
    np.testing.assert_allclose(strengths[[k, p - k]], 50.0, rtol=1e-12)
    assert np.all(np.delete(strengths, [k, p - k]) < 1e-10)
    # every token sits at the same distance from the centre (a circle, not a segment) and
    # consecutive tokens are k steps apart in angle
    radii = np.linalg.norm(E, axis=1)
    np.testing.assert_allclose(radii, radii[0], rtol=1e-12)
    u, v = np.linalg.svd(E, full_matrices=False)[2][:2]
    angles = np.angle((E @ u) + 1j * (E @ v))
    turn = np.abs(np.angle(np.exp(1j * np.diff(angles))))  # wrapped to [0, pi]
    np.testing.assert_allclose(turn, 2 * np.pi * k / p, rtol=1e-10)


def test_construct_embedding_has_the_chosen_circles_over_noise() -> None:
    E = modadd.construct_embedding(59, 128, {2: 80.0, 9: 40.0}, noise=1e-3, seed=0)
    strengths = modadd.circle_strengths(E)
    np.testing.assert_allclose(strengths[[2, 9]], [80.0, 40.0], rtol=1e-12)
    # background circles: noise * sqrt(p d) = 0.087 on average; 0.2 is far above its spread
    assert np.all(np.delete(strengths[1:30], [1, 8]) < 0.2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"boost": {0: 2.0}}, "integers in 1..29"),
        ({"boost": {30: 2.0}}, "integers in 1..29"),
        ({"boost": {3: -1.0}}, "finite number >= 0"),
        ({"boost": {3: 2.0}, "remove": [3]}, "named twice"),
        ({"add": {True: 1.0}}, "integers in 1..29"),
    ],
)
def test_intervene_rejects_bad_arguments(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        modadd.intervene(np.ones((59, 4)), **kwargs)


# ----- given and frozen embeddings ------------------------------------------------------------
def test_seed_embedding_is_the_embedding_train_starts_from() -> None:
    ds = modadd.train(**SMALL, dtype="float64", steps=0, seeds=[4], snapshot_steps=[0])
    np.testing.assert_array_equal(ds.embedding.values[0, 0], modadd.seed_embedding(4, **DRAW))
    fixed = modadd.train(
        **SMALL, dtype="float64", steps=0, seeds=[4], snapshot_steps=[0], design="fix_mlp"
    )
    np.testing.assert_array_equal(
        fixed.embedding.values[0, 0], modadd.seed_embedding(4, **DRAW, design="fix_mlp")
    )


def test_an_intervention_changes_only_its_circle_at_step_zero() -> None:
    base = modadd.seed_embedding(0, **DRAW)
    boosted = modadd.intervene(base, boost={5: 1.5})
    ds = modadd.train(
        **SMALL, dtype="float64", steps=3, seeds=[0, 0], initial_embedding=np.stack([base, boosted])
    )
    s0 = ds.strength.isel(step=0).values
    ratio = s0[1] / s0[0]
    # float64 throughout; the FFT round trip costs ~1e-15 relative
    np.testing.assert_allclose(ratio[ds.component.values == 5], 1.5, rtol=1e-12)
    np.testing.assert_allclose(ratio[ds.component.values != 5], 1.0, rtol=1e-12)
    assert ds.embedding_source.values[0].startswith("given:")
    assert len(set(ds.run.values)) == 2


def test_paired_runs_share_everything_but_the_embedding(tmp_path) -> None:
    base = modadd.seed_embedding(3, **DRAW)
    removed = modadd.intervene(base, remove=[2])
    ds = modadd.train(**SMALL, steps=0, seeds=[3, 3], initial_embedding=np.stack([base, removed]))
    for name in ("seed", "mlp_seed", "split_seed"):
        assert ds[name].values[0] == ds[name].values[1]
    trainer = _initial_trainer(tmp_path, seeds=[3, 3], initial_embedding=[base, removed])
    for name, value in trainer.params.items():
        if name != "embedding":
            torch.testing.assert_close(value[0], value[1], rtol=0, atol=0)
    for part in (trainer.train_split, trainer.test_split):
        assert torch.equal(part.a[0], part.a[1]) and torch.equal(part.y[0], part.y[1])
    # the control of the pair is bit for bit the run drawn from the seed alone
    alone = modadd.train(**SMALL, steps=20, seeds=[3])
    paired = modadd.train(**SMALL, steps=20, seeds=[3, 3], initial_embedding=[base, removed])
    np.testing.assert_array_equal(paired.strength.values[0], alone.strength.values[0])
    np.testing.assert_array_equal(paired.train_loss.values[0], alone.train_loss.values[0])


def test_a_frozen_embedding_stays_bit_identical() -> None:
    ds = modadd.train(
        **SMALL, steps=30, seeds=[0, 1], freeze_embedding=True, snapshot_steps=[0, 30]
    )
    np.testing.assert_array_equal(ds.embedding.values[:, 0], ds.embedding.values[:, 1])
    np.testing.assert_array_equal(
        ds.strength.values, np.broadcast_to(ds.strength.values[:, :1], ds.strength.shape)
    )
    assert bool(ds.freeze_embedding.values.all())
    # the MLP did learn: the training loss fell
    assert np.all(ds.train_loss.values[:, -1] < ds.train_loss.values[:, 0])


def test_a_frozen_mlp_stays_bit_identical(tmp_path) -> None:
    path = tmp_path / "frozen.pt"
    ds = modadd.train(**SMALL, steps=10, seeds=[0], checkpoint=path, freeze_mlp=True)
    tensors, _ = load_checkpoint(path)
    start = _initial_trainer(tmp_path, seeds=[0], freeze_mlp=True)
    for name, value in start.params.items():
        saved = tensors[f"param.{name}"]
        if name == "embedding":
            assert not torch.equal(saved, value)
        else:
            torch.testing.assert_close(saved, value, rtol=0, atol=0)
    assert bool(ds.freeze_mlp.values.all())


def test_a_resumed_intervention_run_equals_an_uninterrupted_one(tmp_path) -> None:
    def boosted(seed: int) -> np.ndarray:
        return modadd.intervene(modadd.seed_embedding(seed, **DRAW), boost={3: 1.8})

    settings = {**SMALL, "seeds": [0, 1], "initial_embedding": boosted, "freeze_embedding": False}
    path = tmp_path / "run.pt"
    modadd.train(**settings, steps=15, checkpoint=path, checkpoint_every=5)
    resumed = modadd.train(**settings, steps=30, checkpoint=path)
    straight = modadd.train(**settings, steps=30)
    np.testing.assert_array_equal(resumed.strength.values, straight.strength.values)
    np.testing.assert_array_equal(resumed.train_loss.values, straight.train_loss.values)
    # another initial embedding does not resume this checkpoint
    with pytest.raises(ValueError, match="initial_embedding"):
        modadd.train(**{**settings, "initial_embedding": None}, steps=30, checkpoint=path)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"initial_embedding": np.zeros((5, 5))}, r"got shape \(5, 5\)"),
        ({"initial_embedding": np.full((23, 16), np.nan)}, "finite"),
        ({"initial_embedding": lambda s: np.zeros(3)}, "returned shape"),
        ({"freeze_embedding": True, "freeze_mlp": True}, "nothing would train"),
        ({"seeds": [0, 0]}, "distinct unless"),
        ({"seeds": [0, 0], "initial_embedding": np.zeros((23, 16))}, "repeat a run"),
    ],
)
def test_bad_embedding_options_are_refused(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        modadd.train(**{**SMALL, "steps": 1, "seeds": [0], **kwargs})


# ----- studies -------------------------------------------------------------------------------
def test_wilson_interval_matches_its_closed_form() -> None:
    from lvdyn.producers.modadd_interventions import wilson_interval

    z = 1.959963984540054
    # 0 of n: the upper end is z^2 / (n + z^2) exactly
    assert wilson_interval(0, 8) == (0.0, pytest.approx(z**2 / (8 + z**2), rel=1e-12))
    low, high = wilson_interval(5, 10)
    assert low == pytest.approx(1 - high, rel=1e-12) and 0.23 < low < 0.24  # 0.2366


def test_dose_response_perturbs_only_the_target_of_each_seed() -> None:
    from lvdyn.producers import modadd_interventions as mi

    study = mi.dose_response(
        seeds=[0, 1], factors=[0.0, 2.0], steps=40, window=40, **SMALL, dtype="float64"
    )
    traces, table = study.traces, study.table
    assert len(table) == 4 and set(table.factor) == {0.0, 2.0}
    controls = traces.isel(run=traces.intervention.values == "control")
    alive = mi.final_survivors(controls)
    for i in range(traces.sizes["run"]):
        run = traces.isel(run=i)
        if str(run.intervention.values) == "control":
            continue
        j = int(np.flatnonzero(controls.seed.values == run.seed.values)[0])
        k = int(run.target.values)
        assert not bool(alive.isel(run=j).sel(component=k))  # drawn among non-survivors
        ratio = run.strength.isel(step=0).values / controls.strength.isel(run=j, step=0).values
        expected = np.where(traces.component.values == k, float(run.factor.values), 1.0)
        # float64 FFT round trip: ~1e-15 relative; a removed circle keeps ~1e-15 of |E|
        np.testing.assert_allclose(ratio, expected, rtol=1e-12, atol=1e-12)
        assert int(run.mlp_seed.values) == int(controls.mlp_seed.values[j])
    for column in ("pred_ecology", "pred_mean_field", "pred_lv", "target_survived", "entered"):
        assert column in table
    # the invasion readout is for removals only
    assert table[table.factor == 2.0].pred_entered_invasion.isna().all()
    summary = mi.summarise(table)
    assert summary.n.tolist() == [2, 2]
    assert np.all((summary.p_low <= summary.p_survive) & (summary.p_survive <= summary.p_high))


def test_dose_response_rejects_bad_arguments() -> None:
    from lvdyn.producers import modadd_interventions as mi

    with pytest.raises(ValueError, match="target"):
        mi.dose_response(seeds=[0], factors=[1.0], target="winner", steps=1, **SMALL)
    with pytest.raises(ValueError, match="factors"):
        mi.dose_response(seeds=[0], factors=[-1.0], steps=1, **SMALL)


def test_cli_experiment_and_frozen_training(tmp_path) -> None:
    from lvdyn.cli import main

    folder = tmp_path / "study"
    args = ["experiment", "modadd", "--out", str(folder), "--factors", "2", "--seeds", "0-1"]
    args += ["--steps", "30", "--p", "23", "--d-embed", "16", "--width", "32", "--quiet"]
    assert main(args) == 0
    for name in ("traces.nc", "runs.csv", "summary.csv", "summary.json", "dose_response.png"):
        assert (folder / name).stat().st_size > 0
    E = modadd.seed_embedding(0, **DRAW)
    np.save(tmp_path / "E.npy", E)
    out = tmp_path / "frozen.nc"
    args = ["train", "modadd", "--out", str(out), "--steps", "5", "--p", "23", "--d-embed"]
    args += ["16", "--width", "32", "--initial-embedding", str(tmp_path / "E.npy")]
    assert main([*args, "--freeze-embedding", "--quiet"]) == 0
    import lvdyn

    ds = lvdyn.open_traces(out)
    assert bool(ds.freeze_embedding.values.all())
    np.testing.assert_array_equal(ds.strength.values[0, -1], ds.strength.values[0, 0])
    assert main([*args[:-1], str(tmp_path / "missing.npy"), "--quiet"]) == 2


def test_a_checkpoint_from_before_these_options_still_resumes(tmp_path) -> None:
    from lvdyn.producers._checkpoint import save_checkpoint

    path = tmp_path / "old.pt"
    modadd.train(**SMALL, steps=5, seeds=[0], checkpoint=path)
    tensors, config = load_checkpoint(path)
    for key in ("freeze_embedding", "freeze_mlp", "initial_embedding"):
        del config[key]
    save_checkpoint(path, tensors, config)
    resumed = modadd.train(**SMALL, steps=10, seeds=[0], checkpoint=path)
    straight = modadd.train(**SMALL, steps=10, seeds=[0])
    np.testing.assert_array_equal(resumed.strength.values, straight.strength.values)
