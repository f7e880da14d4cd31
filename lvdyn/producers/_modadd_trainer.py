"""The training loop of the modular-addition ensemble: state, logging, checkpoints.

Step ``t`` means "after ``t`` optimiser updates": step 0 is the initialisation. At a logged
step the trainer records, for every run, the strengths ``S_0..S_{p-1}`` of the embedding,
the training loss and accuracy of the forward pass that produces the next update, and
(every ``eval_every`` steps) the test loss and accuracy. Steps 0..4 are always kept
internally for the early-gradient signal.

With ``fitness`` on, each logged step also records two per-frequency signals of the
training loss's gradient ``G = dL/dE`` at that step (``F_k`` and ``G_k`` are the DFT rows of
``E`` and ``G`` along the token axis, ``S_k = ||F_k||``):

- ``loss_push_k = -Re<F_k, G_k> / S_k``: the rate at which plain gradient descent on the
  loss would grow ``S_k`` per unit learning rate (``dS_k = -lr Re<F_k, G_k> / S_k`` to first
  order); positive where the loss favours circle ``k``;
- ``grad_strength_k = ||G_k||``: the size of the gradient's frequency-``k`` part.

Each step is one task per chunk of runs on the worker pool: the forward and backward pass,
the logged signals, the test evaluation and the optimiser update of those runs, so that
nothing but bookkeeping is left to the calling thread, and the gradients are still in cache
when the update reads them.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from lvdyn.producers._checkpoint import save_checkpoint
from lvdyn.producers._modadd_model import Architecture, RunSeeds, pair_tokens, split_pairs
from lvdyn.producers._modadd_spectra import half_dft_matrix, spectra
from lvdyn.producers._optim import BatchedOptimizer
from lvdyn.producers._progress import TrainingProgress
from lvdyn.producers._threads import WorkerPool, worker_pool

__all__ = ["N_METRICS", "EnsembleTrainer", "StopFlag", "stop_on_signals"]

N_EARLY = 5  # steps 0..4, for g_k = (S_k(4) - S_k(3)) / S_k(0)
N_METRICS = 4  # train_loss, train_acc, test_loss, test_acc


@dataclass
class StopFlag:
    """Set by a signal handler; the loop stops at the start of the next step."""

    signum: int | None = None


@contextlib.contextmanager
def stop_on_signals() -> Iterator[StopFlag]:
    """Turn the first SIGINT or SIGTERM into a `StopFlag`; a second SIGINT stops at once.

    Outside the main thread (where handlers cannot be installed) the flag is never set.
    """
    flag = StopFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if flag.signum is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        flag.signum = signum

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@dataclass
class _Split:
    a: torch.Tensor
    b: torch.Tensor
    y: torch.Tensor


def _splits(
    arch: Architecture, runs: list[RunSeeds], fraction: float, device: torch.device
) -> tuple[_Split, _Split]:
    pieces = [split_pairs(arch.p, fraction, run.split_seed) for run in runs]
    out = []
    for part in (0, 1):
        tokens = [pair_tokens(piece[part], arch.p) for piece in pieces]
        a, b, y = (
            torch.as_tensor(np.stack([t[i] for t in tokens]), device=device) for i in range(3)
        )
        out.append(_Split(a, b, y))
    return out[0], out[1]


@dataclass(frozen=True)
class _Plan:
    """What one step does to every chunk of runs."""

    backward: bool  # compute gradients (for the update or the fitness signals)
    spectra: bool  # circle strengths (a logged step, or one of the early steps)
    fitness: bool  # fitness signals (a logged step with the signals on)
    evaluate: bool  # test loss and accuracy
    update: int | None  # number of the optimiser update to apply afterwards, if any


@dataclass
class EnsembleTrainer:
    """Parameters, optimiser state and logs of one ensemble; `run_until` trains it."""

    arch: Architecture
    runs: list[RunSeeds]
    params: dict[str, torch.Tensor]
    optimizer: BatchedOptimizer
    train_fraction: float
    log_every: int
    eval_every: int
    snapshot_steps: tuple[int, ...]
    device: torch.device
    chunk_size: int = 1
    workers: int = 1
    fitness: bool = False
    frozen: tuple[str, ...] = ()
    step: int = 0
    state: dict[str, torch.Tensor] = field(default_factory=dict)
    logged_steps: list[int] = field(default_factory=list)
    rows: list[np.ndarray] = field(default_factory=list)
    early: np.ndarray | None = None
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.state = self.state or self.optimizer.init_state(self.params)
        self.grads = {k: torch.zeros_like(v) for k, v in self.params.items()}
        # frozen parameters get neither updates nor weight decay, as a torch parameter with
        # requires_grad=False under torch.optim.AdamW
        self._trainable = {k: v for k, v in self.params.items() if k not in self.frozen}
        self.train_split, self.test_split = _splits(
            self.arch, self.runs, self.train_fraction, self.device
        )
        dtype = self.params["embedding"].dtype
        self._dft = half_dft_matrix(self.arch.p, self.device, dtype)
        if self.early is None:
            self.early = np.full((len(self.runs), N_EARLY, self.arch.p), np.nan)
        self._pending: list[torch.Tensor] = []
        self._last_step = -1
        self._pool = WorkerPool(1, None)  # inline; run_until brings the workers

    # ----- one step ----------------------------------------------------------------------
    def _chunks(self) -> list[tuple[int, int]]:
        n = len(self.runs)
        return [(i, min(i + self.chunk_size, n)) for i in range(0, n, self.chunk_size)]

    def _metrics(
        self, split: _Split, i: int, j: int, grad: tuple[str, ...] = ()
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean loss and accuracy of runs ``i:j``; gradients of ``grad`` into ``self.grads``.

        Each run's loss is its own mean cross-entropy, so the gradient of their sum gives every
        run exactly its own gradient.
        """
        with torch.set_grad_enabled(bool(grad)):
            # `.data`: a view with its own version counter, so that the in-place updates of
            # other chunks' rows (on other workers) do not invalidate this chunk's graph
            params = {k: v[i:j].data.requires_grad_(k in grad) for k, v in self.params.items()}
            logits = self.arch.forward(params, split.a[i:j], split.b[i:j])
            y = split.y[i:j]
            n_runs, n_pairs = y.shape
            per_pair = F.cross_entropy(
                logits.reshape(n_runs * n_pairs, -1), y.reshape(-1), reduction="none"
            )
            loss = per_pair.view(n_runs, n_pairs).mean(dim=1)
        if grad:
            loss.sum().backward()
            for k in grad:
                value = params[k].grad
                if value is not None:  # always set: every parameter reaches the loss
                    self.grads[k][i:j].copy_(value)
        # the first maximum's index, as argmax (ties and NaN included), in 3/4 of its time
        predicted = logits.detach().max(dim=-1).indices
        acc = (predicted == y).to(loss.dtype).mean(dim=1)
        return loss.detach(), acc

    def _chunk_step(self, plan: _Plan, rows: tuple[int, int]) -> tuple[torch.Tensor, ...]:
        """Step ``plan`` on runs ``rows``: returns strengths, metrics and fitness signals.

        Strengths ``(runs, p)`` and signals ``(runs, 2 p)`` are empty when the plan has none;
        metrics are ``(runs, 4)``: train loss and accuracy, test loss and accuracy (NaN when
        not evaluated). All computed in the model's precision, returned as float64.
        """
        i, j = rows
        grad: tuple[str, ...] = ()
        if plan.backward:
            grad = tuple(
                k for k in self.params
                if k not in self.frozen or (k == "embedding" and plan.fitness)
            )  # fmt: skip
            if plan.update is None:  # the last step: only dL/dE, for the fitness signals
                grad = ("embedding",)
        loss, acc = self._metrics(self.train_split, i, j, grad)
        test_loss = test_acc = torch.full_like(loss, float("nan"))
        if plan.evaluate:
            with torch.no_grad():
                test_loss, test_acc = self._metrics(self.test_split, i, j)
        metrics = torch.stack([loss, acc, test_loss, test_acc], dim=1).double()
        empty = metrics[:, :0]
        strengths, signals = empty, empty
        if plan.spectra:
            gradient = self.grads["embedding"][i:j] if plan.fitness else None
            values, fitness = spectra(self._dft, self.params["embedding"][i:j], gradient)
            strengths = values.double()
            if fitness is not None:
                signals = fitness.flatten(1).double()
        if plan.update is not None:
            self.optimizer.update(self._trainable, self.grads, self.state, plan.update, slice(i, j))
        return strengths, metrics, signals

    def _step(self, t: int, backward: bool, update: bool) -> None:
        """Step ``t`` on every chunk: log what is due and apply the update if ``update``."""
        logged = t % self.log_every == 0 or t == self._last_step
        evaluate = logged and (t % self.eval_every == 0 or t == self._last_step)
        if t in self.snapshot_steps:
            self.snapshots[t] = self.params["embedding"].detach().double().cpu().numpy().copy()
        plan = _Plan(
            backward=backward,
            spectra=logged or t < N_EARLY,
            fitness=logged and self.fitness,
            evaluate=evaluate,
            update=self.optimizer.advance(self.state) if update else None,
        )
        pieces = self._pool.map(lambda rows: self._chunk_step(plan, rows), self._chunks())
        strengths, metrics, signals = (torch.cat(part) for part in zip(*pieces, strict=True))
        if t < N_EARLY and self.early is not None:
            self.early[:, t] = strengths.cpu().numpy()
        if logged:
            self._pending.append(torch.cat([strengths, metrics, signals], dim=1))
            self.logged_steps.append(t)
            if len(self._pending) >= 256:
                self._flush()

    def _flush(self) -> None:
        if self._pending:
            block = torch.stack(self._pending).double().cpu().numpy()
            self.rows.extend(block)
            self._pending = []

    def latest(self) -> tuple[float, float]:
        """Mean test accuracy (last evaluation) and mean number of live circles."""
        self._flush()
        if not self.rows:
            return float("nan"), float("nan")
        row = self.rows[-1]
        p = self.arch.p
        strengths = row[:, :p]
        live = (strengths[:, 1 : p // 2 + 1] > 2 * strengths.mean(axis=1, keepdims=True)).sum(1)
        accs = [r[:, p + 3] for r in reversed(self.rows[-max(self.eval_every, 1) - 1 :])]
        acc = next((float(np.mean(a)) for a in accs if np.all(np.isfinite(a))), float("nan"))
        return acc, float(np.mean(live))

    # ----- the loop ----------------------------------------------------------------------
    def run_until(
        self,
        steps: int,
        *,
        stop: StopFlag,
        progress: TrainingProgress,
        checkpoint: Path | None,
        checkpoint_every: int,
        config: dict[str, Any],
    ) -> bool:
        """Train up to ``steps``; return False if a signal stopped the loop early.

        The chunks of each forward, backward and update pass go to ``workers`` threads, with
        one torch thread each on CPU (`lvdyn.producers._threads`); the arithmetic of each
        chunk is the same for any number of workers, so the results are too.
        """
        intra_op = 1 if self.device.type == "cpu" else None
        with worker_pool(self.workers, intra_op_threads=intra_op) as pool:
            self._pool = pool
            try:
                return self._loop(
                    steps, stop=stop, progress=progress, checkpoint=checkpoint,
                    checkpoint_every=checkpoint_every, config=config,
                )  # fmt: skip
            finally:
                self._pool = WorkerPool(1, None)

    def _loop(
        self,
        steps: int,
        *,
        stop: StopFlag,
        progress: TrainingProgress,
        checkpoint: Path | None,
        checkpoint_every: int,
        config: dict[str, Any],
    ) -> bool:
        self._last_step = steps
        start = self.step
        while True:
            t = self.step
            if stop.signum is not None:
                if checkpoint is not None:
                    self.save(checkpoint, config)
                self._flush()
                return False
            if checkpoint is not None and t != start and (t % checkpoint_every == 0 or t == steps):
                self.save(checkpoint, config)
            # the last step needs its gradient only for the fitness signals
            self._step(t, backward=t < steps or self.fitness, update=t < steps)
            if t == steps:
                break
            self.step = t + 1
            if progress.enabled and (self.step % 10 == 0 or self.step == steps):
                acc_now, live = self.latest()
                progress.update(self.step, test_acc=acc_now, live=live)
        self._flush()
        if progress.enabled:
            acc_now, live = self.latest()
            progress.update(steps, test_acc=acc_now, live=live, force=True)
        return True

    # ----- checkpoints -------------------------------------------------------------------
    def tensors(self) -> dict[str, torch.Tensor]:
        """Everything needed to resume, as tensors."""
        self._flush()
        out = {f"param.{k}": v.detach() for k, v in self.params.items()}
        out.update({f"optim.{k}": v for k, v in self.state.items()})
        out["step"] = torch.tensor(self.step, dtype=torch.int64)
        out["logged_steps"] = torch.tensor(self.logged_steps, dtype=torch.int64)
        n_cols = self.arch.p * (3 if self.fitness else 1) + N_METRICS
        rows = np.stack(self.rows) if self.rows else np.zeros((0, len(self.runs), n_cols))
        out["rows"] = torch.from_numpy(rows)
        out["early"] = torch.from_numpy(np.asarray(self.early))
        for t, emb in self.snapshots.items():
            out[f"snapshot.{t}"] = torch.from_numpy(emb)
        return out

    def save(self, path: Path, config: dict[str, Any]) -> None:
        """Write a checkpoint of the current state to ``path``."""
        save_checkpoint(path, self.tensors(), config)

    def restore(self, tensors: dict[str, torch.Tensor]) -> None:
        """Load the state written by `tensors` (same configuration)."""
        with torch.no_grad():
            for name, value in self.params.items():
                value.copy_(tensors[f"param.{name}"])
            for name, value in self.state.items():
                value.copy_(tensors[f"optim.{name}"])
        self.step = int(tensors["step"])
        self.logged_steps = [int(s) for s in tensors["logged_steps"].tolist()]
        self.rows = list(tensors["rows"].numpy())
        self.early = tensors["early"].numpy().copy()
        self.snapshots = {
            int(k.split(".", 1)[1]): v.numpy()
            for k, v in tensors.items()
            if k.startswith("snapshot.")
        }
