"""The modular-addition MLP as one batched ensemble: every tensor has a leading run axis.

Run ``s`` of the ensemble computes exactly what the reference model computes:

    logits(a, b) = W_out silu(... silu(W_in [E_a; E_b] + b_in) ...) + b_out

The first layer uses the identity ``W_in [E_a; E_b] = (E W_a)[a] + (E W_b)[b]`` (and
``(E W)[a] + (E W)[b]`` when the embeddings are summed), so it costs two ``p x d x width``
products per run instead of ``n_pairs x 2d x width``. The loss is the sum over runs of each
run's mean cross-entropy, so every run receives exactly its own gradient.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "ACTIVATIONS",
    "Architecture",
    "RunSeeds",
    "init_parameters",
    "pair_tokens",
    "split_pairs",
    "stack_runs",
]

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "silu": F.silu,
    "relu": F.relu,
    "gelu": F.gelu,
    "tanh": torch.tanh,
}


@dataclass(frozen=True)
class Architecture:
    """Shapes and nonlinearity shared by every run of an ensemble."""

    p: int
    d_embed: int
    width: int
    depth: int
    activation: str
    combine: str

    @property
    def n_inputs(self) -> int:
        """Number of embedding blocks feeding the first layer: 2 (concat) or 1 (sum)."""
        return 2 if self.combine == "concat" else 1

    def parameter_names(self) -> list[str]:
        """Names of the parameters, in the order torch's ``model.parameters()`` would see."""
        names = ["embedding", "w_in", "b_in"]
        for i in range(1, self.depth):
            names += [f"w_{i}", f"b_{i}"]
        return [*names, "w_out", "b_out"]

    def forward(
        self, params: dict[str, torch.Tensor], a: torch.Tensor, b: torch.Tensor
    ) -> torch.Tensor:
        """Logits of shape ``(S, n, p)`` for the pairs ``a, b`` of shape ``(S, n)``."""
        act = ACTIVATIONS[self.activation]
        emb, w_in = params["embedding"], params["w_in"]
        n_runs, p = emb.shape[0], self.p
        # (S, c, p, width): each token's contribution through each input block.
        blocks = torch.matmul(emb.unsqueeze(1), w_in).reshape(-1, self.width)
        base = (torch.arange(n_runs, device=a.device) * (self.n_inputs * p)).unsqueeze(1)
        first = blocks.index_select(0, (base + a).reshape(-1))
        second = blocks.index_select(0, (base + (self.n_inputs - 1) * p + b).reshape(-1))
        hidden = act((first + second).view(n_runs, -1, self.width) + params["b_in"])
        for i in range(1, self.depth):
            hidden = act(torch.baddbmm(params[f"b_{i}"], hidden, params[f"w_{i}"]))
        return torch.baddbmm(params["b_out"], hidden, params["w_out"])


