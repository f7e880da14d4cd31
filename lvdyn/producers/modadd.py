"""Modular addition: the trainer of *Survival of the Fittest Representation* as a producer.

Ding, Guo, Michaud, Liu and Tegmark (2024) train an MLP on ``(a + b) mod p`` from one shared
embedding ``E`` (``p x d``, ``E ~ N(0, 1)``) and watch the circles of ``E``, one per Fourier
frequency ``k``, compete: only a few survive. `train` reproduces their recipe (defaults
below) and returns the per-step circle strengths as a traces dataset, without storing the
embeddings themselves (except at the steps in ``snapshot_steps``).

Many seeds are trained at once as one batched model, each run exactly as it would train
alone. Import this module only when you need it: it imports PyTorch.

Examples
--------
>>> from lvdyn.producers import modadd
>>> ds = modadd.train(p=11, d_embed=8, width=16, steps=20, seeds=[0, 1], progress=False)
>>> dict(ds.strength.sizes)
{'run': 2, 'step': 21, 'component': 5}
>>> ds.component.values.tolist()
[1, 2, 3, 4, 5]
>>> ds.early_gradient.dims
('run', 'component')
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import xarray as xr

from lvdyn.core._atomic import check_writable
from lvdyn.producers._checkpoint import load_checkpoint
from lvdyn.producers._common import torch_dtype
from lvdyn.producers._fourier import circle_frequencies as circle_frequencies
from lvdyn.producers._fourier import circle_strengths as circle_strengths
from lvdyn.producers._interventions import construct_embedding as construct_embedding
from lvdyn.producers._interventions import intervene as intervene
from lvdyn.producers._modadd_config import DESIGNS, _config
from lvdyn.producers._modadd_embeddings import embedding_hash, resolve_initial_embedding
from lvdyn.producers._modadd_embeddings import seed_embedding as seed_embedding
from lvdyn.producers._modadd_model import Architecture, RunSeeds, stack_runs
from lvdyn.producers._modadd_traces import build_traces as build_traces
from lvdyn.producers._modadd_trainer import EnsembleTrainer, stop_on_signals
from lvdyn.producers._optim import BatchedOptimizer
from lvdyn.producers._progress import TrainingProgress
from lvdyn.producers._threads import thread_budget, torch_threads

__all__ = [
    "DESIGNS",
    "TrainingInterrupted",
    "build_traces",
    "circle_frequencies",
    "circle_strengths",
    "construct_embedding",
    "intervene",
    "run_seeds",
    "seed_embedding",
    "train",
]

#: Settings that may change when a checkpoint is resumed.
_RESUMABLE = ("steps", "checkpoint", "checkpoint_every", "resume", "progress")
#: Settings added after checkpoints were first written, with the value they had before.
_ADDED_SETTINGS = {"freeze_embedding": False, "freeze_mlp": False, "initial_embedding": None}
#: On CPU, runs are processed in chunks whose hidden activations take at most this many
#: bytes (4.5 MiB). At p = 59, width 100, float32 (1.1 MB per run) chunks of 4 runs ran
#: 79.7 model-steps/s on one thread against 73.5 for 1 run and 76.9 for 8, and 143 on two
#: threads against 135 for 2 runs (fewer operations per run; more runs fall out of the
#: 16 MiB cache).
_CPU_CHUNK_BYTES = 9 * 2**19
#: ... and in at least this many chunks when the runs allow, so that cores can share them.
#: A constant, not the machine's core count: a run's float64 values change at rounding level
#: (~1e-14) with the size of its chunk, and must not with the CPU affinity or quota.
_CPU_MIN_CHUNKS = 4
#: ... but no chunk under 1 MiB of activations when the ensemble has more: each chunk costs
#: Python dispatch (8 runs at p = 11, width 16 ran 5.5x slower in 8 chunks than in one).
_CPU_MIN_CHUNK_BYTES = 2**20


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped by SIGINT or SIGTERM; carries the traces logged so far.

    Attributes
    ----------
    traces : xarray.Dataset or None
        The traces up to the last completed step (``None`` if no step was logged yet).
    checkpoint : pathlib.Path or None
        Where the state was saved (``None`` if no checkpoint path was given).
    step : int
        The number of optimiser updates done.
    """

    def __init__(self, traces: xr.Dataset | None, checkpoint: Path | None, step: int) -> None:
        where = f"; checkpoint at {checkpoint}" if checkpoint is not None else ""
        super().__init__(f"training interrupted at step {step}{where}")
        self.traces = traces
        self.checkpoint = checkpoint
        self.step = step


