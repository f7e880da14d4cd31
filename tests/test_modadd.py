"""The modular-addition producer: circle strengths, the reference recipe, ensembles, schema."""

from __future__ import annotations

import re

import numpy as np
import pytest

import lvdyn

torch = pytest.importorskip("torch")

from lvdyn.producers import modadd  # noqa: E402
from lvdyn.producers._modadd_reference import reference_train  # noqa: E402

SMALL = {"p": 23, "d_embed": 16, "width": 32, "progress": False}


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _direct_dft_norms(embedding: np.ndarray) -> np.ndarray:
    """S_k by the defining sum, no FFT: ||sum_t E_t exp(-2 pi i k t / p)||_2."""
    p = embedding.shape[0]
    t = np.arange(p)
    phases = np.exp(-2j * np.pi * np.outer(np.arange(p), t) / p)  # (k, t)
    return np.linalg.norm(phases @ embedding, axis=1)


def _survivors(ds, run) -> set[int]:
    final = ds.isel(step=-1).sel(run=run)
    alive = final.strength > 2 * final.strength_mean_all
    return set(ds.component.values[alive.values].tolist())


def test_strength_equals_direct_dft_of_snapshots() -> None:
    ds = modadd.train(**SMALL, steps=40, seeds=[3], dtype="float64", snapshot_steps=[0, 40])
    for step in (0, 40):
        emb = ds.embedding.sel(snapshot_step=step).isel(run=0).values
        full = _direct_dft_norms(emb)
        got = ds.strength.sel(step=step).isel(run=0).values
        # Float64 FFT against the O(p^2) sum: both exact up to rounding (~1e-13 relative).
        np.testing.assert_allclose(got, full[1:12], rtol=1e-12)
        np.testing.assert_allclose(ds.dc_strength.sel(step=step).item(), full[0], rtol=1e-12)
        np.testing.assert_allclose(ds.strength_mean_all.sel(step=step).item(), full.mean())


def test_constructed_two_circle_embedding_survives_exactly_at_its_frequencies() -> None:
    p, d = 23, 8
    t = np.arange(p)
    emb = np.zeros((p, d))
    for col, k in enumerate((3, 7)):
        emb[:, 2 * col] = np.cos(2 * np.pi * k * t / p)
        emb[:, 2 * col + 1] = np.sin(2 * np.pi * k * t / p)
    emb += 1e-3 * np.random.default_rng(0).standard_normal((p, d))
    strengths = modadd.circle_strengths(emb)
    # cos and sin columns each give |F_k| = p / 2, so S_k = p / sqrt(2); the 1e-3 noise
    # moves it by about 1e-3 * sqrt(p * d) / (p / sqrt(2)) < 1e-3 relative.
    np.testing.assert_allclose(strengths[[3, 7, p - 3, p - 7]], p / np.sqrt(2), rtol=1e-2)
    half = strengths[modadd.circle_frequencies(p)]
    alive = modadd.circle_frequencies(p)[half > 2 * strengths.mean()]
    assert alive.tolist() == [3, 7]


def test_run_matches_the_plain_reference_recipe_in_float64() -> None:
    """Same init draws, split and torch.optim.AdamW: trajectories agree to rounding."""
    ref = reference_train(p=23, d_embed=16, width=32, seed=1, steps=150)
    ds = modadd.train(**SMALL, steps=150, seeds=[1], dtype="float64")
    # Differences start at 1e-16 (summation order of the first layer) and stay ~1e-14
    # over 150 AdamW steps; 1e-10 leaves a wide margin yet catches any real divergence.
    np.testing.assert_allclose(ds.strength.isel(run=0).values, ref[:, 1:12], atol=1e-10)
    np.testing.assert_allclose(ds.dc_strength.isel(run=0).values, ref[:, 0], atol=1e-10)


def test_run_inside_an_ensemble_equals_the_run_alone() -> None:
    # Width 64 makes seed 0 form circles by step 500 (width 32 needs longer).
    settings = {**SMALL, "width": 64, "steps": 500, "dtype": "float64", "eval_every": 50}
    alone = modadd.train(**settings, seeds=[0])
    together = modadd.train(**settings, seeds=[3, 0])
    run = alone.run.values[0]
    for name in ("strength", "train_loss", "test_loss", "dc_strength"):
        # Each run's gradient is computed independently; only matmul blocking differs.
        np.testing.assert_allclose(
            together[name].sel(run=run).values, alone[name].isel(run=0).values, atol=1e-10
        )
    survivors = _survivors(alone, run)
    assert survivors  # circles have formed, so the comparison is not vacuous
    assert _survivors(together, run) == survivors