def _linear_init(
    fan_out: int, fan_in: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """torch.nn.Linear's default init, drawn in float64 in the same order (weight, bias)."""
    gain = math.sqrt(2.0 / (1 + 5.0))  # kaiming_uniform_ with a = sqrt(5)
    bound = math.sqrt(3.0) * gain / math.sqrt(fan_in)
    weight = torch.empty(fan_out, fan_in, dtype=torch.float64)
    weight.uniform_(-bound, bound, generator=generator)
    bias_bound = 1 / math.sqrt(fan_in)
    bias = torch.empty(fan_out, dtype=torch.float64).uniform_(
        -bias_bound, bias_bound, generator=generator
    )
    return weight, bias


def init_parameters(arch: Architecture, seed: int) -> dict[str, torch.Tensor]:
    """One run's float64 parameters, drawn as the reference code draws them.

    ``torch.manual_seed(seed)``, then the Linear layers in order (weight, bias), then
    ``E ~ N(0, 1)`` of shape ``(p, d)``. Weights are returned as ``(fan_in, fan_out)``
    (transposed from torch's layout) for batched matmuls; ``w_in`` is split into the
    blocks acting on ``E_a`` and ``E_b``, shape ``(c, d, width)``.
    """
    generator = torch.Generator().manual_seed(int(seed))
    sizes = [arch.n_inputs * arch.d_embed] + [arch.width] * arch.depth + [arch.p]
    layers = [_linear_init(sizes[i + 1], sizes[i], generator) for i in range(len(sizes) - 1)]
    emb = torch.normal(
        0.0, 1.0, size=(arch.p, arch.d_embed), generator=generator, dtype=torch.float64
    )
    w_in, b_in = layers[0]
    params = {
        "embedding": emb,
        "w_in": w_in.T.reshape(arch.n_inputs, arch.d_embed, arch.width).contiguous(),
        "b_in": b_in.reshape(1, -1),
    }
    for i in range(1, arch.depth):
        weight, bias = layers[i]
        params[f"w_{i}"] = weight.T.contiguous()
        params[f"b_{i}"] = bias.reshape(1, -1)
    weight, bias = layers[-1]
    params["w_out"] = weight.T.contiguous()
    params["b_out"] = bias.reshape(1, -1)
    return params


def fresh_embedding(arch: Architecture, seed: int) -> torch.Tensor:
    """``torch.manual_seed(seed); E ~ N(0, 1)`` as the first draw (the reference's fix_mlp)."""
    generator = torch.Generator().manual_seed(int(seed))
    return torch.normal(
        0.0, 1.0, size=(arch.p, arch.d_embed), generator=generator, dtype=torch.float64
    )


@dataclass(frozen=True)
class RunSeeds:
    """Where one run's random draws come from.

    ``embedding_fresh`` says whether ``E`` is the first draw of ``embedding_seed``'s stream
    (the reference's fix-MLP design) or the draw after the MLP (every other design).
    """

    embedding_seed: int
    embedding_fresh: bool
    mlp_seed: int
    split_seed: int


def stack_runs(
    arch: Architecture, runs: list[RunSeeds], *, dtype: torch.dtype, device: torch.device
) -> dict[str, torch.Tensor]:
    """Stack per-run parameters into tensors with a leading run axis (no autograd)."""
    cache: dict[int, dict[str, torch.Tensor]] = {}

    def drawn(seed: int) -> dict[str, torch.Tensor]:
        if seed not in cache:
            cache[seed] = init_parameters(arch, seed)
        return cache[seed]

    def embedding(run: RunSeeds) -> torch.Tensor:
        if run.embedding_fresh:
            return fresh_embedding(arch, run.embedding_seed)
        return drawn(run.embedding_seed)["embedding"]

    stacked: dict[str, torch.Tensor] = {}
    for name in arch.parameter_names():
        if name == "embedding":
            value = torch.stack([embedding(run) for run in runs])
        else:
            value = torch.stack([drawn(run.mlp_seed)[name] for run in runs])
        stacked[name] = value.to(device=device, dtype=dtype)
    return stacked


def pair_tokens(pairs: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Operands and label of pair indices, in the reference's meshgrid order.

    Pair ``i`` is ``(a, b) = (i % p, i // p)`` with label ``(a + b) % p``.
    """
    a, b = pairs % p, pairs // p
    return a, b, (a + b) % p


def split_pairs(p: int, train_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and test pair indices (see `pair_tokens`), as the reference code draws them.

    ``np.random.seed(seed); np.random.choice(p*p, int(p*p*train_fraction), replace=False)``;
    the test set is the complement in increasing order.
    """
    n_pairs = p * p
    train = np.random.RandomState(int(seed)).choice(
        n_pairs, int(n_pairs * train_fraction), replace=False
    )
    mask = np.ones(n_pairs, dtype=bool)
    mask[train] = False
    return train.astype(np.int64), np.flatnonzero(mask).astype(np.int64)
