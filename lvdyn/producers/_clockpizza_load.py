"""Build the paper's released Clock-and-Pizza models from their state dicts and configs.

The released files (``code/save/model_<id>.pt`` with ``config_<id>.json`` in
``fjzzq2002/pizza``) are plain state dicts, read with ``torch.load(weights_only=True)``. The
architecture comes from the tensors' names and shapes; what shapes cannot tell comes from
the JSON configuration: the attention rate ``attn_coeff`` and the activation ``act_fn``
(transformers), and ``model_type`` (``"A"``, ``"B"``, ``"C"``, ``"D"``, ``"X"``) for an MLP-only
model with two hidden layers, whose shapes fit the paper's models B and C alike (the others
are told apart by their shapes: D's first layer takes twice the embedding width, X has two
embedding tables ``embed1`` and ``embed2``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from lvdyn.producers._checkpoint_files import read_checkpoint_mapping
from lvdyn.producers._clockpizza_model import PaperMLP, PaperTransformer

__all__ = ["load_checkpoint"]

_SUPPORTED_TYPES = ("A", "B", "C", "D", "X")


def _read_config(path: Path | None, config: Any) -> dict[str, Any]:
    if isinstance(config, Mapping):
        return dict(config)
    if config is None and path is not None:
        for candidate in (
            path.with_name(re.sub(r"^model_", "config_", path.stem) + ".json"),
            path.with_suffix(".json"),
        ):
            if candidate != path and candidate.is_file():
                config = candidate
                break
        else:
            return {}
    if config is None:
        return {}
    try:
        loaded = json.loads(Path(config).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(
            f"`config`: cannot read {os.fspath(config)!r} as JSON ({exc}); pass the run's "
            "config_<id>.json, a dict, or None."
        ) from None
    if not isinstance(loaded, dict):
        raise ValueError(f"`config` {os.fspath(config)!r} must hold a JSON object.")
    return loaded


def _transformer(state: Mapping[str, torch.Tensor], config: dict[str, Any]) -> PaperTransformer:
    d_model, vocab = state["embed.W_E"].shape
    n_ctx = state["pos_embed.W_pos"].shape[0]
    n_layers = sum(1 for key in state if re.fullmatch(r"blocks\.\d+\.attn\.W_Q", key))
    heads, d_head, _ = state["blocks.0.attn.W_Q"].shape
    d_mlp = state["blocks.0.mlp.W_in"].shape[0]
    eqn_sign = bool(config.get("eqn_sign", n_ctx == 3))
    body = vocab - (1 if eqn_sign else 0)
    diff_vocab = bool(config.get("diff_vocab", body % 2 == 0))  # p is odd: 2p tokens if even
    p = int(config.get("C", body // 2 if diff_vocab else body))
    if "attn_coeff" not in config:
        raise ValueError(
            "`config` must give the attention rate `attn_coeff` of a transformer checkpoint "
            "(it is not stored in the weights); pass the run's config_<id>.json or "
            "config={'attn_coeff': alpha}."
        )
    activation = str(config.get("act_fn", "ReLU"))
    if activation not in ("ReLU", "GeLU"):
        raise ValueError(f"`config`: act_fn must be 'ReLU' or 'GeLU'; got {activation!r}.")
    model = PaperTransformer(
        p,
        d_model,
        alpha=float(config["attn_coeff"]),
        n_layers=n_layers,
        n_heads=heads,
        d_head=d_head,
        d_mlp=d_mlp,
        activation=activation,
        diff_vocab=diff_vocab,
        eqn_sign=eqn_sign,
    )
    if model.embed.W_E.shape[1] != vocab:
        raise ValueError(
            f"`config` (C={p}, diff_vocab={diff_vocab}, eqn_sign={eqn_sign}) implies a "
            f"vocabulary of {model.embed.W_E.shape[1]} tokens; embed.W_E has {vocab}."
        )
    return model


def _mlp(state: Mapping[str, torch.Tensor], config: dict[str, Any]) -> PaperMLP:
    model_type = config.get("model_type")
    if model_type is not None and model_type not in _SUPPORTED_TYPES:
        raise ValueError(
            f"`config`: model_type must be one of {_SUPPORTED_TYPES}; got {model_type!r}."
        )
    two_tables = "embed1.weight" in state
    if model_type is not None and two_tables != (model_type == "X"):
        found = "two embedding tables (embed1, embed2), as model X" if two_tables else "one (embed)"
        raise ValueError(
            f"`config` says model_type={model_type!r}, but the state dict has {found}; pass "
            "the run's own config_<id>.json."
        )
    p, d_embed = state["embed1.weight" if two_tables else "embed.weight"].shape
    hidden, fan_in = state["l1.weight"].shape
    if model_type is None and two_tables:
        model_type = "X"
    elif model_type is None:
        if "l2.weight" in state:
            raise ValueError(
                "`config` must give `model_type` ('B' or 'C') for an MLP checkpoint with two "
                "hidden layers: the paper's models B and C have the same shapes."
            )
        model_type = "D" if fan_in == 2 * d_embed else "A"
    return PaperMLP(
        p,
        d_embed,
        hidden=hidden,
        combine={"C": "shared_layer", "D": "concat"}.get(model_type, "sum"),
        n_layers=2 if model_type in ("B", "C") else 1,
        separate_embeddings=model_type == "X",
    )


def load_checkpoint(
    path: str | os.PathLike[str] | Mapping[str, torch.Tensor],
    config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
) -> PaperTransformer | PaperMLP:
    """Build one of the paper's models from its state dict (and JSON configuration).

    Parameters
    ----------
    path : path or mapping
        The ``model_<id>.pt`` state dict (read tensors-only), or the state dict itself.
    config : path or mapping, optional
        The run's configuration; by default ``config_<id>.json`` (or ``<name>.json``) next to
        ``path`` when it exists. Transformers need its ``attn_coeff``, MLP-only models with
        two hidden layers its ``model_type`` (``"B"`` or ``"C"``, which share their shapes).

    Returns
    -------
    PaperTransformer or PaperMLP
        The model in evaluation mode, following the `TokenModel` protocol, so
        `gradient_symmetricity` and `distance_irrelevance` apply to it.
    """
    if isinstance(path, Mapping):
        file, raw = None, dict(path)
    else:
        file = Path(os.fspath(path))
        raw = dict(read_checkpoint_mapping(file))
    state = {str(k): torch.as_tensor(v) for k, v in raw.items()}
    settings = _read_config(file, config)
    if "embed.W_E" in state:
        model: PaperTransformer | PaperMLP = _transformer(state, settings)
    elif "l1.weight" in state and ("embed.weight" in state or "embed1.weight" in state):
        model = _mlp(state, settings)
    else:
        shown = ", ".join(sorted(state)[:8])
        raise ValueError(
            f"`checkpoint`: not a Clock-and-Pizza state dict (no embed.W_E or l1.weight); its "
            f"entries are: {shown}. Pass the model_<id>.pt file of the paper's code."
        )
    model = model.to(state["embed.W_E" if "embed.W_E" in state else "unembed.weight"].dtype)
    own = model.state_dict()
    for key, value in own.items():  # the unused attention mask may be missing
        if key.endswith(".attn.mask") and key not in state:
            state[key] = value
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ValueError(
            f"`checkpoint`: the state dict does not fit the model it describes ({exc})."
        ) from None
    return model.eval()