def test_traces_follow_the_schema_and_round_trip(tmp_path) -> None:
    ds = modadd.train(**SMALL, steps=12, seeds=[0, 1], log_every=5, snapshot_steps=[0, 12])
    assert ds.step.values.tolist() == [0, 5, 10, 12]
    assert ds.strength.dims == ("run", "step", "component")
    assert ds.component.values.tolist() == list(range(1, 12))
    assert ds.embedding.dims == ("run", "snapshot_step", "token", "embed_dim")
    assert ds.seed.values.tolist() == [0, 1] and ds.d_embed.values.tolist() == [16, 16]
    assert np.all(np.isfinite(ds.early_gradient.values))
    back = lvdyn.open_traces(lvdyn.save_traces(ds, tmp_path / "t.nc"))
    np.testing.assert_array_equal(back.strength.values, ds.strength.values)
    np.testing.assert_array_equal(back.embedding.values, ds.embedding.values)
    assert '"design": "vary_all"' in back.attrs["producer_config"]


def test_early_gradient_is_the_step_three_to_four_change() -> None:
    ds = modadd.train(**SMALL, steps=6, seeds=[4], dtype="float64")
    s = ds.strength.isel(run=0)
    expected = (s.sel(step=4) - s.sel(step=3)) / s.sel(step=0)
    np.testing.assert_allclose(ds.early_gradient.isel(run=0).values, expected.values)


@pytest.mark.parametrize(
    ("design", "same_start"), [("vary_all", False), ("fix_embedding", True), ("fix_mlp", False)]
)
def test_seed_designs_fix_what_they_say(design, same_start) -> None:
    ds = modadd.train(**SMALL, steps=1, seeds=[1, 2], design=design, init_seed=7)
    s0 = ds.strength.sel(step=0).values
    assert np.array_equal(s0[0], s0[1]) == same_start
    if design == "fix_mlp":
        assert ds.mlp_seed.values.tolist() == [7, 7] and ds.split_seed.values.tolist() == [7, 7]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"design": "fix_everything"}, "`design` must be one of"),
        ({"seeds": [1, 1]}, "distinct"),
        ({"snapshot_steps": [99]}, "`snapshot_steps` must lie in"),
        ({"dtype": "float16"}, "`dtype` must be one of"),
        ({"device": "tpu"}, "`device` must be"),
        ({"p": 2}, "`p` must be an integer >= 3"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, match) -> None:
    settings = {**SMALL, "steps": 5, "seeds": [0], **kwargs}
    with pytest.raises(ValueError, match=match):
        modadd.train(**settings)


