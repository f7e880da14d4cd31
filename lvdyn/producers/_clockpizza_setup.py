"""Setup of one Clock-and-Pizza run: argument checks, the network, the split, the warm-up.

``faithful=True`` reproduces the paper's code (``code/train-main.py``, ``code/train-linear.py``
of ``fjzzq2002/pizza``); ``False`` keeps lvdyn 0.1's choices. Imported only by
`lvdyn.producers.clockpizza`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from lvdyn.producers._clockpizza_model import (
    ACTIVATIONS,
    ARCHITECTURES,
    PaperMLP,
    PaperTransformer,
)

__all__ = [
    "PAPER_LAYERS",
    "build_run",
    "check_architecture",
    "check_variant",
    "default_width",
    "warmup_factor",
]

# The layer counts each architecture allows, the paper's first: transformer blocks, or hidden
# layers of the MLP-only models A/B (mlp_sum), D (mlp_concat), C (mlp_shared_layer) and X
# (mlp_two_embeddings) of train-linear.py.
PAPER_LAYERS = {
    "transformer": (1, 2, 3, 4),
    "mlp_sum": (1, 2),
    "mlp_concat": (1,),
    "mlp_shared_layer": (2,),
    "mlp_two_embeddings": (1,),
}
# How each MLP-only architecture feeds the operands to PaperMLP: (combine, separate tables).
_MLP_INPUTS = {
    "mlp_sum": ("sum", False),
    "mlp_concat": ("concat", False),
    "mlp_shared_layer": ("shared_layer", False),
    "mlp_two_embeddings": ("sum", True),
}


def default_width(architecture: str) -> int:
    """The paper's embedding width: 128 (transformer, model D), 256 (models A, B, C, X)."""
    return 128 if architecture in ("transformer", "mlp_concat") else 256


def check_architecture(p: int, d_model: int, n_heads: int, alpha: float, architecture: str) -> None:
    if p < 3 or p % 2 == 0 or any(p % q == 0 for q in range(3, int(p**0.5) + 1, 2)):
        raise ValueError(f"`p` must be an odd prime (>= 3); got {p}.")
    if architecture not in ARCHITECTURES:
        raise ValueError(
            f"`architecture` must be one of {list(ARCHITECTURES)}; got {architecture!r}."
        )
    if architecture == "transformer" and d_model < n_heads:
        raise ValueError(
            f"`d_model` must be at least `n_heads` (d_head = d_model // n_heads); got "
            f"d_model={d_model}, n_heads={n_heads}."
        )
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"`alpha` must be in [0, 1]; got {alpha!r}.")


def check_variant(
    architecture: str, n_layers: int, activation: str, diff_vocab: bool, eqn_sign: bool
) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(f"`activation` must be one of {list(ACTIVATIONS)}; got {activation!r}.")
    allowed = PAPER_LAYERS[architecture]
    if n_layers not in allowed:
        raise ValueError(
            f"`n_layers` must be one of {list(allowed)} for architecture={architecture!r} (the "
            f"paper's models); got {n_layers!r}."
        )
    if architecture != "transformer" and (diff_vocab or eqn_sign):
        raise ValueError(
            "`diff_vocab` and `eqn_sign` apply to architecture='transformer' only; got "
            f"architecture={architecture!r}."
        )


def _split(
    p: int, train_fraction: float, seed: int, *, faithful: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """Training and test pairs. Faithful: ``int(fraction * p^2)`` pairs (2784 at p = 59) from
    ``torch.randperm`` on the global generator, as ``torch.utils.data.random_split`` draws them
    in the paper's code; otherwise lvdyn 0.1's rounded count from a numpy generator."""
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"`train_fraction` must be in (0, 1); got {train_fraction!r}.")
    pairs = np.array([(a, b) for a in range(p) for b in range(p)], dtype=np.int64)
    if faithful:
        order = torch.randperm(len(pairs)).numpy()
        n_train = int(train_fraction * len(pairs))
    else:
        order = np.random.default_rng(seed).permutation(len(pairs))
        n_train = round(train_fraction * len(pairs))
    return torch.as_tensor(pairs[order[:n_train]]), torch.as_tensor(pairs[order[n_train:]])


def build_run(
    settings: dict[str, Any], seed: int
) -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    """The network and the split of one run, drawn in the paper's order from ``seed``:
    transformer first then split (``train-main.py``), split first for the MLP-only models
    (``train-linear.py``)."""
    torch.manual_seed(seed)
    faithful = settings["faithful"]
    init = "paper" if faithful else "legacy"
    split = dict(p=settings["p"], train_fraction=settings["train_fraction"], seed=seed)
    model: torch.nn.Module
    if settings["architecture"] == "transformer":
        model = PaperTransformer(
            settings["p"],
            settings["d_model"],
            alpha=settings["alpha"],
            n_layers=settings["n_layers"],
            n_heads=settings["n_heads"],
            activation=settings["activation"],
            diff_vocab=settings["diff_vocab"],
            eqn_sign=settings["eqn_sign"],
            d_mlp=settings["mlp_width"],
            init=init,
        )
        train_pairs, test_pairs = _split(**split, faithful=faithful)
    else:
        train_pairs, test_pairs = _split(**split, faithful=faithful)
        combine, separate = _MLP_INPUTS[settings["architecture"]]
        model = PaperMLP(
            settings["p"],
            settings["d_model"],
            hidden=settings["mlp_width"],
            combine=combine,
            n_layers=settings["n_layers"],
            activation=settings["activation"],
            separate_embeddings=separate,
            init=init,
        )
    return model, train_pairs, test_pairs


def warmup_factor(warmup: int, faithful: bool) -> Any:
    """Learning-rate factor of update ``k`` (0-based). Faithful: ``min(k / warmup, 1)``, so the
    first update has learning rate 0, as the paper's ``LambdaLR``; lvdyn 0.1: ``(k + 1) /
    warmup``."""
    if warmup <= 0:
        return lambda k: 1.0
    if faithful:
        return lambda k: min(k / warmup, 1.0)
    return lambda k: min(1.0, (k + 1) / warmup)
