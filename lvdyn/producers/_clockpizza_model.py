"""The networks of the Clock-and-Pizza producer, in the layout of the paper's code.

Parameter names and shapes are those of ``code/train-main.py`` (the transformer) and
``code/train-linear.py`` (the MLP-only models) of Zhong et al. (2023), so the released state
dicts load with ``load_state_dict``:

* `PaperTransformer`: ``embed.W_E`` (d, vocab), ``pos_embed.W_pos`` (n_ctx, d), per block
  ``blocks.{i}.attn.W_Q/W_K/W_V`` (heads, d_head, d), ``blocks.{i}.attn.W_O``
  (d, heads * d_head), the unused ``blocks.{i}.attn.mask`` buffer, ``blocks.{i}.mlp.W_in``
  (4d, d), ``b_in``, ``W_out`` (d, 4d), ``b_out``, and ``unembed.W_U`` (d, vocab);
* `PaperMLP`: ``embed.weight`` (p, d_embed) (``embed1.weight`` and ``embed2.weight`` for the
  paper's model X), ``l1`` (and ``l2`` for its models B and C) ``nn.Linear`` layers,
  ``unembed.weight`` (p, hidden), logits ``h @ unembed.weight.T``.

Both follow the `TokenModel` protocol of the metrics: ``tokens(pairs)`` gives the embeddings
``(batch, 2, d)`` of ``[a, b]`` and ``logits_from_embeddings`` maps them to logits. Imported
only by `lvdyn.producers.clockpizza`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "ARCHITECTURES", "MLP_COMBINES", "PaperMLP", "PaperTransformer"]

ARCHITECTURES = ("transformer", "mlp_sum", "mlp_concat", "mlp_shared_layer", "mlp_two_embeddings")
MLP_COMBINES = ("sum", "concat", "shared_layer")
ACTIVATIONS = ("ReLU", "GeLU")
_ACT = {"ReLU": torch.relu, "GeLU": torch.nn.functional.gelu}


def _gather(table: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``table[index]``, its gradient summed per row by the embedding kernel (faster than
    indexing's on a CPU)."""
    rows = torch.nn.functional.embedding(index, table.reshape(table.shape[0], -1))
    return rows.view(index.shape[0], *table.shape[1:])


def _randn(*shape: int, fan: int) -> nn.Parameter:
    """``N(0, 1) / sqrt(fan)``, as the paper's code draws its weights."""
    return nn.Parameter(torch.randn(*shape) / math.sqrt(fan))


def _uniform_(tensor: torch.Tensor, fan_in: int) -> None:
    """The default ``nn.Linear`` draw, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (lvdyn's old init)."""
    with torch.no_grad():
        bound = 1.0 / math.sqrt(fan_in)
        tensor.uniform_(-bound, bound)


class _Embed(nn.Module):
    """Holds ``W_E`` (d, vocab), the paper's ``Embed``."""

    def __init__(self, d: int, vocab: int) -> None:
        super().__init__()
        self.W_E = _randn(d, vocab, fan=d)


class _PosEmbed(nn.Module):
    """Holds ``W_pos`` (n_ctx, d), the paper's ``PosEmbed``."""

    def __init__(self, n_ctx: int, d: int) -> None:
        super().__init__()
        self.W_pos = _randn(n_ctx, d, fan=d)


class _Unembed(nn.Module):
    """Holds ``W_U`` (d, vocab), the paper's ``Unembed``."""

    def __init__(self, d: int, vocab: int) -> None:
        super().__init__()
        self.W_U = _randn(d, vocab, fan=vocab)


