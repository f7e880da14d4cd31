"""The batched AdamW takes torch.optim.AdamW's steps bit for bit, slice by slice or whole."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from lvdyn.producers._optim import BatchedOptimizer  # noqa: E402

SHAPES = {"embedding": (3, 11, 8), "w_in": (3, 8, 16), "b_in": (3, 16)}


def _problem(dtype: torch.dtype, steps: int) -> tuple[dict, list[dict]]:
    generator = torch.Generator().manual_seed(0)
    params = {k: torch.randn(s, generator=generator, dtype=dtype) for k, s in SHAPES.items()}
    grads = [
        {k: torch.randn(s, generator=generator, dtype=dtype) for k, s in SHAPES.items()}
        for _ in range(steps)
    ]
    return params, grads


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_adamw_equals_torch_optim_adamw_bit_for_bit(dtype) -> None:
    params, grads = _problem(dtype, steps=25)
    settings = {"lr": 0.01, "weight_decay": 0.5, "betas": (0.9, 0.98), "eps": 1e-8}
    reference = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    torch_adamw = torch.optim.AdamW(list(reference.values()), foreach=False, **settings)
    ours = BatchedOptimizer(kind="adamw", **settings)
    state = ours.init_state(params)
    for grad in grads:
        for name, value in reference.items():
            value.grad = grad[name].clone()
        torch_adamw.step()
        ours.step(params, grad, state)
    for name in params:
        # the same operations in the same order on the same values: equal, not close
        assert torch.equal(params[name], reference[name].detach()), name


def test_an_update_slice_by_slice_equals_one_update_of_all_runs() -> None:
    params, grads = _problem(torch.float64, steps=5)
    sliced = {k: v.clone() for k, v in params.items()}
    optimizer = BatchedOptimizer(kind="adamw", lr=0.01, weight_decay=0.5)
    whole_state, sliced_state = optimizer.init_state(params), optimizer.init_state(sliced)
    for grad in grads:
        optimizer.step(params, grad, whole_state)
        n = optimizer.advance(sliced_state)
        for runs in (slice(0, 1), slice(1, 3)):  # as two chunks on two workers
            optimizer.update(sliced, grad, sliced_state, n, runs)
    for name in params:
        assert torch.equal(params[name], sliced[name]), name


def test_sgd_applies_decoupled_decay_then_the_gradient() -> None:
    params, grads = _problem(torch.float64, steps=1)
    start = {k: v.clone() for k, v in params.items()}
    optimizer = BatchedOptimizer(kind="sgd", lr=0.1, weight_decay=0.5)
    optimizer.step(params, grads[0], optimizer.init_state(params))
    for name in params:
        expected = start[name] * (1 - 0.1 * 0.5) - 0.1 * grads[0][name]
        # two roundings each way: the same to a few float64 ulps of values of size ~3
        torch.testing.assert_close(params[name], expected, rtol=0, atol=1e-14)
