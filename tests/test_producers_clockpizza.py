"""The Clock-and-Pizza producer: traces, metrics, and clock and pizza told apart."""

from __future__ import annotations

import numpy as np
import pytest

import lvdyn

torch = pytest.importorskip("torch")

from lvdyn.producers import clockpizza  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def test_traces_and_metric_steps() -> None:
    ds = clockpizza.train(
        p=7, d_model=8, n_heads=2, steps=6, log_every=2, metrics_every=4, incorrect_logit_di=True
    )
    lvdyn.validate_traces(ds)
    assert ds.component.values.tolist() == [1, 2, 3]
    assert ds.step.values.tolist() == [0, 2, 4, 6]
    measured = ds.grad_symmetricity.notnull().values[0].tolist()
    assert measured == [True, False, True, True]  # every 4 steps and the last step
    assert ds.distance_irrelevance_incorrect_logit.notnull().sum() == 3
    assert float(ds.alpha[0]) == 1.0 and int(ds.p[0]) == 7


def test_fourier_energy_of_a_pure_circle() -> None:
    p, k = 11, 3
    t = np.arange(p)
    table = np.stack([np.cos(2 * np.pi * k * t / p), np.sin(2 * np.pi * k * t / p)], axis=1)
    energy, dc = clockpizza.fourier_energy(table)
    # Parseval: total energy p * sum |E|^2 = p * p, all of it at frequency k
    assert np.argmax(energy) == k - 1 and np.isclose(energy.sum(), p * p) and dc < 1e-20


def test_mlp_sum_is_exactly_symmetric() -> None:
    ds = clockpizza.train(
        p=7, d_model=8, architecture="mlp_sum", steps=3, log_every=1, metrics_every=3
    )
    # a function of E_a + E_b has identical gradients in E_a and E_b
    assert float(ds.grad_symmetricity[0, -1]) == pytest.approx(1.0, abs=1e-6)


def test_bad_arguments_name_themselves() -> None:
    with pytest.raises(ValueError, match="`p` must be an odd prime"):
        clockpizza.train(p=9, steps=1)
    with pytest.raises(ValueError, match="`architecture` must be one of"):
        clockpizza.train(p=7, architecture="rnn", steps=1)
    with pytest.raises(ValueError, match="`metrics_every` must be a multiple"):
        clockpizza.train(p=7, d_model=8, steps=4, log_every=3, metrics_every=4)


@pytest.mark.slow
def test_pizza_and_clock_are_told_apart() -> None:
    settings = dict(p=17, d_model=32, steps=400, lr=3e-3, log_every=100, metrics_every=400)
    pizza = clockpizza.train(alpha=0.0, **settings).isel(run=0, step=-1)
    clock = clockpizza.train(alpha=1.0, **settings).isel(run=0, step=-1)
    # both generalise (measured 0.93 and 0.91 test accuracy at 400 steps)
    assert pizza.test_acc > 0.8 and clock.test_acc > 0.8
    # measured GS 0.99 / 0.65 and DI 0.54 / 0.81; the paper's exemplars 0.99 / 0.33, 0.17 / 0.85
    assert pizza.grad_symmetricity > 0.95 > 0.85 > clock.grad_symmetricity
    assert clock.distance_irrelevance - pizza.distance_irrelevance > 0.15


@pytest.mark.parametrize(
    "options",
    [dict(n_layers=1), dict(n_layers=2), dict(n_layers=1, diff_vocab=True, eqn_sign=True)],
    ids=["one-block", "two-blocks", "diff-vocab-eqn-sign"],
)
def test_read_out_shortcut_is_the_whole_transformer_block(options) -> None:
    """The first block gathers per-token projections and the last computes only the
    read-out position; it must be the same function, with the same gradients, as every
    position through every block."""
    from lvdyn.producers._clockpizza_model import PaperTransformer

    torch.manual_seed(0)
    model = PaperTransformer(7, 8, alpha=0.5, n_heads=2, **options).double()
    pairs = torch.cartesian_prod(torch.arange(7), torch.arange(7))

    def whole_block() -> torch.Tensor:
        emb = model.tokens(pairs)
        if model.eqn_sign:
            emb = torch.cat([emb, model.embed.W_E[:, -1].expand(len(pairs), 1, -1)], dim=1)
        x = emb + model.pos_embed.W_pos
        for block in model.blocks:
            x = block(x)  # every position, as a plain transformer computes it
        return x[:, -1] @ model.unembed.W_U

    grads = []
    for logits in (whole_block, lambda: model(pairs)):
        model.zero_grad()
        out = logits()
        (out * torch.linspace(-1, 1, out.numel()).view_as(out).double()).sum().backward()
        grads.append([p.grad.clone() for p in model.parameters()])
    # float64: the same sums in another order agree to ~1e-16 relative; 1e-12 leaves margin
    with torch.no_grad():
        torch.testing.assert_close(model(pairs), whole_block(), rtol=1e-12, atol=1e-12)
    for new, old in zip(grads[1], grads[0], strict=True):
        torch.testing.assert_close(new, old, rtol=1e-12, atol=1e-12)
