"""Clock and Pizza: modular addition with an attention rate (Zhong, Liu, Tegmark, Andreas 2023).

A transformer learns ``(a + b) mod p`` from the tokens ``[a, b]``. Its attention is
``alpha * softmax(QK^T / sqrt(d_head)) + (1 - alpha) * J`` with ``J`` the all-ones matrix:
``alpha = 1`` is standard attention (the network tends to learn the **Clock**, logits
``cos(w (a + b - c))``), ``alpha = 0`` constant attention (the **Pizza**, whose logit
amplitude depends on ``a - b``). The MLP-only models of the paper's ``train-linear.py``
feed ReLU layers with ``E_a + E_b`` (``"mlp_sum"``: its model A with one hidden layer, B with
two), ``[E_a; E_b]`` (``"mlp_concat"``, model D), ``l1(E_a) + l1(E_b)`` through a shared
first layer (``"mlp_shared_layer"``, model C, two hidden layers) or ``E1_a + E2_b`` from two
embedding tables (``"mlp_two_embeddings"``, model X).

Defaults follow the paper's code (``faithful=True``): p = 59, d = 128, 4 heads, 1 to 4
blocks, ReLU or GeLU MLP of width 4d, no LayerNorm, the paper's initialisation, AdamW (lr
1e-3, betas (0.9, 0.98), weight decay 2.0) with a 10-step warm-up whose first update has
learning rate 0, 2784 of the 3481 pairs for training (``int(0.8 * p^2)``), full batch; the
MLP-only models use AdamW's default betas and no warm-up, as ``train-linear.py``.
`load_checkpoint` builds the paper's released models from their state dicts.

Traces:

* ``strength`` (run, step, component = frequency k = 1..(p-1)/2): Fourier energy of the
  embedding ``W_E`` along the token axis (``emb_power_dc`` holds k = 0); with separate
  embeddings for ``b`` (``diff_vocab``, model X) that of ``a``'s, and ``strength_b`` that of
  ``b``'s;
* ``unembed_strength``: the same energy of ``W_U`` along the class axis;
* ``grad_symmetricity``, ``distance_irrelevance`` (correct logit), optionally
  ``distance_irrelevance_incorrect_logit`` (the variant in the paper's released tables), at the
  metric steps (NaN elsewhere);
* ``train_loss``, ``test_loss``, ``train_acc``, ``test_acc``;
* with ``fitness_signals`` (the default), per circle of the table ``strength`` measures, with
  ``F_k``, ``G_k``, ``U_k`` its DFT rows and those of the loss gradient ``G = dL/dE`` and of
  AdamW's step direction ``U = m_hat / (sqrt(v_hat) + eps)`` (the update is
  ``E -> (1 - lr wd) E - lr U``), and ``S_k = ||F_k|| = sqrt(strength_k / 2)``:
  ``loss_push = -Re<F_k, G_k> / S_k`` and ``grad_strength = ||G_k||``, as for modular
  addition (the growth of ``S_k`` per unit lr under plain gradient descent), and
  ``update_push = -Re<F_k, U_k> / S_k`` (the growth of ``S_k`` per unit lr from the step
  AdamW takes, weight decay apart; NaN at the last step). See
  `lvdyn.producers._clockpizza_fitness`.

The trainer uses AdamW with heavy weight decay, so the frequency dynamics are not a gradient
flow: Lotka-Volterra fits to these traces are phenomenological (no ground truth is stored).

Examples
--------
>>> from lvdyn.producers import clockpizza
>>> ds = clockpizza.train(p=11, d_model=16, steps=20, log_every=5, metrics_every=10)
>>> dict(ds.sizes)
{'run': 1, 'step': 5, 'component': 5}
>>> int(ds.grad_symmetricity.notnull().sum())  # at steps 0, 10 and 20
3
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from lvdyn._version import __version__
from lvdyn.core._checks import check_bool, check_int
from lvdyn.producers._common import producer_config, torch_dtype
from lvdyn.producers._ground_truth import check_seeds
from lvdyn.traces._history import add_history
from lvdyn.traces._make import make_traces
from lvdyn.traces._rules import set_survival_rule

try:
    import torch  # noqa: F401  (a clear message when PyTorch is missing)
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "lvdyn.producers.clockpizza needs PyTorch; install it with `pip install lvdyn[torch]`."
    ) from exc

from lvdyn.producers._clockpizza_load import load_checkpoint
from lvdyn.producers._clockpizza_loop import Run, train_runs
from lvdyn.producers._clockpizza_metrics import (
    TokenModel,
    distance_irrelevance,
    fourier_energy,
    gradient_symmetricity,
    symmetricity_triples,
)
from lvdyn.producers._clockpizza_model import PaperMLP, PaperTransformer
from lvdyn.producers._clockpizza_setup import (
    PAPER_LAYERS,
    build_run,
    check_architecture,
    check_variant,
    default_width,
    warmup_factor,
)
from lvdyn.producers._threads import thread_budget, torch_threads

__all__ = [
    "PaperMLP",
    "PaperTransformer",
    "TokenModel",
    "distance_irrelevance",
    "fourier_energy",
    "gradient_symmetricity",
    "load_checkpoint",
    "symmetricity_triples",
    "train",
]


def train(
    *,
    p: int = 59,
    alpha: float = 1.0,
    architecture: str = "transformer",
    d_model: int | None = None,
    n_heads: int = 4,
    n_layers: int | None = None,
    activation: str = "ReLU",
    diff_vocab: bool = False,
    eqn_sign: bool = False,
    mlp_width: int | None = None,
    steps: int = 20000,
    lr: float = 1e-3,
    betas: tuple[float, float] | None = None,
    weight_decay: float = 2.0,
    warmup: int | None = None,
    train_fraction: float = 0.8,
    faithful: bool = True,
    seeds: int | Sequence[int] = (0,),
    log_every: int = 10,
    metrics_every: int | None = None,
    incorrect_logit_di: bool = False,
    fitness_signals: bool = True,
    dtype: str = "float32",
    progress: bool | None = None,
    threads: int | None = None,
) -> xr.Dataset:
    """Train on ``(a + b) mod p`` and trace per-frequency strength and the two metrics.

    Parameters
    ----------
    p : int
        The modulus (an odd prime).
    alpha : float
        Attention rate in [0, 1] (transformer only): 1 standard attention, 0 constant.
    architecture : str
        The network (see the module docstring): ``"transformer"``, or the paper's MLP-only
        models A and B (``"mlp_sum"``), C (``"mlp_shared_layer"``), D (``"mlp_concat"``) and
        X (``"mlp_two_embeddings"``).
    d_model : int, optional
        Embedding width; default 128 (transformer, ``mlp_concat``) or 256 (the other MLP-only
        models), the paper's values. Need not be divisible by ``n_heads``
        (``d_head = d_model // n_heads``).
    n_heads : int
        Attention heads (transformer).
    n_layers : int, optional
        Transformer blocks (1 to 4), or hidden layers of ``mlp_sum`` (1 for the paper's model
        A, 2 for B); ``mlp_shared_layer`` has 2, ``mlp_concat`` and ``mlp_two_embeddings`` 1.
        Default: 1, or 2 for ``mlp_shared_layer``.
    activation : {"ReLU", "GeLU"}
        MLP activation.
    diff_vocab, eqn_sign : bool
        Transformer only: ``b`` gets its own tokens; an '=' token is appended (the paper's
        vocabulary variants).
    mlp_width : int, optional
        Hidden width of the MLP; default ``4 * d_model`` (transformer) or 256 (MLP-only).
    steps, lr, weight_decay : training settings
        Full-batch AdamW.
    betas : (float, float), optional
        AdamW betas; default (0.9, 0.98) for the transformer and, when ``faithful``,
        torch's default (0.9, 0.999) for the MLP-only models (as ``train-linear.py``).
    warmup : int, optional
        Linear warm-up updates; default 10 for the transformer and, when ``faithful``, none
        for the MLP-only models.
    train_fraction : float
        Fraction of the ``p^2`` pairs used for training.
    faithful : bool
        Train as the paper's code does (default): its initialisation (attention weights
        ``N(0, 1/d)``, MLP biases zero, ``W_in``, ``W_out``, ``W_U`` at its scales), first
        update at learning rate 0, ``int(fraction * p^2)`` training pairs drawn by
        ``torch.randperm``, the MLP-only models' betas and warm-up. ``False``: lvdyn 0.1's
        choices (``nn.Linear`` initialisation, warm-up ``(k + 1) / warmup``, rounded pair
        count); see docs/reproduce_clockpizza.md.
    seeds : int or sequence of int
        One run per seed (initial weights and split).
    log_every : int
        Period of the strength and loss traces (step 0 included).
    metrics_every : int, optional
        Period of the gradient-symmetricity and distance-irrelevance metrics, a multiple of
        ``log_every``; default: ten times ``log_every``. The last step is always measured.
    incorrect_logit_di : bool
        Also store ``distance_irrelevance_incorrect_logit`` (the released tables' variant).
    fitness_signals : bool
        Also log, at every logged step, the loss gradient's and AdamW's step's radial push on
        each circle of operand ``a``'s table (``loss_push``, ``update_push``) and the
        gradient's size (``grad_strength``); see the module docstring.
    dtype : {"float32", "float64"}
        Parameter dtype.
    progress : bool, optional
        Show a progress bar on stderr (steps of all runs, test accuracy, number of
        frequencies above twice the mean strength); ``None`` shows it only on a terminal.
    threads : int, optional
        CPU threads: the runs train side by side on ``min(threads, runs)`` worker threads,
        one torch thread each. Default: ``OMP_NUM_THREADS`` if set, else every available
        core (see `lvdyn.producers._threads`). The results do not depend on it.

    Returns
    -------
    xarray.Dataset
        Traces (see the module docstring).
    """
    parameter_dtype = torch_dtype(dtype)
    transformer = architecture == "transformer"
    d_model = d_model or default_width(architecture)
    for name, value in (
        ("p", p),
        ("d_model", d_model),
        ("n_heads", n_heads),
        ("steps", steps),
        ("log_every", log_every),
    ):
        check_int(name, value)
    check_architecture(p, d_model, n_heads, alpha, architecture)
    n_layers = PAPER_LAYERS[architecture][0] if n_layers is None else n_layers
    check_variant(architecture, n_layers, activation, diff_vocab, eqn_sign)
    width = mlp_width or (4 * d_model if transformer else 256)
    linear_defaults = faithful and not transformer
    betas = betas or ((0.9, 0.999) if linear_defaults else (0.9, 0.98))
    warmup = (0 if linear_defaults else 10) if warmup is None else warmup
    metrics_every = 10 * log_every if metrics_every is None else metrics_every
    if check_int("metrics_every", metrics_every) % log_every:
        raise ValueError(
            f"`metrics_every` must be a multiple of `log_every`={log_every}; got {metrics_every}."
        )
    run_seeds = check_seeds(seeds)
    logged = np.arange(0, steps + 1, log_every, dtype=np.int64)
    if logged[-1] != steps:
        logged = np.append(logged, steps)
    n_freq = (p - 1) // 2
    settings = dict(
        p=p, alpha=alpha, architecture=architecture, d_model=d_model, n_heads=n_heads,
        n_layers=n_layers, activation=activation, diff_vocab=bool(diff_vocab),
        eqn_sign=bool(eqn_sign), mlp_width=width, train_fraction=train_fraction,
        faithful=bool(faithful),
    )  # fmt: skip
    budget = thread_budget(threads)
    with torch_threads(1):  # the set-up too: one torch thread (lvdyn.producers._threads)
        per_run = train_runs(
            run_seeds, budget, progress, alpha,
            lambda seed: build_run(settings, seed),
            Run(
                p=p, steps=steps, lr=lr, betas=betas, weight_decay=weight_decay,
                schedule=warmup_factor(warmup, faithful), dtype=parameter_dtype,
                logged=logged, metrics_every=metrics_every,
                triples=symmetricity_triples(p), incorrect_logit_di=incorrect_logit_di,
                fitness_signals=check_bool("fitness_signals", fitness_signals),
            ),
        )  # fmt: skip
    records: dict[str, Any] = {
        name: np.stack([values[name] for values in per_run]) for name in per_run[0]
    }
    strength = records.pop("strength")
    for name in ("strength_b", "loss_push", "grad_strength", "update_push"):
        if name in records:
            records[name] = (("run", "step", "component"), records[name])
    config = dict(
        producer="clockpizza",
        **settings,
        steps=steps,
        lr=lr,
        betas=list(betas),
        weight_decay=weight_decay,
        warmup=warmup,
        seeds=run_seeds,
        log_every=log_every,
        metrics_every=metrics_every,
        fitness_signals=bool(fitness_signals),
        dtype=dtype,
    )
    ds = make_traces(
        strength,
        step=logged,
        component=np.arange(1, n_freq + 1),
        run=np.arange(len(run_seeds)),
        seed=np.asarray(run_seeds, dtype=np.int64),
        alpha=float(alpha),
        p=p,
        source=f"lvdyn.producers.clockpizza {__version__}",
        producer_config=producer_config(config),
        **records,
    )
    _describe(ds)
    ds = set_survival_rule(ds, "2x-mean")  # as for modular addition, over the stored k
    return add_history(
        ds,
        f"clockpizza.train(p={p}, alpha={alpha}, architecture={architecture!r}, "
        f"n_layers={n_layers}, faithful={bool(faithful)}, steps={steps}, runs={len(run_seeds)})",
    )


_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "strength": ("Fourier energy of the embedding at frequency k", "|F_k|^2 + |F_{p-k}|^2 of W_E"),
    "unembed_strength": ("Fourier energy of the unembedding at frequency k", "along classes"),
    "emb_power_dc": ("Fourier energy of the embedding at k = 0", "|F_0|^2 of W_E"),
    "strength_b": (
        "Fourier energy of operand b's embedding (diff_vocab, model X)",
        "W_E tokens p..2p-1, or embed2 of the MLP model X; strength is then operand a's",
    ),
    "grad_symmetricity": ("gradient symmetricity", "100 triples, random.Random(42) shuffle"),
    "distance_irrelevance": ("distance irrelevance (correct logit)", "mean_j std_i L / std L"),
    "loss_push": (
        "growth of S_k = sqrt(strength / 2) per unit lr under gradient descent on the loss",
        "-Re<F_k, G_k> / S_k, G = dL/dE of operand a's table",
    ),
    "grad_strength": ("norm of the k-th DFT row of the loss gradient dL/dE", "||G_k||"),
    "update_push": (
        "growth of S_k per unit lr from AdamW's step without weight decay",
        "-Re<F_k, U_k> / S_k, U = m_hat / (sqrt(v_hat) + eps); NaN at the last step",
    ),
    "distance_irrelevance_incorrect_logit": (
        "distance irrelevance on the largest incorrect logit",
        "the variant in the paper's released sweep tables",
    ),
}


def _describe(ds: xr.Dataset) -> None:
    for name, (long_name, comment) in _DESCRIPTIONS.items():
        if name in ds:
            ds[name].attrs.update(long_name=long_name, units="1", comment=comment)
    ds["component"].attrs["long_name"] = "Fourier frequency k"