class _Attention(nn.Module):
    """Pattern ``alpha * softmax(QK^T / sqrt(d_head)) + (1 - alpha) * J`` (J all ones, no mask)."""

    def __init__(self, d: int, heads: int, d_head: int, n_ctx: int, alpha: float) -> None:
        super().__init__()
        self.W_K = _randn(heads, d_head, d, fan=d)
        self.W_Q = _randn(heads, d_head, d, fan=d)
        self.W_V = _randn(heads, d_head, d, fan=d)
        self.W_O = _randn(d, heads * d_head, fan=d)
        self.register_buffer("mask", torch.tril(torch.ones(n_ctx, n_ctx)))  # stored, never used
        self.alpha, self.d_head = alpha, d_head

    def forward(self, x: torch.Tensor, *, last_only: bool = False) -> torch.Tensor:
        """Output ``(batch, n, d)``; with ``last_only``, the last position's ``(batch, 1, d)``."""
        q = torch.einsum("hed,bnd->bhne", self.W_Q, x[:, -1:] if last_only else x)
        k, v = (torch.einsum("hed,bnd->bhne", w, x) for w in (self.W_K, self.W_V))
        return self._attend(q, k, v)

    def from_tables(
        self, tables: list[torch.Tensor], index: torch.Tensor, *, last_only: bool = False
    ) -> torch.Tensor:
        """`forward` of the input whose position ``i`` is ``tables[i][index[:, i]]``.

        Each row of a table is projected once and the projections are gathered: a few
        ``vocab x d x d`` products instead of ``batch x d x d`` ones (the same sums; in
        float32 they may round differently).
        """
        n = index.shape[1]

        def project(w: torch.Tensor, positions: range) -> torch.Tensor:
            rows = [
                _gather(torch.einsum("hed,td->the", w, tables[i]), index[:, i]) for i in positions
            ]
            return torch.stack(rows, dim=2)  # (batch, heads, positions, d_head)

        q = project(self.W_Q, range(n - 1 if last_only else 0, n))
        return self._attend(q, project(self.W_K, range(n)), project(self.W_V, range(n)))

    def _attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """The output from the queries, keys and values ``(batch, heads, n, d_head)``.

        With two or three positions the products are written out as broadcast sums: a
        batched matmul of ``batch * heads`` tiny matrices costs several times more on a CPU.
        """
        dots = (q.unsqueeze(3) * k.unsqueeze(2)).sum(-1)  # (batch, heads, n_q, n)
        scores = (dots / math.sqrt(self.d_head)).softmax(-1)
        pattern = self.alpha * scores + (1.0 - self.alpha)
        z = (pattern.unsqueeze(-1) * v.unsqueeze(2)).sum(3)  # (batch, heads, n_q, d_head)
        return z.transpose(1, 2).flatten(2) @ self.W_O.T  # heads concatenated, head-major


class _MLP(nn.Module):
    def __init__(self, d: int, d_mlp: int, activation: str) -> None:
        super().__init__()
        self.W_in = _randn(d_mlp, d, fan=d_mlp)
        self.b_in = nn.Parameter(torch.zeros(d_mlp))
        self.W_out = _randn(d, d_mlp, fan=d)
        self.b_out = nn.Parameter(torch.zeros(d))
        self.act = _ACT[activation]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x @ self.W_in.T + self.b_in) @ self.W_out.T + self.b_out


class _Block(nn.Module):
    def __init__(
        self, d: int, heads: int, d_head: int, n_ctx: int, alpha: float, width: int, act: str
    ):
        super().__init__()
        self.attn = _Attention(d, heads, d_head, n_ctx, alpha)
        self.mlp = _MLP(d, width, act)

    def forward(self, x: torch.Tensor, *, last_only: bool = False) -> torch.Tensor:
        """The residual block; with ``last_only``, only the last position (the read-out)."""
        mixed = self.attn(x, last_only=last_only)
        x = (x[:, -1:] if last_only else x) + mixed
        return x + self.mlp(x)

    def from_tables(
        self, tables: list[torch.Tensor], index: torch.Tensor, *, last_only: bool = False
    ) -> torch.Tensor:
        """`forward` of the input whose position ``i`` is ``tables[i][index[:, i]]``."""
        n = index.shape[1]
        positions = range(n - 1 if last_only else 0, n)
        x = torch.stack([_gather(tables[i], index[:, i]) for i in positions], dim=1)
        x = x + self.attn.from_tables(tables, index, last_only=last_only)
        return x + self.mlp(x)


