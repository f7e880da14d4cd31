"""Clock-and-Pizza fitness signals against finite differences of a tiny model."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lvdyn.producers import clockpizza  # noqa: E402
from lvdyn.producers._clockpizza_setup import build_run  # noqa: E402
from lvdyn.producers._fitness import fitness_signals, radial_push  # noqa: E402

P, D, SEED = 7, 8, 3
# the three ways operand a's table is held: shared W_E, a's rows of W_E, embed1 of model X
VARIANTS = {
    "shared": dict(architecture="transformer", n_heads=2),
    "diff_vocab": dict(architecture="transformer", n_heads=2, diff_vocab=True),
    "model_x": dict(architecture="mlp_two_embeddings", mlp_width=16),
}


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def _train(variant: str, **kw: object):
    return clockpizza.train(
        p=P, d_model=D, seeds=[SEED], dtype="float64", progress=False, **VARIANTS[variant], **kw
    )


def _initial_model(ds):
    """The run's network at step 0, rebuilt from its stored settings (same seed, same draw)."""
    import json

    config = json.loads(ds.attrs["producer_config"])
    settings = {k: config[k] for k in ("p", "alpha", "architecture", "d_model", "n_heads",
                                       "n_layers", "activation", "diff_vocab", "eqn_sign",
                                       "mlp_width", "train_fraction", "faithful")}  # fmt: skip
    model, pairs, _ = build_run(settings, SEED)
    return model.double(), pairs


def _norms(table: torch.Tensor) -> np.ndarray:
    return torch.linalg.vector_norm(torch.fft.fft(table, dim=0), dim=1).numpy()[1 : P // 2 + 1]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_loss_push_is_the_gradient_step_growth_of_the_circle(variant: str) -> None:
    ds = _train(variant, steps=2, log_every=1)
    model, pairs = _initial_model(ds)
    # the rebuilt network is the run's: its energies are the logged strength at step 0
    table = model.embedding_table(0).detach()
    np.testing.assert_allclose(2 * _norms(table) ** 2, ds.strength.values[0, 0], rtol=1e-12)
    loss = torch.nn.functional.cross_entropy(model(pairs), pairs.sum(1) % P)
    (grad,) = torch.autograd.grad(loss, model.embedding_parameter(0))
    G = model.embedding_table(0, grad)
    np.testing.assert_allclose(
        ds.grad_strength.values[0, 0], _norms(G), rtol=1e-10
    )  # the same FFT of the same float64 gradient: only rounding differs
    # S_k one plain gradient step away, central differences: the error is O(eta^2) relative
    # (about 1e-8 at eta = 1e-4) and rounding ~1e-16 / 1e-4 = 1e-12, far below 1e-6
    eta = 1e-4
    slope = (_norms(table - eta * G) - _norms(table + eta * G)) / (2 * eta)
    np.testing.assert_allclose(ds.loss_push.values[0, 0], slope, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_update_push_is_adamw_step_growth_without_weight_decay(variant: str) -> None:
    lr, wd = 1e-7, 2.0
    ds = _train(variant, steps=3, log_every=1, lr=lr, weight_decay=wd, warmup=0)
    S = np.sqrt(ds.strength.values[0] / 2)  # strength is the energy 2 S_k^2
    # one AdamW step: S_k(t + 1) = (1 - lr wd) S_k(t) + lr update_push_k + O(lr^2 |U_k|^2 / S_k);
    # |U| entries are <= ~1 so the O(lr) relative remainder is ~1e-6, and rounding of the
    # float64 S (~3, eps 2e-16) divided by lr is ~1e-8: rtol 1e-4 leaves a 100x margin
    measured = (S[1:] - (1 - lr * wd) * S[:-1]) / lr
    np.testing.assert_allclose(ds.update_push.values[0, :-1], measured, rtol=1e-4, atol=1e-6)
    assert np.isnan(ds.update_push.values[0, -1]).all()  # no update after the last step
    # Adam's normalised step is not the gradient's: the two pushes are not proportional
    ratio = ds.update_push.values[0, 0] / ds.loss_push.values[0, 0]
    assert np.ptp(ratio) > 0.1 * np.abs(ratio).max()


def test_signals_are_optional_and_default_on() -> None:
    on = clockpizza.train(p=P, d_model=D, n_heads=2, steps=4, log_every=2, progress=False)
    assert {"loss_push", "grad_strength", "update_push"} <= set(on.data_vars)
    assert on.loss_push.dims == ("run", "step", "component") and on.loss_push.notnull().all()
    off = clockpizza.train(
        p=P, d_model=D, n_heads=2, steps=4, log_every=2, progress=False, fitness_signals=False
    )
    assert not {"loss_push", "grad_strength", "update_push"} & set(off.data_vars)
    np.testing.assert_array_equal(on.strength.values, off.strength.values)  # same training
    with pytest.raises(ValueError, match="fitness_signals"):
        clockpizza.train(p=P, d_model=D, n_heads=2, steps=2, fitness_signals="yes")


def test_radial_push_of_a_rotation_is_zero() -> None:
    # rotating a pure circle within its plane keeps its radius: no radial push, and a radial
    # direction pushes at exactly its own scale
    t = torch.arange(P, dtype=torch.float64)
    angle = 2 * torch.pi * 2 * t / P
    E = torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    rotation = torch.stack([-torch.sin(angle), torch.cos(angle)], dim=1)
    assert torch.allclose(radial_push(E, rotation), torch.zeros(P, dtype=torch.float64))
    push, _ = fitness_signals(E, -3 * E)
    S = torch.linalg.vector_norm(torch.fft.fft(E, dim=0), dim=1)
    assert torch.allclose(push, 3 * S)
