"""Checkpoints of the modular-addition producer: safe format, exact resume, signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import xarray as xr

import lvdyn

torch = pytest.importorskip("torch")

from lvdyn.cli import main  # noqa: E402
from lvdyn.producers import modadd  # noqa: E402

SMALL = {"p": 23, "d_embed": 16, "width": 32, "progress": False, "dtype": "float32"}


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _same_traces(a: xr.Dataset, b: xr.Dataset) -> None:
    assert a.step.values.tolist() == b.step.values.tolist()
    for name in ("strength", "train_loss", "test_acc", "early_gradient", "strength_mean_all"):
        # Bit-identical: the same deterministic CPU computation from the same state.
        np.testing.assert_array_equal(a[name].values, b[name].values)


def test_resume_from_a_checkpoint_is_identical_to_an_uninterrupted_run(tmp_path) -> None:
    path = tmp_path / "ckpt.pt"
    settings = {**SMALL, "seeds": [0, 1], "snapshot_steps": [2, 25]}
    first = modadd.train(**settings, steps=30, checkpoint=path, checkpoint_every=10)
    assert first.sizes["step"] == 31 and path.exists()
    resumed = modadd.train(**settings, steps=50, checkpoint=path, checkpoint_every=10)
    straight = modadd.train(**settings, steps=50)
    _same_traces(resumed, straight)
    np.testing.assert_array_equal(resumed.embedding.values, straight.embedding.values)


def test_checkpoint_holds_tensors_only(tmp_path) -> None:
    path = tmp_path / "ckpt.pt"
    modadd.train(**SMALL, seeds=[0], steps=5, checkpoint=path)
    payload = torch.load(path, weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in payload.values())
    assert int(payload["step"]) == 5


def test_checkpoint_of_another_configuration_is_refused(tmp_path) -> None:
    path = tmp_path / "ckpt.pt"
    modadd.train(**SMALL, seeds=[0], steps=5, checkpoint=path)
    with pytest.raises(ValueError, match="another configuration"):
        modadd.train(**{**SMALL, "d_embed": 8}, seeds=[0], steps=5, checkpoint=path)
    with pytest.raises(ValueError, match="not a readable lvdyn checkpoint"):
        (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
        modadd.train(**SMALL, seeds=[0], steps=5, checkpoint=tmp_path / "junk.pt")


def test_sigterm_in_process_saves_and_resumes_exactly(tmp_path) -> None:
    path = tmp_path / "ckpt.pt"
    timer = threading.Timer(1.0, os.kill, args=(os.getpid(), signal.SIGTERM))
    timer.start()
    with pytest.raises(modadd.TrainingInterrupted) as caught:
        modadd.train(**SMALL, seeds=[0, 1], steps=10**6, checkpoint=path, checkpoint_every=10**6)
    timer.cancel()
    stopped = caught.value
    assert stopped.checkpoint == path and path.exists() and stopped.step > 0
    assert stopped.traces.step.values[-1] == stopped.step - 1
    steps = stopped.step + 20
    resumed = modadd.train(**SMALL, seeds=[0, 1], steps=steps, checkpoint=path)
    _same_traces(resumed, modadd.train(**SMALL, seeds=[0, 1], steps=steps))


@pytest.mark.slow
def test_sigterm_to_the_command_line_writes_traces_and_a_checkpoint(tmp_path) -> None:
    out, ckpt = tmp_path / "traces.nc", tmp_path / "ckpt.pt"
    args = ["train", "modadd", "--p", "23", "--d-embed", "16", "--width", "32", "--seeds", "0,1"]
    child_args = [*args, "--steps", "1000000", "--out", str(out), "--checkpoint", str(ckpt)]
    child_args += ["--checkpoint-every", "50", "--no-progress"]
    code = f"import sys; from lvdyn.cli import main; sys.exit(main({child_args!r}))"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    child = subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not ckpt.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    partial = lvdyn.open_traces(out)
    done = int(torch.load(ckpt, weights_only=True)["step"])
    assert partial.step.values[-1] == done - 1
    final = tmp_path / "final.nc"
    rest = ["--steps", str(done + 10), "--no-progress"]
    assert main([*args, *rest, "--out", str(final), "--checkpoint", str(ckpt)]) == 0
    straight = modadd.train(**SMALL, seeds=[0, 1], steps=done + 10)
    _same_traces(lvdyn.open_traces(final), straight)


def test_cli_trains_and_writes_traces(tmp_path) -> None:
    out = tmp_path / "t.nc"
    args = ["train", "modadd", "--p", "11", "--d-embed", "8", "--width", "16", "--steps", "8"]
    assert main([*args, "--seeds", "0-2", "--snapshot-steps", "0,8", "--out", str(out)]) == 0
    ds = lvdyn.open_traces(out)
    assert ds.sizes["run"] == 3 and ds.embedding.sizes["snapshot_step"] == 2
    assert main([*args, "--seeds", "a-b", "--out", str(out)]) == 2