class PaperTransformer(nn.Module):
    """The paper's transformer: no LayerNorm, ``n_layers`` blocks, logits at the last position.

    ``d_head`` defaults to ``d_model // n_heads`` (widths need not be divisible by the head
    count); the MLP width is ``d_mlp`` (default ``4 * d_model``, as in the paper).
    ``diff_vocab`` gives ``b`` its own tokens ``p..2p-1``; ``eqn_sign`` appends an '=' token
    (the last of the vocabulary) as a third position. The output has one logit per vocabulary
    token, as in the paper (the labels are ``0..p-1``). Weights are drawn in the paper's
    order and at its scales; ``init="legacy"`` redraws them as lvdyn 0.1 did.
    """

    def __init__(
        self,
        p: int,
        d_model: int,
        *,
        alpha: float,
        n_layers: int = 1,
        n_heads: int = 4,
        activation: str = "ReLU",
        diff_vocab: bool = False,
        eqn_sign: bool = False,
        d_mlp: int | None = None,
        d_head: int | None = None,
        init: str = "paper",
    ) -> None:
        super().__init__()
        self.p, self.diff_vocab, self.eqn_sign = p, bool(diff_vocab), bool(eqn_sign)
        vocab = p * (2 if diff_vocab else 1) + (1 if eqn_sign else 0)
        n_ctx = 3 if eqn_sign else 2
        width, head = d_mlp or 4 * d_model, d_head or d_model // n_heads
        self.embed = _Embed(d_model, vocab)
        self.pos_embed = _PosEmbed(n_ctx, d_model)
        self.unembed = _Unembed(d_model, vocab)
        self.blocks = nn.ModuleList(
            _Block(d_model, n_heads, head, n_ctx, alpha, width, activation) for _ in range(n_layers)
        )
        if init == "legacy":
            self._legacy_init(d_model)

    def _legacy_init(self, d: int) -> None:
        with torch.no_grad():
            self.unembed.W_U.normal_(0.0, d**-0.5)
            for block in self.blocks:
                assert isinstance(block, _Block)
                attn, mlp = block.attn, block.mlp
                width = int(mlp.W_in.shape[0])
                fans = [(attn.W_Q, d), (attn.W_K, d), (attn.W_V, d), (attn.W_O, d)]
                fans += [(mlp.W_in, d), (mlp.b_in, d), (mlp.W_out, width), (mlp.b_out, width)]
                for tensor, fan_in in fans:
                    _uniform_(tensor, fan_in)

    @property
    def separate_embeddings(self) -> bool:
        """Whether ``b`` has embedding rows of its own (``diff_vocab``)."""
        return self.diff_vocab

    def embedding_parameter(self, operand: int = 0) -> torch.Tensor:
        """The parameter that holds operand ``operand``'s embedding rows (``embed.W_E``)."""
        return self.embed.W_E

    def embedding_table(self, operand: int = 0, values: torch.Tensor | None = None) -> torch.Tensor:
        """The ``(p, d)`` embedding rows of operand ``a`` (0) or ``b`` (1).

        ``values``, shaped like `embedding_parameter` (its gradient, an optimiser's step):
        the same rows of it instead.
        """
        start = self.p * operand if self.diff_vocab else 0
        source = self.embed.W_E if values is None else values
        return source[:, start : start + self.p].T

    def unembedding_table(self) -> torch.Tensor:
        """The ``(d, p)`` unembedding columns of the answer classes ``0..p-1``."""
        return self.unembed.W_U[:, : self.p]

    def _token_index(self, pairs: torch.Tensor) -> torch.Tensor:
        """The vocabulary rows ``(batch, 2)`` of the pairs ``(batch, 2)`` of ``a, b < p``."""
        offset = torch.tensor([0, self.p if self.diff_vocab else 0], device=pairs.device)
        return pairs + offset

    def tokens(self, pairs: torch.Tensor) -> torch.Tensor:
        """Token embeddings ``(batch, 2, d)`` of the pairs ``(batch, 2)`` of ``a, b < p``."""
        return self.embed.W_E.T[self._token_index(pairs)]

    def logits_from_embeddings(self, emb: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, vocab)`` from the embeddings ``(batch, 2, d)`` of ``[a, b]``."""
        if self.eqn_sign:
            sign = self.embed.W_E[:, -1].expand(emb.shape[0], 1, -1)
            emb = torch.cat([emb, sign], dim=1)
        return self._read_out(emb + self.pos_embed.W_pos, first=0)

    def _read_out(self, x: torch.Tensor, first: int) -> torch.Tensor:
        """Logits from the residual stream ``x`` entering block ``first``."""
        last = len(self.blocks) - 1
        for i in range(first, last + 1):
            # the last block computes only the read-out position: the same logits, fewer FLOPs
            x = self.blocks[i](x, last_only=i == last)
        return x[:, -1] @ self.unembed.W_U

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, vocab)`` of the pairs ``(batch, 2)``: `logits_from_embeddings` of
        their tokens, with the first block's projections computed once per vocabulary row
        and position and gathered (every input is a token row plus a position row)."""
        index = self._token_index(pairs)
        table = self.embed.W_E.T  # (vocab, d)
        if self.eqn_sign:
            sign = torch.full_like(index[:, :1], table.shape[0] - 1)
            index = torch.cat([index, sign], dim=1)
        tables = [table + row for row in self.pos_embed.W_pos]
        block = self.blocks[0]
        assert isinstance(block, _Block)
        x = block.from_tables(tables, index, last_only=len(self.blocks) == 1)
        return self._read_out(x, first=1)