def run_seeds(design: str, seeds: Sequence[int], init_seed: int) -> list[RunSeeds]:
    """Where each run's embedding, MLP and split come from, following the reference code.

    ``vary_all``: everything from ``seed``. ``fix_embedding``: ``E`` from ``init_seed``,
    MLP and split from ``seed``. ``fix_mlp``: MLP and split from ``init_seed``, a fresh
    ``E`` from ``seed``. ``fix_split``: split from ``init_seed``, MLP and ``E`` from ``seed``.

    Examples
    --------
    >>> run_seeds("fix_embedding", [3], init_seed=0)[0]
    RunSeeds(embedding_seed=0, embedding_fresh=False, mlp_seed=3, split_seed=3)
    """
    if design not in DESIGNS:
        raise ValueError(f"`design` must be one of {list(DESIGNS)}; got {design!r}.")
    out = []
    for s in seeds:
        if design == "vary_all":
            out.append(RunSeeds(s, False, s, s))
        elif design == "fix_embedding":
            out.append(RunSeeds(init_seed, False, s, s))
        elif design == "fix_mlp":
            out.append(RunSeeds(s, True, init_seed, init_seed))
        else:
            out.append(RunSeeds(s, False, s, init_seed))
    return out


def train(
    *,
    p: int = 59,
    d_embed: int = 128,
    width: int = 100,
    depth: int = 2,
    activation: str = "silu",
    combine: str = "concat",
    optimizer: str = "adamw",
    lr: float = 0.01,
    weight_decay: float = 0.5,
    betas: Sequence[float] = (0.9, 0.999),
    eps: float = 1e-8,
    train_fraction: float = 0.8,
    dtype: str = "float32",
    device: str = "cpu",
    steps: int,
    seeds: Sequence[int] | int,
    design: str = "vary_all",
    init_seed: int = 0,
    log_every: int = 1,
    eval_every: int | None = None,
    snapshot_steps: Sequence[int] = (),
    checkpoint: str | os.PathLike[str] | None = None,
    checkpoint_every: int = 1000,
    resume: bool = True,
    progress: bool | None = None,
    fitness_signals: bool = True,
    threads: int | None = None,
    initial_embedding: Any = None,
    freeze_embedding: bool = False,
    freeze_mlp: bool = False,
) -> xr.Dataset:
    """Train modular-addition MLPs, one run per seed, and return their circle strengths.

    All runs are trained at once as one batched model; each run follows exactly the
    trajectory it would follow alone (same initialisation, split and AdamW updates).

    Parameters
    ----------
    p : int
        Modulus; the task is ``(a + b) mod p`` over all ``p**2`` ordered pairs.
    d_embed, width, depth : int
        Embedding dimension; width and number of hidden layers of the MLP.
    activation : {"silu", "relu", "gelu", "tanh"}
    combine : {"concat", "sum"}
        Feed ``[E_a; E_b]`` (the paper) or ``E_a + E_b`` (tends to the "pizza" solution).
    optimizer : {"adamw", "sgd"}
        AdamW as ``torch.optim.AdamW``, or SGD with decoupled weight decay; both act on all
        parameters, the embedding included.
    lr, weight_decay, betas, eps : float
        Optimiser settings (``betas`` and ``eps`` for AdamW only).
    train_fraction : float
        Fraction of pairs in the training set, drawn as the reference code draws it.
    dtype : {"float32", "float64"}
        Float64 is the reference code's precision; float32 is several times faster.
    device : str
        ``"cpu"`` or ``"cuda"``.
    steps : int
        Number of optimiser updates (full batch each).
    seeds : int or list of int
        One run per seed. A seed may repeat when ``initial_embedding`` gives the repeats
        different embeddings (paired runs: same MLP and split, another ``E``).
    design : {"vary_all", "fix_embedding", "fix_mlp", "fix_split"}
        What the run's seed changes; the rest comes from ``init_seed`` (see `run_seeds`).
    init_seed : int
        Seed of the fixed parts.
    log_every : int
        Log every this many steps (the last step is always logged).
    eval_every : int, optional
        Evaluate the test set every this many steps (default ``log_every``); NaN elsewhere.
    snapshot_steps : list of int
        Steps at which the whole embedding is stored (variable ``embedding``).
    checkpoint : path, optional
        File for periodic checkpoints (tensors only). With ``resume=True`` an existing
        checkpoint of the same configuration is continued.
    checkpoint_every : int
        Steps between checkpoints.
    resume : bool
        Continue from ``checkpoint`` if it exists.
    progress : bool, optional
        Show a progress bar; ``None`` shows it only on a terminal.
    fitness_signals : bool
        Also log, at every logged step, the loss gradient's push on each circle
        (``loss_push``) and its size (``grad_strength``); see the variables below.
    threads : int, optional
        CPU threads: the runs' chunks are trained on ``min(threads, chunks)`` worker threads
        with one torch thread each. Default: ``OMP_NUM_THREADS`` if set, else every available
        core (see `lvdyn.producers._threads`). The results do not depend on it.

    Returns
    -------
    xarray.Dataset
        Traces with ``strength`` (S_k, k = 1..p//2), ``dc_strength`` (S_0),
        ``strength_mean_all`` (mean of S_k over all p rows, for the survival rule),
        ``early_gradient`` ((S_k(4) - S_k(3)) / S_k(0), per run and component),
        ``train_loss``, ``train_acc``, ``test_loss``, ``test_acc``, per-run settings as
        coordinates, and ``embedding`` (run, snapshot_step, token, embed_dim) when
        ``snapshot_steps`` is given. With ``fitness_signals``: ``loss_push``
        (``-Re<F_k, G_k> / S_k``, where ``F_k`` and ``G_k`` are the DFT rows of ``E`` and of
        the training loss's gradient ``G = dL/dE``: the growth of ``S_k`` per unit learning
        rate that plain gradient descent on the loss would give) and ``grad_strength``
        (``||G_k||``), both (run, step, component).
    initial_embedding : array_like or callable, optional
        The runs' starting embedding instead of the seed's draw: an array ``(p, d_embed)``
        for every run, ``(run, p, d_embed)`` one per seed, or ``f(seed) -> (p, d_embed)``
        (see `intervene`, `construct_embedding`, `seed_embedding`). The MLP and split still
        come from the seeds. Each run's embedding is identified by a 16-digit SHA-256 of its
        float64 values (run coordinate ``embedding_source``, ``"seed"`` or ``"given:HASH"``;
        the list is in ``producer_config``), which a checkpoint must match to resume.
    freeze_embedding : bool
        Keep ``E`` fixed at its starting value (no update, no weight decay): the MLP
        learns on a fixed embedding, bit for bit (the reference's ``--freeze_embedding``).
    freeze_mlp : bool
        Keep the MLP fixed at its initialisation and train only ``E``.

    Raises
    ------
    TrainingInterrupted
        On SIGINT or SIGTERM, after saving a checkpoint; it carries the traces so far.
    """
    config = _config(
        p=p, d_embed=d_embed, width=width, depth=depth, activation=activation,
        combine=combine, optimizer=optimizer, lr=lr, weight_decay=weight_decay, betas=betas,
        eps=eps, train_fraction=train_fraction, dtype=dtype, device=device, steps=steps,
        seeds=seeds, design=design, init_seed=init_seed, log_every=log_every,
        eval_every=eval_every, snapshot_steps=snapshot_steps,
        checkpoint_every=checkpoint_every, fitness_signals=fitness_signals,
        given_embedding=initial_embedding is not None, freeze_embedding=freeze_embedding,
        freeze_mlp=freeze_mlp,
    )  # fmt: skip
    given = resolve_initial_embedding(
        initial_embedding, config["seeds"], config["p"], config["d_embed"]
    )
    if given is not None:
        config["initial_embedding"] = [embedding_hash(e) for e in given]
        keys = list(zip(config["seeds"], config["initial_embedding"], strict=True))
        if len(set(keys)) != len(keys):
            raise ValueError(
                "`seeds` and `initial_embedding` repeat a run (same seed, same embedding). "
                "Drop the duplicate runs."
            )
    budget = thread_budget(threads)
    ckpt = None if checkpoint is None else check_writable(checkpoint, argument="checkpoint")
    # one torch thread throughout on CPU, set-up included (see lvdyn.producers._threads)
    with torch_threads(1 if config["device"] == "cpu" else None):
        trainer = _new_trainer(config, budget, given)
        if ckpt is not None and resume and ckpt.exists():
            _resume(trainer, ckpt, config)
        steps = config["steps"]
        description = f"modadd p={config['p']} d={config['d_embed']} x{len(config['seeds'])}"
        with stop_on_signals() as stop, TrainingProgress(steps, progress, description) as bar:
            bar.update(trainer.step, test_acc=float("nan"), live=float("nan"), force=True)
            finished = trainer.run_until(
                steps, stop=stop, progress=bar, checkpoint=ckpt,
                checkpoint_every=config["checkpoint_every"], config=config,
            )  # fmt: skip
        if not finished:
            partial = build_traces(trainer, config) if trainer.rows else None
            raise TrainingInterrupted(partial, ckpt, trainer.step)
        return build_traces(trainer, config)


