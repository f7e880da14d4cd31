"""The trainer's logged spectra: one half-DFT matmul gives the strengths and the fitness signals
of their shared definition (`lvdyn.producers._fitness`)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lvdyn.producers import modadd  # noqa: E402
from lvdyn.producers._fitness import fitness_signals  # noqa: E402
from lvdyn.producers._modadd_spectra import half_dft_matrix, spectra  # noqa: E402

SMALL = {"p": 11, "d_embed": 8, "width": 16, "progress": False, "steps": 6}


def _fft_signals(embedding: torch.Tensor, gradient: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The definitions shared by every producer (`lvdyn.producers._fitness`, complex FFTs):
    S_k, -Re<F_k, G_k> / S_k and ||G_k||."""
    strength = torch.linalg.vector_norm(torch.fft.fft(embedding, dim=-2), dim=-1)
    push, size = fitness_signals(embedding, gradient).unbind(dim=-2)
    return strength, push, size


@pytest.mark.parametrize("p", [7, 8, 59])
def test_spectra_equal_the_fft_definitions(p) -> None:
    generator = torch.Generator().manual_seed(p)
    embedding = torch.randn(3, p, 16, generator=generator, dtype=torch.float64)
    gradient = torch.randn(3, p, 16, generator=generator, dtype=torch.float64)
    strengths, signals = spectra(half_dft_matrix(p), embedding, gradient)
    strength, push, size = _fft_signals(embedding, gradient)
    # both sum p terms of size ~1 in float64: they agree to ~1e-14; 1e-12 still catches a
    # wrong row, sign or mirror, which are off by O(1)
    np.testing.assert_allclose(strengths, strength, rtol=1e-12)
    np.testing.assert_allclose(signals[:, 0], push, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(signals[:, 1], size, rtol=1e-12)


def test_a_runs_spectra_do_not_depend_on_its_neighbours_or_on_the_gradient() -> None:
    generator = torch.Generator().manual_seed(0)
    embedding = torch.randn(4, 23, 16, generator=generator)
    gradient = torch.randn(4, 23, 16, generator=generator)
    matrix = half_dft_matrix(23)
    together, signals = spectra(matrix, embedding, gradient)
    alone, alone_signals = spectra(matrix, embedding[2:3], gradient[2:3])
    plain, _ = spectra(matrix, embedding[2:3])
    # bit for bit: the trainer's chunks and its fitness switch must not change the traces
    assert torch.equal(together[2], alone[0]) and torch.equal(alone[0], plain[0])
    assert alone_signals is not None and signals is not None
    assert torch.equal(signals[2], alone_signals[0])


def test_strength_traces_do_not_depend_on_the_fitness_switch() -> None:
    with_signals = modadd.train(**SMALL, seeds=[0, 1])
    without = modadd.train(**SMALL, seeds=[0, 1], fitness_signals=False)
    np.testing.assert_array_equal(with_signals.strength.values, without.strength.values)
    np.testing.assert_array_equal(with_signals.train_loss.values, without.train_loss.values)


def test_zero_strength_gives_zero_push() -> None:
    embedding = torch.zeros(1, 7, 3, dtype=torch.float64)
    gradient = torch.ones(1, 7, 3, dtype=torch.float64)
    strengths, signals = spectra(half_dft_matrix(7), embedding, gradient)
    assert signals is not None
    assert torch.all(strengths == 0) and torch.all(signals[:, 0] == 0)
    # G = 1 everywhere has only a DC row: ||G_0|| = 7 sqrt(3), the others vanish
    np.testing.assert_allclose(signals[0, 1, 0], 7 * np.sqrt(3), rtol=1e-14)
    assert torch.all(signals[0, 1, 1:].abs() < 1e-12)


def test_the_accuracy_shortcut_is_argmax_on_ties_and_nan() -> None:
    # the trainer counts hits with max(dim).indices: the first maximum, as argmax
    generator = torch.Generator().manual_seed(3)
    logits = torch.randint(0, 3, (4, 200, 7), generator=generator).float()  # many ties
    logits[0, 5, 2] = float("nan")
    logits[1, 7, :] = float("nan")
    assert torch.equal(logits.max(dim=-1).indices, logits.argmax(dim=-1))