class PaperMLP(nn.Module):
    """The MLP-only models of ``train-linear.py``, named there by letter (``d_hidden = 256``):

    * A ``relu(l1(E_a + E_b))`` (``combine="sum"``), B the same with a second layer ``l2``
      (``n_layers=2``);
    * C ``relu(l2(relu(l1(E_a) + l1(E_b))))``: the first layer, its bias included, applied to
      each operand and the two outputs summed (``combine="shared_layer"``, ``n_layers=2``);
    * D ``relu(l1([E_a; E_b]))`` (``combine="concat"``, embeddings of width 128);
    * X ``relu(l1(E1_a + E2_b))``: tables ``embed1`` for ``a`` and ``embed2`` for ``b``
      (``separate_embeddings=True``).

    Logits are ``h @ unembed.weight.T``. Paper initialisation: each embedding table
    ``N(0, 1) / sqrt(hidden // 2)``, the unembedding ``N(0, 1) / sqrt(hidden)``, hidden layers
    at the ``nn.Linear`` default, drawn in the order ``embed`` (or ``embed1``, ``embed2``),
    ``unembed``, ``l1``, ``l2`` as the paper's classes do. Other combinations of the options
    build networks the paper did not train.

    Examples
    --------
    >>> model = PaperMLP(7, 8, hidden=16, separate_embeddings=True)  # the paper's model X
    >>> sorted(model.state_dict())
    ['embed1.weight', 'embed2.weight', 'l1.bias', 'l1.weight', 'unembed.weight']
    >>> tuple(model(torch.tensor([[1, 2], [3, 4]])).shape)
    (2, 7)
    """

    def __init__(
        self,
        p: int,
        d_embed: int,
        *,
        hidden: int,
        combine: str = "sum",
        n_layers: int = 1,
        activation: str = "ReLU",
        separate_embeddings: bool = False,
        init: str = "paper",
    ) -> None:
        super().__init__()
        if combine not in MLP_COMBINES:
            raise ValueError(f"`combine` must be one of {list(MLP_COMBINES)}; got {combine!r}.")
        if n_layers not in (1, 2):
            raise ValueError(f"`n_layers` must be 1 or 2 (hidden layers); got {n_layers!r}.")
        self.p, self.combine, self.act = p, combine, _ACT[activation]
        self.separate_embeddings = bool(separate_embeddings)
        names = ("embed1", "embed2") if separate_embeddings else ("embed",)
        for name in names:
            setattr(self, name, nn.Embedding(p, d_embed))
        self._tables: tuple[nn.Embedding, ...] = tuple(getattr(self, name) for name in names)
        self.unembed = nn.Embedding(p, hidden)
        fan_in = 2 * d_embed if combine == "concat" else d_embed
        self.l1 = nn.Linear(fan_in, hidden)
        self.l2 = nn.Linear(hidden, hidden) if n_layers == 2 else None
        with torch.no_grad():
            for table in self._tables:
                table.weight.div_(math.sqrt(hidden // 2 if init == "paper" else d_embed))
            self.unembed.weight.div_(math.sqrt(hidden))

    def embedding_parameter(self, operand: int = 0) -> torch.Tensor:
        """The ``(p, d_embed)`` embedding of operand ``a`` (0) or ``b`` (1): the same table
        for both, except with ``separate_embeddings`` (``embed1``, ``embed2``)."""
        if operand not in (0, 1):
            raise ValueError(f"`operand` must be 0 (a) or 1 (b); got {operand!r}.")
        return self._tables[operand if self.separate_embeddings else 0].weight

    def embedding_table(self, operand: int = 0, values: torch.Tensor | None = None) -> torch.Tensor:
        """The embedding of operand ``operand`` (`embedding_parameter`), or ``values`` (a
        tensor of its shape: its gradient, an optimiser's step)."""
        table = self.embedding_parameter(operand)
        return table if values is None else values

    def unembedding_table(self) -> torch.Tensor:
        """The ``(hidden, p)`` unembedding."""
        return self.unembed.weight.T

    def tokens(self, pairs: torch.Tensor) -> torch.Tensor:
        """Token embeddings ``(batch, 2, d_embed)`` of the pairs ``(batch, 2)``."""
        if self.separate_embeddings:
            first, second = self._tables
            return torch.stack([first.weight[pairs[:, 0]], second.weight[pairs[:, 1]]], dim=1)
        return self._tables[0].weight[pairs]

    def logits_from_embeddings(self, emb: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, p)`` from the embeddings ``(batch, 2, d_embed)``."""
        if self.combine == "shared_layer":
            x = self.l1(emb[:, 0]) + self.l1(emb[:, 1])
        else:
            x = self.l1(emb.flatten(1) if self.combine == "concat" else emb[:, 0] + emb[:, 1])
        x = self.act(x)
        if self.l2 is not None:
            x = self.act(self.l2(x))
        return x @ self.unembed.weight.T

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        return self.logits_from_embeddings(self.tokens(pairs))