def _summed_sgd_reference(p: int, d: int, width: int, seed: int, steps: int) -> np.ndarray:
    """``S_k`` over training of a plain nn.Module: input ``E_a + E_b``, torch.optim.SGD.

    Drawn as the reference recipe draws (seed, then the Linear layers, then ``E``); plain
    SGD's coupled weight decay ``p - lr (g + wd p)`` equals the decoupled ``p (1 - lr wd) -
    lr g`` up to rounding.
    """
    from torch import nn

    from lvdyn.producers._fourier import circle_strengths_torch
    from lvdyn.producers._modadd_model import pair_tokens, split_pairs

    torch.manual_seed(seed)
    sizes = [d, width, width, p]
    layers = [nn.Linear(sizes[i], sizes[i + 1], dtype=torch.float64) for i in range(3)]
    emb = nn.Parameter(torch.normal(0.0, 1.0, size=(p, d), dtype=torch.float64))
    a, b, y = (torch.as_tensor(v) for v in pair_tokens(split_pairs(p, 0.8, seed)[0], p))
    params = [emb, *(w for layer in layers for w in layer.parameters())]
    opt = torch.optim.SGD(params, lr=0.1, weight_decay=0.5)
    out = np.empty((steps + 1, p))
    for step in range(steps + 1):
        out[step] = circle_strengths_torch(emb.detach()).numpy()
        if step == steps:
            break
        hidden = emb[a] + emb[b]
        for layer in layers[:-1]:
            hidden = nn.functional.silu(layer(hidden))
        loss = nn.functional.cross_entropy(layers[-1](hidden), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return out


def test_sum_combine_and_sgd_follow_the_plain_torch_model() -> None:
    ds = modadd.train(
        **SMALL, steps=30, seeds=[0], combine="sum", optimizer="sgd", lr=0.1, dtype="float64"
    )
    ref = _summed_sgd_reference(23, 16, 32, seed=0, steps=30)
    # Float64, the same draws and updates: rounding differences only (~1e-14 over 30 steps).
    np.testing.assert_allclose(ds.strength.isel(run=0).values, ref[:, 1:12], atol=1e-10)
    assert not np.allclose(ref[-1], ref[0], atol=1e-3)  # training moved the embedding


def test_progress_bar_shows_the_live_circle_count(capsys, monkeypatch) -> None:
    # Start from two strong circles (k = 2, 5) and a strong DC row (k = 0) over weak noise:
    # k = 2 and 5 are live (S_k > 2 x the mean over all p rows); frequency 0 is not a circle.
    from lvdyn.producers import _modadd_model

    p, d = SMALL["p"], SMALL["d_embed"]
    t = np.arange(p)[:, np.newaxis]
    emb = 0.05 * np.random.default_rng(0).standard_normal((p, d))
    emb[:, 0:2] += 3 * np.hstack([np.cos(2 * np.pi * 2 * t / p), np.sin(2 * np.pi * 2 * t / p)])
    emb[:, 2:4] += 3 * np.hstack([np.cos(2 * np.pi * 5 * t / p), np.sin(2 * np.pi * 5 * t / p)])
    emb[:, 4:6] += 3.0
    drawn = _modadd_model.init_parameters

    def crafted(arch, seed):  # type: ignore[no-untyped-def]
        return {**drawn(arch, seed), "embedding": torch.as_tensor(emb)}

    monkeypatch.setattr(_modadd_model, "init_parameters", crafted)
    ds = modadd.train(**{**SMALL, "progress": True}, steps=10, seeds=[0])
    err = capsys.readouterr().err
    assert "steps/s" in err and "test acc" in err
    final = ds.isel(step=-1, run=0)
    assert final.dc_strength > 2 * final.strength_mean_all  # k = 0 would count if included
    assert _survivors(ds, ds.run.values[0]) == {2, 5}
    shown = re.findall(r"circles alive (\S+)", err)
    assert shown and float(shown[-1]) == 2.0, f"progress shows {shown[-1:]} live circles, not 2"


def test_progress_off_a_terminal_is_one_plain_line_per_update(capsys) -> None:
    """Off a terminal (pytest's capture) ``progress=None`` prints plain lines, never a bar;
    ``progress=False`` prints nothing."""
    modadd.train(**{**SMALL, "progress": None}, steps=5, seeds=[0])
    err = capsys.readouterr().err
    assert "step 5/5 (100%)" in err and "\x1b[" not in err  # no terminal control codes
    modadd.train(**{**SMALL, "progress": False}, steps=5, seeds=[0])
    assert capsys.readouterr().err == ""


def test_chunked_ensemble_equals_one_batch(monkeypatch) -> None:
    settings = {**SMALL, "steps": 60, "seeds": [0, 1, 2], "dtype": "float64"}
    batched = modadd.train(**settings)
    monkeypatch.setattr(modadd, "_CPU_CHUNK_BYTES", 1)  # one run per chunk
    chunked = modadd.train(**settings)
    # The same per-run arithmetic in smaller batches: equal up to matmul rounding.
    np.testing.assert_allclose(chunked.strength.values, batched.strength.values, atol=1e-10)


def test_fitness_signals_match_finite_differences_of_one_gradient_step():
    """``loss_push`` is the first-order growth of S_k under one plain gradient step per unit lr.

    With SGD, no weight decay and lr = 1e-6, (S_k(1) - S_k(0)) / lr equals loss_push at step 0
    up to the second-order term, O(lr) relative (measured 1e-6): 1e-4 leaves margin while a
    sign error, a wrong frequency or a missing 1/S_k factor is off by O(1).
    """
    lr = 1e-6
    ds = modadd.train(
        p=11, d_embed=8, width=16, steps=1, seeds=[0, 3], progress=False, dtype="float64",
        optimizer="sgd", lr=lr, weight_decay=0.0,
    )  # fmt: skip
    s = ds.strength.values
    finite_difference = (s[:, 1] - s[:, 0]) / lr
    push = ds.loss_push.values[:, 0]
    scale = np.abs(finite_difference).max()
    np.testing.assert_allclose(push, finite_difference, atol=1e-4 * scale)
    # grad_strength is the norm of the gradient's DFT rows: it bounds |loss_push| (Cauchy-Schwarz)
    assert np.all(np.abs(push) <= ds.grad_strength.values[:, 0] * (1 + 1e-12))
    assert ds.loss_push.dims == ("run", "step", "component")


def test_fitness_signals_can_be_switched_off():
    ds = modadd.train(p=7, d_embed=4, width=8, steps=3, seeds=[0], progress=False,
                      fitness_signals=False)  # fmt: skip
    assert "loss_push" not in ds and "grad_strength" not in ds
    with pytest.raises(ValueError, match="`fitness_signals` must be True or False; got 'yes'"):
        modadd.train(p=7, d_embed=4, width=8, steps=3, seeds=[0], fitness_signals="yes")
