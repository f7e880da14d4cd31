"""The networks of the Clock-and-Pizza producer (PyTorch): a one-layer transformer with an
attention rate, and the two MLP-only variants. Imported only by `lvdyn.producers.clockpizza`.

Every network maps the token embeddings ``(batch, 2, d)`` of ``[a, b]`` to logits over the
``p`` classes, so the metrics can differentiate with respect to ``E_a`` and ``E_b``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["ARCHITECTURES", "ClockPizzaNet"]

ARCHITECTURES = ("transformer", "mlp_sum", "mlp_concat")


class _Attention(nn.Module):
    """Multi-head attention whose pattern is ``alpha * softmax(QK^T / sqrt(d_head)) + (1 -
    alpha) * J``, with ``J`` the all-ones matrix (no causal mask), as in the reference code."""

    def __init__(self, d_model: int, n_heads: int, alpha: float) -> None:
        super().__init__()
        self.n_heads, self.d_head, self.alpha = n_heads, d_model // n_heads, alpha
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=False)
        self.out = nn.Linear(d_model, d_model, bias=False)

    def forward(self, x: torch.Tensor, *, last_only: bool = False) -> torch.Tensor:
        """Attention output ``(batch, n, d)``; with ``last_only``, the last position's only."""
        return self.mix(self.qkv(x), last_only=last_only)

    def mix(self, qkv: torch.Tensor, *, last_only: bool = False) -> torch.Tensor:
        """The attention output from the projections ``qkv`` ``(batch, n, 3d)`` of the input."""
        batch, n, three_d = qkv.shape
        q, k, v = qkv.view(batch, n, 3, self.n_heads, self.d_head).unbind(2)
        if last_only:
            q = q[:, -1:]
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # (batch, head, n, d_head)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.d_head)
        pattern = self.alpha * scores.softmax(-1) + (1.0 - self.alpha)
        mixed = (pattern @ v).transpose(1, 2).reshape(batch, q.shape[2], three_d // 3)
        return self.out(mixed)


class ClockPizzaNet(nn.Module):
    """Embedding ``W_E`` (p x d), a body chosen by ``architecture``, unembedding ``W_U``.

    ``"transformer"``: learned positions, one attention layer (rate ``alpha``) and one ReLU
    MLP of width ``4 d``, both residual, no LayerNorm; logits read at the position of ``b``.
    ``"mlp_sum"``: ``ReLU(W (E_a + E_b))``. ``"mlp_concat"``: ``ReLU(W [E_a; E_b])``.
    """

    def __init__(
        self,
        p: int,
        d_model: int,
        *,
        architecture: str,
        alpha: float,
        n_heads: int,
        mlp_width: int,
    ) -> None:
        super().__init__()
        self.architecture = architecture
        self.embed = nn.Parameter(torch.randn(p, d_model) / math.sqrt(d_model))
        self.unembed = nn.Parameter(torch.randn(d_model, p) / math.sqrt(d_model))
        if architecture == "transformer":
            self.pos = nn.Parameter(torch.randn(2, d_model) / math.sqrt(d_model))
            self.attn = _Attention(d_model, n_heads, alpha)
            self.mlp = nn.Sequential(
                nn.Linear(d_model, mlp_width), nn.ReLU(), nn.Linear(mlp_width, d_model)
            )
        else:
            fan_in = 2 * d_model if architecture == "mlp_concat" else d_model
            self.mlp = nn.Sequential(nn.Linear(fan_in, mlp_width), nn.ReLU())
            self.unembed = nn.Parameter(torch.randn(mlp_width, p) / math.sqrt(mlp_width))

    def tokens(self, pairs: torch.Tensor) -> torch.Tensor:
        """Token embeddings ``(batch, 2, d)`` of the pairs ``(batch, 2)``."""
        return self.embed[pairs]

    def logits_from_embeddings(self, emb: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, p)`` from token embeddings ``(batch, 2, d)``."""
        if self.architecture == "transformer":
            x = emb + self.pos
            return self._read_out(x[:, -1:], self.attn.qkv(x))
        if self.architecture == "mlp_sum":
            return self.mlp(emb[:, 0] + emb[:, 1]) @ self.unembed
        return self.mlp(emb.flatten(1)) @ self.unembed

    def _read_out(self, last: torch.Tensor, qkv: torch.Tensor) -> torch.Tensor:
        """Logits from the residual ``(batch, 1, d)`` at the position of ``b`` and ``qkv``.

        Only that position is read out, so only its query, residual and MLP are computed:
        the same function as the whole two-position block, with 40 % fewer FLOPs.
        """
        last = last + self.attn.mix(qkv, last_only=True)
        last = last + self.mlp(last)
        return last[:, 0] @ self.unembed

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, p)`` of the pairs ``(batch, 2)``."""
        if self.architecture != "transformer":
            return self.logits_from_embeddings(self.tokens(pairs))
        # The projections of every token at each position, then gathered: two p x d x 3d
        # products instead of a batch x 2 x d x 3d one (the first-layer identity of modadd).
        tables = [self.attn.qkv(self.embed + self.pos[i]) for i in range(2)]
        qkv = torch.stack([tables[0][pairs[:, 0]], tables[1][pairs[:, 1]]], dim=1)
        last = (self.embed[pairs[:, 1]] + self.pos[1]).unsqueeze(1)
        return self._read_out(last, qkv)
