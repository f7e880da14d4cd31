"""The reference recipe, written plainly: one ``nn.Module``, ``torch.optim.AdamW``.

This is the paper's training loop without the batching and the first-layer identity of
`lvdyn.producers.modadd`: the inputs are the concatenated embeddings ``[E_a; E_b]`` fed
through an ``nn.Linear(2d, width)``. It exists to check the fast trainer against (tests)
and to time it (benchmarks); use `lvdyn.producers.modadd.train` for real work.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from lvdyn.producers._fourier import circle_strengths_torch
from lvdyn.producers._modadd_model import pair_tokens, split_pairs

__all__ = ["ReferenceMLP", "reference_train"]


class ReferenceMLP(nn.Module):
    """Shared embedding, concatenated inputs, SiLU MLP, untied output (float64 by default)."""

    def __init__(self, p: int, d_embed: int, width: int = 100, depth: int = 2, seed: int = 0):
        super().__init__()
        generator_state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        sizes = [2 * d_embed] + [width] * depth + [p]
        self.linears = nn.ModuleList(
            nn.Linear(sizes[i], sizes[i + 1], dtype=torch.float64) for i in range(len(sizes) - 1)
        )
        self.embedding = nn.Parameter(
            torch.normal(0.0, 1.0, size=(p, d_embed), dtype=torch.float64)
        )
        torch.random.set_rng_state(generator_state)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        x = torch.cat([self.embedding[a], self.embedding[b]], dim=1)
        for layer in self.linears[:-1]:
            x = nn.functional.silu(layer(x))
        return self.linears[-1](x)


def reference_train(
    *,
    p: int,
    d_embed: int,
    seed: int,
    steps: int,
    width: int = 100,
    depth: int = 2,
    lr: float = 0.01,
    weight_decay: float = 0.5,
    dtype: torch.dtype = torch.float64,
) -> np.ndarray:
    """Train one model; return ``S_k`` for ``k = 0..p-1`` at steps ``0..steps``."""
    model = ReferenceMLP(p, d_embed, width, depth, seed).to(dtype)
    train_pairs, _ = split_pairs(p, 0.8, seed)
    a, b, y = (torch.as_tensor(v) for v in pair_tokens(train_pairs, p))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, foreach=False)
    out = np.empty((steps + 1, p))
    for step in range(steps + 1):
        with torch.no_grad():
            out[step] = circle_strengths_torch(model.embedding.detach()).double().numpy()
        if step == steps:
            break
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(a, b), y)
        loss.backward()
        opt.step()
    return out
