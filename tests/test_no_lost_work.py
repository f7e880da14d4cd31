"""No lost work: a process killed with SIGKILL (no cleanup, no handler) never leaves a half
file in place of a good one, and a killed training resumes from its last checkpoint.
"""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import lvdyn

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

#: The child writes generation after generation of a ~6 MB traces file to the same path.
WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import lvdyn

    path = sys.argv[1]
    noise = np.random.default_rng(0).uniform(0.0, 1.0, size=(4, 1500, 120))
    generation = 0
    while True:
        ds = lvdyn.make_traces(noise + generation, step=np.arange(1500),
                               attrs={"generation": generation})
        lvdyn.save_traces(ds, path)
        generation += 1
    """
)


def _env() -> dict[str, str]:
    root = str(Path(lvdyn.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}


def _wait_for(condition, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the child process did not get there in time")
        time.sleep(0.005)


def _kill_during_a_write(folder: Path) -> list[Path]:
    """Start the writer in ``folder``, SIGKILL it while a save is under way; the temp files left.

    The kill comes as soon as the second save's temporary file has bytes in it. The save can
    still finish and rename it in the instant before the signal lands; then nothing is left.
    """
    path = folder / "traces.nc"
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], env=_env())
    try:
        _wait_for(path.exists)  # the first generation is complete
        _wait_for(lambda: any(p.stat().st_size > 0 for p in folder.glob(".traces.nc.*.tmp")))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    return list(folder.glob(".traces.nc.*.tmp"))


def test_sigkill_mid_write_leaves_the_previous_file_intact(tmp_path: Path) -> None:
    for attempt in range(5):  # retried until the kill lands inside a save (almost always at once)
        folder = tmp_path / str(attempt)
        folder.mkdir()
        interrupted = _kill_during_a_write(folder)
        if interrupted:
            break
    else:
        pytest.fail("in 5 attempts the SIGKILL never landed while a save was under way")
    # The save was cut off before its rename: its temporary file is still there ...
    assert len(interrupted) == 1
    ds = lvdyn.open_traces(folder / "traces.nc")  # ... and the target opens and validates
    generation = int(ds.attrs["generation"])
    noise = np.random.default_rng(0).uniform(0.0, 1.0, size=(4, 1500, 120))
    np.testing.assert_array_equal(ds.strength.values, noise + generation)  # not a mix
    # Nothing else is left: the killed writer's temporary file never replaces the target,
    # and the next save writes its own.
    assert sorted(p.name for p in folder.iterdir()) == sorted(["traces.nc", interrupted[0].name])


def test_a_write_that_raises_leaves_no_temporary_file(tmp_path: Path) -> None:
    from lvdyn.core._atomic import atomic_path

    target = tmp_path / "report.html"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="disk full"), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_atomic_files_get_ordinary_permissions(tmp_path: Path) -> None:
    # mkstemp makes 0o600 files; a saved file must be readable as an ordinary one is.
    path = lvdyn.save_traces(lvdyn.make_traces(np.ones((2, 2)), step=[0, 1]), tmp_path / "t.nc")
    plain = tmp_path / "plain"
    plain.write_text("x")
    assert path.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777


@pytest.mark.slow
def test_training_killed_with_sigkill_resumes_to_identical_traces(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    from lvdyn.producers import modadd

    out, ckpt = tmp_path / "traces.nc", tmp_path / "ckpt.pt"

    def command(steps: int) -> list[str]:
        small = ["--p", "11", "--d-embed", "8", "--width", "16", "--seeds", "0,1"]
        files = ["--checkpoint", str(ckpt), "--checkpoint-every", "25", "--out", str(out)]
        train = ["-m", "lvdyn", "train", "modadd", "--no-progress", "--steps", str(steps)]
        return [sys.executable, *train, *small, *files]

    child = subprocess.Popen(command(3000), env=_env(), stderr=subprocess.PIPE)
    try:
        _wait_for(ckpt.exists, timeout=120)
        first = int(torch.load(ckpt, weights_only=True)["step"])
        # Let it write a few more checkpoints so the kill may land during one.
        _wait_for(lambda: int(torch.load(ckpt, weights_only=True)["step"]) >= first + 75)
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert not out.exists()  # killed before the end: no traces written, no half file
    done = int(torch.load(ckpt, weights_only=True)["step"])  # the checkpoint is intact
    assert done % 25 == 0 and 0 < done < 3000
    # Resume: the same command picks the checkpoint up; then compare with one straight run.
    steps = done + 40
    resumed = subprocess.run(
        command(steps),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    torch.set_num_threads(1)
    straight = modadd.train(
        p=11, d_embed=8, width=16, seeds=[0, 1], steps=steps, progress=False, dtype="float32"
    )
    again = lvdyn.open_traces(out)
    assert again.step.values.tolist() == straight.step.values.tolist()
    for name in ("strength", "train_loss", "test_acc", "early_gradient"):
        # Bit-identical: the same deterministic CPU computation from the same state.
        np.testing.assert_array_equal(again[name].values, straight[name].values)


# --- every write goes through atomic_path ----------------------------------------------------

#: Calls that write a file: method names, and open() with a writing mode.
WRITERS = {"to_netcdf", "savefig", "save", "write_text", "write_bytes", "to_csv", "to_parquet"}


def _is_write(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in WRITERS:
        return not (func.attr == "save" and not _is_torch(func.value))
    if isinstance(func, ast.Name) and func.id == "open" and len(call.args) > 1:
        mode = call.args[1]
        return isinstance(mode, ast.Constant) and any(c in str(mode.value) for c in "wax+")
    return False


def _is_torch(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in {"torch", "np", "numpy"}


def test_every_file_write_in_lvdyn_goes_through_atomic_path() -> None:
    package = Path(lvdyn.__file__).resolve().parent
    writes, unguarded = 0, []
    for path in package.rglob("*.py"):
        if path.name == "_atomic.py":  # the implementation itself
            continue
        tree = ast.parse(path.read_text(), str(path))
        guarded: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.With) and any(
                isinstance(item.context_expr, ast.Call)
                and getattr(item.context_expr.func, "id", None) == "atomic_path"
                for item in node.items
            ):
                guarded.update(id(inner) for inner in ast.walk(node))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _is_write(node):
                writes += 1
                if id(node) not in guarded:
                    unguarded.append(f"{path.relative_to(package)}:{node.lineno}")
    assert writes >= 4  # netCDF (traces, models, parts), checkpoints, figures, reports
    assert unguarded == []
