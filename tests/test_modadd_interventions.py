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
    return modadd._new_trainer(config, None if given is None else np.asarray(given))


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
