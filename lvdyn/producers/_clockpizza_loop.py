"""The training loop of the Clock-and-Pizza producer: runs side by side, what each step logs.

Imported only by `lvdyn.producers.clockpizza` (see its docstring for the traced variables).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from lvdyn.producers._clockpizza_fitness import gradient_signals, update_push
from lvdyn.producers._clockpizza_metrics import (
    distance_irrelevance,
    fourier_energy,
    gradient_symmetricity,
)
from lvdyn.producers._progress import TrainingProgress
from lvdyn.producers._threads import worker_pool

__all__ = ["Run", "train_runs"]


def _evaluate(model: torch.nn.Module, pairs: torch.Tensor, p: int) -> tuple[float, float]:
    with torch.no_grad():
        return _scores(model(pairs).double(), pairs.sum(1) % p)


def _scores(logits: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """Cross-entropy and accuracy of float64 ``logits``."""
    with torch.no_grad():
        loss = torch.nn.functional.cross_entropy(logits, labels)
        acc = (logits.argmax(1) == labels).double().mean()
    return float(loss), float(acc)


def train_runs(
    seeds: list[int],
    threads: int,
    progress: bool | None,
    alpha: float,
    new_run: Callable[[int], tuple[torch.nn.Module, torch.Tensor, torch.Tensor]],
    run: Run,
) -> list[dict[str, np.ndarray]]:
    """Train one run per seed on ``min(threads, runs)`` workers; their traced values."""
    # Every run's weights and split are drawn here, in seed order, from torch's global
    # generator (``build_run`` seeds it); the workers then train the runs side by side.
    models = [new_run(seed) for seed in seeds]
    bar = TrainingProgress(run.steps * len(seeds), progress, f"clockpizza alpha={alpha:g}")
    with bar, worker_pool(min(threads, len(seeds))) as pool:
        run.start(bar, len(seeds))
        try:
            return pool.map(run.train, list(enumerate(models)))
        except BaseException:
            run.stop.set()  # the other workers stop at their next step
            raise


@dataclass
class Run:
    """The training loop of one run, shared by the worker threads (one run per call)."""

    p: int
    steps: int
    lr: float
    betas: tuple[float, float]
    weight_decay: float
    schedule: Callable[[int], float]
    dtype: torch.dtype
    logged: np.ndarray
    metrics_every: int
    triples: np.ndarray
    incorrect_logit_di: bool
    fitness_signals: bool
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self, bar: TrainingProgress, n_runs: int) -> None:
        """Report to ``bar`` the steps done by all ``n_runs`` runs together."""
        self._bar, self._done, self._lock = bar, [0] * n_runs, threading.Lock()

    def _report(self, index: int, step: int, values: dict[str, Any]) -> None:
        energy = values["strength"]
        with self._lock:
            self._done[index] = step
            self._bar.update(
                sum(self._done),
                test_acc=values["test_acc"],
                live=float(np.sum(energy > 2 * energy.mean())),
                force=step == self.steps,
            )

    def train(
        self, job: tuple[int, tuple[torch.nn.Module, torch.Tensor, torch.Tensor]]
    ) -> dict[str, np.ndarray]:
        """Train one run ``(index, (model, train pairs, test pairs))``; its traced values."""
        index, (model, train_pairs, test_pairs) = job
        model = model.to(self.dtype)
        p, steps, logged = self.p, self.steps, self.logged
        labels = train_pairs.sum(1) % p
        optimiser = torch.optim.AdamW(
            model.parameters(), lr=self.lr, betas=self.betas, weight_decay=self.weight_decay
        )
        schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, self.schedule)
        records: dict[str, np.ndarray] = {}
        row = 0
        for step in range(steps + 1):
            if self.stop.is_set():
                raise RuntimeError("stopped: another run failed or was interrupted")
            values = None
            is_logged = row < logged.size and step == logged[row]
            probe = is_logged and self.fitness_signals
            # the last step needs its forward and gradient for the fitness signals only
            forward = step < steps or probe
            if is_logged:
                with_metrics = step % self.metrics_every == 0 or step == steps
                values = _measure(
                    model, p, None if forward else train_pairs, test_pairs,
                    self.triples if with_metrics else None,
                    incorrect_logit_di=self.incorrect_logit_di,
                )  # fmt: skip
            if forward:  # a logged step reads train_loss off this pass, before the update
                optimiser.zero_grad()
                logits = model(train_pairs).double()
                if values is not None:
                    values["train_loss"], values["train_acc"] = _scores(logits, labels)
                torch.nn.functional.cross_entropy(logits, labels).backward()
            if probe:
                table, signals = gradient_signals(model, p)
                values.update(signals)  # type: ignore[union-attr]
            if step < steps:
                optimiser.step()
                schedule.step()
            if values is not None:
                if probe:
                    values["update_push"] = (
                        update_push(model, table, optimiser, p)
                        if step < steps
                        else np.full((p - 1) // 2, np.nan)
                    )
                for name, value in values.items():
                    if name not in records:
                        records[name] = np.full((logged.size, *np.shape(value)), np.nan)
                    records[name][row] = value
                row += 1
                self._report(index, step, values)
        return records


def _measure(
    model: Any,
    p: int,
    train_pairs: torch.Tensor | None,
    test_pairs: torch.Tensor,
    triples: np.ndarray | None,
    *,
    incorrect_logit_di: bool,
) -> dict[str, Any]:
    """The traced quantities at one step; the two metrics only when ``triples`` is given,
    the training loss and accuracy only when ``train_pairs`` is (else the caller's step
    measures them on its own forward pass, before the update)."""
    values: dict[str, Any] = {}
    embed = model.embedding_table().detach().double().numpy()
    values["strength"], values["emb_power_dc"] = fourier_energy(embed, axis=0)
    if getattr(model, "separate_embeddings", False):  # diff_vocab, or the paper's model X
        other = model.embedding_table(1).detach().double().numpy()
        values["strength_b"], _ = fourier_energy(other, axis=0)
    unembed = model.unembedding_table().detach().double().numpy()
    values["unembed_strength"], _ = fourier_energy(unembed, 1)
    if train_pairs is not None:
        values["train_loss"], values["train_acc"] = _evaluate(model, train_pairs, p)
    values["test_loss"], values["test_acc"] = _evaluate(model, test_pairs, p)
    values["grad_symmetricity"] = np.nan
    values["distance_irrelevance"] = np.nan
    if incorrect_logit_di:
        values["distance_irrelevance_incorrect_logit"] = np.nan
    if triples is not None:
        values["grad_symmetricity"] = gradient_symmetricity(model, triples)
        values["distance_irrelevance"] = distance_irrelevance(model, p)
        if incorrect_logit_di:
            values["distance_irrelevance_incorrect_logit"] = distance_irrelevance(
                model, p, incorrect_logit=True
            )
    return values
