"""Traces from checkpoints: formats, steps, runs, projections, refusals, and the CLI command."""

from __future__ import annotations

import numpy as np
import pytest

import lvdyn
from lvdyn.cli import main

torch = pytest.importorskip("torch")
safetensors_numpy = pytest.importorskip("safetensors.numpy")

P, D = 11, 6


def _direct_dft_norms(embedding: np.ndarray) -> np.ndarray:
    """S_k = ||sum_t E_t exp(-2 pi i k t / p)|| for k = 0..p-1, by an explicit sum (no FFT)."""
    p = embedding.shape[0]
    t = np.arange(p)
    basis = np.exp(-2j * np.pi * np.outer(np.arange(p), t) / p)
    return np.linalg.norm(basis @ embedding, axis=1)


class _Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(P, D)
        self.readout = torch.nn.Linear(D, P)

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        return self.readout(self.embed(pairs).sum(1))


def _train_and_save(folder, fmt: str, steps=(0, 3, 7)) -> dict[int, np.ndarray]:
    """Train a tiny model on (a + b) mod P; save a checkpoint at each of ``steps``."""
    torch.manual_seed(0)
    model = _Tiny()
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    pairs = torch.cartesian_prod(torch.arange(P), torch.arange(P))
    labels = pairs.sum(1) % P
    saved = {}
    folder.mkdir(parents=True, exist_ok=True)
    for step in range(max(steps) + 1):
        if step in steps:
            state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            saved[step] = state["embed.weight"].double().numpy()
            if fmt == "pt":
                torch.save(state, folder / f"ckpt_step{step}.pt")
            elif fmt == "nested_pt":
                torch.save({"model": state, "step": torch.tensor(step)}, folder / f"c{step}.pth")
            elif fmt == "safetensors":
                arrays = {k: v.numpy() for k, v in state.items()}
                safetensors_numpy.save_file(arrays, str(folder / f"model-{step:05d}.safetensors"))
            else:
                np.savez(folder / f"e_{step}.npz", **{k: v.numpy() for k, v in state.items()})
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(pairs), labels).backward()
        opt.step()
    return saved


