"""Safety: nothing unpickles user files, and paths from config files stay in the output folder."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

import lvdyn
from lvdyn.sweeps import load_config, run_sweep
from lvdyn.sweeps._config import inside_folder
from lvdyn.sweeps._task import task_params

SOURCE = Path(lvdyn.__file__).resolve().parent
#: Modules that deserialise Python objects (and so can run code from a file).
UNSAFE_MODULES = {"pickle", "cPickle", "dill", "cloudpickle", "joblib", "shelve", "marshal"}


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(), str(path))) for path in SOURCE.rglob("*.py")]


def _calls(tree: ast.Module, owner: str, name: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == name
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == owner
    ]


def _keyword(call: ast.Call, name: str) -> object:
    for keyword in call.keywords:
        if keyword.arg == name and isinstance(keyword.value, ast.Constant):
            return keyword.value.value
    return None


def test_the_source_scan_sees_the_package() -> None:
    modules = _modules()
    assert len(modules) > 50  # the scan below covers every module of lvdyn
    assert any(_calls(tree, "torch", "load") for _, tree in modules)


def test_no_module_imports_a_deserialiser() -> None:
    found = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [(node.module or "").split(".")[0]]
            else:
                continue
            found += [f"{path.name}: {n}" for n in names if n in UNSAFE_MODULES]
    assert found == []


def test_every_torch_load_has_weights_only_true() -> None:
    loads = [(path, call) for path, tree in _modules() for call in _calls(tree, "torch", "load")]
    unsafe = [f"{p.name}:{c.lineno}" for p, c in loads if _keyword(c, "weights_only") is not True]
    assert loads and unsafe == []


def test_no_pickle_readers_from_numpy_or_pandas() -> None:
    bad = []
    for path, tree in _modules():
        for call in _calls(tree, "np", "load") + _calls(tree, "numpy", "load"):
            if _keyword(call, "allow_pickle") is not False:
                bad.append(f"{path.name}:{call.lineno} np.load without allow_pickle=False")
        for call in _calls(tree, "pd", "read_pickle") + _calls(tree, "pandas", "read_pickle"):
            bad.append(f"{path.name}:{call.lineno} read_pickle")
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "allow_pickle":
                if isinstance(node.value, ast.Constant) and node.value.value is True:
                    bad.append(f"{path.name}:{node.value.lineno} allow_pickle=True")
    assert bad == []


class _Payload:
    """Unpickling this would create a file: the proof that code ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (Path.write_text, (Path(self.marker), "code ran"))


def test_a_checkpoint_with_a_pickled_object_is_refused_without_running_it(
    tmp_path: Path,
) -> None:
    torch = pytest.importorskip("torch")
    from lvdyn.producers._checkpoint import load_checkpoint

    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"step": torch.tensor(3), "config_json": _Payload(str(marker))}, path)
    with pytest.raises(ValueError, match=r"`checkpoint`.*not a readable lvdyn checkpoint"):
        load_checkpoint(path)
    assert not marker.exists()


# --- paths from config files -----------------------------------------------------------------

CONFIG = {"producer": "synthetic", "entry": "lotka_volterra", "seeds": [0]}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("checkpoint", "../ckpt.pt"),
        ("checkpoint", "/tmp/ckpt.pt"),
        ("log_path", "a/../../x.csv"),
        ("out", "C:\\\\temp\\\\x.nc"),
    ],
)
def test_path_parameters_must_be_relative_without_dotdot(key: str, value: str) -> None:
    with pytest.raises(ValueError, match=rf"`params.{key}` must be a path inside the output"):
        load_config({**CONFIG, "params": {key: value}})
    with pytest.raises(ValueError, match=rf"`grid.{key}` must be a path inside the output"):
        load_config({**CONFIG, "grid": {key: ["ok.pt", value]}})


def test_path_parameters_are_private_to_each_task_inside_the_output_folder(tmp_path: Path) -> None:
    config = load_config({**CONFIG, "params": {"checkpoint": "ckpt.pt", "steps": 5}})
    (task,) = config.tasks()
    params = task_params(task, tmp_path)
    assert params["steps"] == 5  # other keywords pass through unchanged
    expected = (tmp_path / "tasks" / task.name / "ckpt.pt").resolve()
    assert Path(params["checkpoint"]) == expected and expected.parent.is_dir()


def _outside_link(tmp_path: Path, name: str) -> tuple[Path, Path]:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    os.symlink(elsewhere, out / name)
    return out, elsewhere


def test_a_symlink_cannot_lead_a_task_path_out_of_the_folder(tmp_path: Path) -> None:
    out, elsewhere = _outside_link(tmp_path, "tasks")
    config = load_config({**CONFIG, "params": {"checkpoint": "ckpt.pt"}})
    with pytest.raises(ValueError, match=r"`params.checkpoint`.*through a symbolic link"):
        task_params(config.tasks()[0], out)
    assert list(elsewhere.iterdir()) == []


def test_a_symlink_cannot_lead_the_combined_file_out_of_the_folder(tmp_path: Path) -> None:
    out, elsewhere = _outside_link(tmp_path, "link")
    config = {**CONFIG, "params": {"r": [1.0], "A": [[-1.0]], "x0": [0.1], "steps": 3}}
    with pytest.raises(ValueError, match=r"`combined`.*through a symbolic link"):
        run_sweep({**config, "combined": "link/combined.nc"}, out, progress=False)
    assert list(elsewhere.iterdir()) == []


def test_a_symlinked_parts_folder_is_refused(tmp_path: Path) -> None:
    out, elsewhere = _outside_link(tmp_path, "parts")
    config = {**CONFIG, "params": {"r": [1.0], "A": [[-1.0]], "x0": [0.1], "steps": 3}}
    with pytest.raises(ValueError, match=r"`parts`.*through a symbolic link"):
        run_sweep(config, out, progress=False)
    assert list(elsewhere.iterdir()) == []


def test_a_link_inside_the_folder_is_fine(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "real").mkdir(parents=True)
    os.symlink(out / "real", out / "alias")
    config = load_config({**CONFIG, "combined": "alias/c.nc"})
    assert inside_folder(out, config.combined, key="combined") == (out / "real" / "c.nc").resolve()