def _new_trainer(
    config: dict[str, Any], threads: int = 1, given: np.ndarray | None = None
) -> EnsembleTrainer:
    arch = Architecture(
        p=config["p"],
        d_embed=config["d_embed"],
        width=config["width"],
        depth=config["depth"],
        activation=config["activation"],
        combine=config["combine"],
    )
    runs = run_seeds(config["design"], config["seeds"], config["init_seed"])
    device = torch.device(config["device"])
    params = stack_runs(arch, runs, dtype=torch_dtype(config["dtype"]), device=device)
    if given is not None:
        params["embedding"] = torch.as_tensor(given).to(
            device=device, dtype=torch_dtype(config["dtype"])
        )
    frozen: list[str] = []
    if config["freeze_embedding"]:
        frozen = ["embedding"]
    elif config["freeze_mlp"]:
        frozen = [name for name in arch.parameter_names() if name != "embedding"]
    optimizer = BatchedOptimizer(
        kind=config["optimizer"],
        lr=config["lr"],
        weight_decay=config["weight_decay"],
        betas=(config["betas"][0], config["betas"][1]),
        eps=config["eps"],
    )
    n_train = int(config["p"] ** 2 * config["train_fraction"])
    per_run = n_train * config["width"] * torch_dtype(config["dtype"]).itemsize
    chunk = len(runs) if device.type != "cpu" else _cpu_chunk_size(len(runs), per_run)
    workers = 1 if device.type != "cpu" else min(threads, -(-len(runs) // chunk))
    return EnsembleTrainer(
        arch=arch,
        runs=runs,
        params=params,
        optimizer=optimizer,
        train_fraction=config["train_fraction"],
        log_every=config["log_every"],
        eval_every=config["eval_every"],
        snapshot_steps=tuple(config["snapshot_steps"]),
        device=device,
        chunk_size=chunk,
        workers=workers,
        fitness=config["fitness_signals"],
        frozen=tuple(frozen),
    )


def _cpu_chunk_size(n_runs: int, per_run: int) -> int:
    """Runs per CPU chunk, from the problem alone: never from ``threads`` or the machine.

    A run's values depend at rounding level on the size of its chunk, so the size comes from
    the problem alone and the results are the same for every thread count, CPU affinity and
    CPU quota.

    Examples
    --------
    >>> [_cpu_chunk_size(32, 1_113_600), _cpu_chunk_size(8, 1_113_600)]  # the paper's size
    [4, 2]
    >>> _cpu_chunk_size(8, 6_144)  # a toy problem: one chunk
    8
    """
    most = max(1, _CPU_CHUNK_BYTES // per_run)
    least = max(1, _CPU_MIN_CHUNK_BYTES // per_run)
    return min(n_runs, most, max(least, -(-n_runs // _CPU_MIN_CHUNKS)))


def _resume(trainer: EnsembleTrainer, path: Path, config: dict[str, Any]) -> None:
    tensors, saved = load_checkpoint(path)
    for key, default in _ADDED_SETTINGS.items():  # checkpoints written before they existed
        saved.setdefault(key, default)
    differ = sorted(
        k for k in set(config) | set(saved) if k not in _RESUMABLE and config.get(k) != saved.get(k)
    )
    if differ:
        raise ValueError(
            f"`checkpoint` {str(path)!r} belongs to another configuration (differs in "
            f"{differ}). Use another checkpoint path, or resume=False to start afresh."
        )
    if int(tensors["step"]) > config["steps"]:
        raise ValueError(
            f"`steps` must be at least the checkpoint's step {int(tensors['step'])}; got "
            f"{config['steps']}. Pass more steps or another checkpoint path."
        )
    trainer.restore(tensors)