@pytest.mark.parametrize("fmt", ["pt", "safetensors", "npz"])
def test_strengths_equal_a_direct_dft_of_the_saved_embeddings(tmp_path, fmt) -> None:
    saved = _train_and_save(tmp_path / "run", fmt)
    ds = lvdyn.traces_from_checkpoints(tmp_path / "run", embedding="embed.weight")
    assert ds.step.values.tolist() == [0, 3, 7]
    assert ds.component.values.tolist() == list(range(1, P // 2 + 1))
    for step, emb in saved.items():
        expected = _direct_dft_norms(emb)
        got = ds.sel(step=step).isel(run=0)
        # float32 weights converted exactly to float64; FFT vs direct sum differ by ~1e-15.
        np.testing.assert_allclose(got.strength.values, expected[1 : P // 2 + 1], rtol=1e-10)
        np.testing.assert_allclose(float(got.dc_strength), expected[0], rtol=1e-10)
        np.testing.assert_allclose(float(got.strength_mean_all), expected.mean(), rtol=1e-10)
    # the strengths move with training (the test would pass vacuously on a frozen model)
    assert not np.allclose(ds.strength.isel(step=0), ds.strength.isel(step=-1))
    assert "traces_from_checkpoints" in ds.attrs["history"]


def test_nested_state_dict_and_step_read_from_an_entry(tmp_path) -> None:
    saved = _train_and_save(tmp_path / "r", "nested_pt", steps=(0, 2))
    ds = lvdyn.traces_from_checkpoints(
        tmp_path / "r", embedding="model.embed.weight", step_key="step"
    )
    assert ds.step.values.tolist() == [0, 2]
    np.testing.assert_allclose(
        ds.strength.isel(run=0, step=1), _direct_dft_norms(saved[2])[1 : P // 2 + 1], rtol=1e-10
    )


def test_one_folder_per_run_and_runs_from_a_name_pattern(tmp_path) -> None:
    rng = np.random.default_rng(1)
    for seed, steps in (("seed0", (0, 10, 20)), ("seed1", (0, 10))):
        (tmp_path / "per_run" / seed).mkdir(parents=True)
        for s in steps:
            np.save(tmp_path / "per_run" / seed / f"emb_{s}.npy", rng.normal(size=(P, D)))
            np.save(tmp_path / f"{seed}_step{s}.npy", rng.normal(size=(P, D)))
    ds = lvdyn.traces_from_checkpoints(tmp_path / "per_run")
    assert ds.run.values.tolist() == ["seed0", "seed1"]
    assert ds.step.values.tolist() == [0, 10, 20]
    assert np.isnan(ds.strength.sel(run="seed1", step=20)).all()  # missing checkpoint: NaN
    flat = lvdyn.traces_from_checkpoints(
        sorted(tmp_path.glob("seed*_step*.npy")), run=r"(seed\d+)_", step=r"step(\d+)"
    )
    assert flat.run.values.tolist() == ["seed0", "seed1"]
    assert flat.step.values.tolist() == [0, 10, 20]


def test_transposed_layout_and_token_rows(tmp_path) -> None:
    rng = np.random.default_rng(2)
    emb = rng.normal(size=(P + 1, D))  # an '=' token in the last row
    safetensors_numpy.save_file({"embed.W_E": emb.T.copy()}, str(tmp_path / "m_5.safetensors"))
    ds = lvdyn.traces_from_checkpoints(tmp_path, embedding="embed.W_E", token_axis=1, tokens=P)
    np.testing.assert_allclose(
        ds.strength.isel(run=0, step=0), _direct_dft_norms(emb[:P])[1 : P // 2 + 1], rtol=1e-10
    )


def test_projection_matrix_and_function(tmp_path) -> None:
    rng = np.random.default_rng(3)
    embeddings = [rng.normal(size=(5, 3)) for _ in range(2)]
    for s, emb in enumerate(embeddings):
        np.savez(tmp_path / f"x{s}.npz", emb=emb)
    directions = rng.normal(size=(2, 5))
    ds = lvdyn.traces_from_checkpoints(
        tmp_path, embedding="emb", projection=directions, components=["a", "b"]
    )
    assert ds.component.values.tolist() == ["a", "b"]
    for s, emb in enumerate(embeddings):
        expected = [np.linalg.norm(directions[c] @ emb) for c in range(2)]
        np.testing.assert_allclose(ds.strength.isel(run=0, step=s), expected, rtol=1e-12)
    by_column = lvdyn.traces_from_checkpoints(
        tmp_path, embedding="emb", projection=lambda e: np.abs(e).sum(axis=0)
    )
    np.testing.assert_allclose(by_column.strength.isel(run=0, step=1), np.abs(embeddings[1]).sum(0))
    with pytest.raises(ValueError, match=r"\(components, tokens\)"):
        lvdyn.traces_from_checkpoints(tmp_path, embedding="emb", projection=np.ones((2, 4)))


def test_a_pickled_checkpoint_is_refused(tmp_path) -> None:
    torch.save({"model": _Tiny()}, tmp_path / "whole_model_1.pt")  # a module needs unpickling
    with pytest.raises(ValueError, match="never unpickles"):
        lvdyn.traces_from_checkpoints(tmp_path, embedding="model.embed.weight")
    other = tmp_path / "npy"
    other.mkdir()
    np.save(other / "obj_1.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="never unpickles"):
        lvdyn.traces_from_checkpoints(other)


def test_clear_errors_for_a_missing_key_and_an_unreadable_step(tmp_path) -> None:
    np.savez(tmp_path / "a_1.npz", emb=np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"no entry 'embedding'.*emb"):
        lvdyn.traces_from_checkpoints(tmp_path, embedding="embedding")
    np.savez(tmp_path / "nostep.npz", emb=np.ones((5, 2)))
    with pytest.raises(ValueError, match="cannot read a training step"):
        lvdyn.traces_from_checkpoints(tmp_path, embedding="emb")


def test_cli_import_checkpoints(tmp_path, capsys) -> None:
    saved = _train_and_save(tmp_path / "run", "safetensors", steps=(0, 4))
    out = tmp_path / "t.nc"
    args = ["import-checkpoints", str(tmp_path / "run"), "--embedding", "embed.weight"]
    assert main([*args, "--out", str(out)]) == 0
    ds = lvdyn.open_traces(out)
    np.testing.assert_allclose(
        ds.strength.isel(run=0, step=1), _direct_dft_norms(saved[4])[1 : P // 2 + 1], rtol=1e-10
    )
    assert main(["import-checkpoints", str(tmp_path / "run"), "--embedding", "nope", "--out",
                 str(tmp_path / "u.nc")]) == 2  # fmt: skip
    assert "no tensor 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "u.nc").exists()
