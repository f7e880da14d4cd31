"""The paper's MLP-only models C and X (``code/train-linear.py`` of Clock and Pizza): their
forward pass, the checkpoint loader, the paper's draws and a short training run."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import lvdyn

torch = pytest.importorskip("torch")

from lvdyn.producers import clockpizza  # noqa: E402
from lvdyn.producers._clockpizza_setup import build_run  # noqa: E402

nn = torch.nn
ARCH = {"C": "mlp_shared_layer", "X": "mlp_two_embeddings"}


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def _settings(model_type, *, p=7, d=6, hidden=10, faithful=True):
    layers = 2 if model_type == "C" else 1
    return dict(p=p, alpha=1.0, architecture=ARCH[model_type], d_model=d, n_heads=4,
                n_layers=layers, activation="ReLU", diff_vocab=False, eqn_sign=False,
                mlp_width=hidden, train_fraction=0.8, faithful=faithful)  # fmt: skip


def _paper_state(model_type, p, d, hidden, seed=1):
    g = torch.Generator().manual_seed(seed)

    def r(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    tables = ("embed1", "embed2") if model_type == "X" else ("embed",)
    state = {f"{name}.weight": r(p, d) for name in tables}
    state |= {"unembed.weight": r(p, hidden), "l1.weight": r(hidden, d), "l1.bias": r(hidden)}
    if model_type == "C":
        state |= {"l2.weight": r(hidden, hidden), "l2.bias": r(hidden)}
    return state


def _reference_logits(state, pairs, model_type):
    """The two models' forward passes, written from ``MyModelC`` and ``MyModelX``."""
    w1, b1, a, b = state["l1.weight"], state["l1.bias"], pairs[:, 0], pairs[:, 1]
    if model_type == "X":  # separate tables, summed, then one ReLU layer
        h = torch.relu((state["embed1.weight"][a] + state["embed2.weight"][b]) @ w1.T + b1)
    else:  # l1 applied to each operand (its bias twice), summed, ReLU, then l2 and ReLU
        e = state["embed.weight"]
        h = torch.relu((e[a] @ w1.T + b1) + (e[b] @ w1.T + b1))
        h = torch.relu(h @ state["l2.weight"].T + state["l2.bias"])
    return h @ state["unembed.weight"].T


@pytest.mark.parametrize("model_type", ["C", "X"])
def test_loader_reproduces_the_logits_of_models_c_and_x(tmp_path, model_type) -> None:
    p, d, hidden = 7, 5, 12
    state = _paper_state(model_type, p, d, hidden)
    torch.save(state, tmp_path / "model_run1.pt")
    config = dict(C=p, model_type=model_type, n_vocab=p, d_model=hidden, d_hidden=hidden,
                  epoch=20000, lr=1e-3, weight_decay=2.0, frac=0.8, runid="run1")  # fmt: skip
    (tmp_path / "config_run1.json").write_text(json.dumps(config))  # the paper's config keys
    model = clockpizza.load_checkpoint(tmp_path / "model_run1.pt")
    assert isinstance(model, clockpizza.PaperMLP)
    assert sorted(model.state_dict()) == sorted(state)
    pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p))
    with torch.no_grad():
        got = model(pairs)
    assert got.shape == (p * p, p) and got.dtype == torch.float64
    # float64 and the same operations up to their order: rounding differences only
    torch.testing.assert_close(got, _reference_logits(state, pairs, model_type))
    first, second = ("embed1", "embed2") if model_type == "X" else ("embed", "embed")
    assert torch.equal(model.embedding_table(0), state[first + ".weight"])
    assert torch.equal(model.embedding_table(1), state[second + ".weight"])


def test_model_c_is_not_model_b() -> None:
    """B and C share every shape; C adds the first layer's bias once per operand."""
    p, d, hidden = 7, 5, 12
    state = _paper_state("C", p, d, hidden)
    pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p))
    with torch.no_grad():
        as_b = clockpizza.load_checkpoint(state, config={"model_type": "B"})(pairs)
        as_c = clockpizza.load_checkpoint(state, config={"model_type": "C"})(pairs)
        doubled = dict(state, **{"l1.bias": 2 * state["l1.bias"]})
        b_with_doubled_bias = clockpizza.load_checkpoint(doubled, config={"model_type": "B"})
        torch.testing.assert_close(as_c, b_with_doubled_bias(pairs))  # l1(x) + l1(y)
    assert not torch.allclose(as_b, as_c)


def test_model_x_is_inferred_from_its_two_tables_and_checked() -> None:
    state = _paper_state("X", 7, 4, 8)
    model = clockpizza.load_checkpoint(state)  # no config needed: embed1/embed2 mean X
    assert model.separate_embeddings
    with pytest.raises(ValueError, match="two embedding tables"):
        clockpizza.load_checkpoint(state, config={"model_type": "A"})
    with pytest.raises(ValueError, match="model_type='X'"):
        clockpizza.load_checkpoint(_paper_state("C", 7, 4, 8), config={"model_type": "X"})
    with pytest.raises(ValueError, match="must be one of"):
        clockpizza.load_checkpoint(state, config={"model_type": "E"})


@pytest.mark.parametrize("model_type", ["C", "X"])
@pytest.mark.parametrize("faithful", [True, False])
def test_state_dict_round_trip_through_the_loader(tmp_path, model_type, faithful) -> None:
    model, _, _ = build_run(_settings(model_type, faithful=faithful), seed=4)
    torch.save(model.state_dict(), tmp_path / "model_rt.pt")
    loaded = clockpizza.load_checkpoint(tmp_path / "model_rt.pt", config={"model_type": model_type})
    pairs = torch.cartesian_prod(torch.arange(7), torch.arange(7))
    with torch.no_grad():
        assert torch.equal(loaded(pairs), model(pairs))


@pytest.mark.parametrize("model_type", ["C", "X"])
def test_faithful_initialisation_draws_as_the_papers_classes(model_type) -> None:
    """train-linear.py splits the pairs at import (torch.randperm, as random_split), then
    builds MyModelC (embed, unembed, l1, l2) or MyModelX (embed1, embed2, unembed, l1) with
    torch's default draws, dividing the tables by sqrt(d_hidden // 2), the unembedding by
    sqrt(d_hidden): rebuilt here from torch.nn alone."""
    p, d, hidden, seed = 7, 6, 10, 3
    model, train_pairs, _ = build_run(_settings(model_type, p=p, d=d, hidden=hidden), seed)
    torch.manual_seed(seed)
    order = torch.randperm(p * p)
    tables = ("embed1", "embed2") if model_type == "X" else ("embed",)
    scale = math.sqrt(hidden // 2)
    expected = {f"{name}.weight": nn.Embedding(p, d).weight / scale for name in tables}
    expected["unembed.weight"] = nn.Embedding(p, hidden).weight / math.sqrt(hidden)
    layers = [nn.Linear(d, hidden)] + ([nn.Linear(hidden, hidden)] if model_type == "C" else [])
    for i, layer in enumerate(layers, start=1):
        expected[f"l{i}.weight"], expected[f"l{i}.bias"] = layer.weight, layer.bias
    state = model.state_dict()
    assert sorted(state) == sorted(expected)
    for name, value in expected.items():
        torch.testing.assert_close(state[name], value.detach(), rtol=1e-6, atol=0)
    all_pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p))
    assert torch.equal(train_pairs, all_pairs[order[: int(0.8 * p * p)]])


@pytest.mark.parametrize("model_type", ["C", "X"])
def test_faithful_initialisation_scales_at_the_papers_size(model_type) -> None:
    model, _, _ = build_run(_settings(model_type, p=59, d=256, hidden=256), seed=0)
    model.requires_grad_(False)
    tables = [model.embedding_table(0)] + ([model.embedding_table(1)] if model_type == "X" else [])
    # 59 x 256 = 15104 normal draws: the sample std has relative error ~ 1 / sqrt(2 n) = 0.6 %,
    # so 3 % is five standard errors
    for table in tables:
        assert float(table.std()) == pytest.approx(1 / math.sqrt(128), rel=0.03)
    assert float(model.unembed.weight.std()) == pytest.approx(1 / 16, rel=0.03)
    bound = 1 / math.sqrt(256)  # nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    assert float(model.l1.weight.abs().max()) <= bound and float(model.l1.bias.abs().max()) <= bound
    # 65536 uniform draws: std bound / sqrt(3) to well within 2 %
    assert float(model.l1.weight.std()) == pytest.approx(bound / math.sqrt(3), rel=0.02)
    if model_type == "X":
        assert not torch.equal(model.embedding_table(0), model.embedding_table(1))


@pytest.mark.parametrize("model_type", ["C", "X"])
def test_models_c_and_x_learn_and_are_exactly_symmetric(model_type) -> None:
    ds = clockpizza.train(
        p=7, architecture=ARCH[model_type], d_model=16, mlp_width=32, steps=150, lr=1e-2,
        weight_decay=0.1, log_every=50, seeds=(0, 1),
    )  # fmt: skip
    config = json.loads(ds.attrs["producer_config"])
    assert config["n_layers"] == (2 if model_type == "C" else 1)
    assert config["betas"] == [0.9, 0.999] and config["warmup"] == 0  # as train-linear.py
    loss = ds.train_loss.values
    assert np.isfinite(loss).all() and (loss[:, -1] < 0.1 * loss[:, 0]).all()
    assert (ds.train_acc.values[:, -1] == 1.0).all()
    # logits are a function of E_a + E_b (X) or of l1(E_a) + l1(E_b) (C): the gradients in
    # E_a and E_b are equal and their cosine is 1 up to float32 rounding
    np.testing.assert_allclose(ds.grad_symmetricity.values[:, -1], 1.0, atol=1e-5)
    assert ("strength_b" in ds) == (model_type == "X")


def test_model_x_traces_both_tables() -> None:
    """strength (a's table embed1) and strength_b (b's table embed2) at step 0 equal a DFT
    of the initial tables along the token axis."""
    p = 7
    ds = clockpizza.train(
        p=p, architecture="mlp_two_embeddings", d_model=6, mlp_width=10, steps=1, log_every=1,
        seeds=3,
    )  # fmt: skip
    model, _, _ = build_run(_settings("X", p=p, d=6, hidden=10), seed=3)
    for name, table in (("strength", model.embed1.weight), ("strength_b", model.embed2.weight)):
        power = (np.abs(np.fft.fft(table.detach().double().numpy(), axis=0)) ** 2).sum(axis=1)
        expected = power[1 : (p + 1) // 2] + power[p - 1 : (p - 1) // 2 : -1]
        # float32 weights, float64 DFT of the same numbers: equal to rounding
        np.testing.assert_allclose(ds[name].values[0, 0], expected, rtol=1e-10)
    assert "model X" in ds.strength_b.attrs["long_name"]


def test_variants_of_c_and_x_are_checked() -> None:
    with pytest.raises(ValueError, match=r"`n_layers` must be one of \[2\]"):
        clockpizza.train(p=7, architecture="mlp_shared_layer", n_layers=1, steps=1)
    with pytest.raises(ValueError, match=r"`n_layers` must be one of \[1\]"):
        clockpizza.train(p=7, architecture="mlp_two_embeddings", n_layers=2, steps=1)
    with pytest.raises(ValueError, match="transformer' only"):
        clockpizza.train(p=7, architecture="mlp_two_embeddings", diff_vocab=True, steps=1)
    with pytest.raises(ValueError, match="`combine` must be one of"):
        clockpizza.PaperMLP(7, 4, hidden=8, combine="product")
    with pytest.raises(ValueError, match="`operand` must be 0"):
        clockpizza.PaperMLP(7, 4, hidden=8).embedding_table(2)


def test_paper_defaults_of_c_and_x() -> None:
    for model_type in ("C", "X"):
        ds = clockpizza.train(p=7, architecture=ARCH[model_type], steps=1, log_every=1)
        config = json.loads(ds.attrs["producer_config"])
        assert (config["d_model"], config["mlp_width"]) == (256, 256)  # d_hidden = 256
        assert config["n_layers"] == (2 if model_type == "C" else 1)


def test_cli_trains_models_c_and_x(tmp_path) -> None:
    from lvdyn.cli import main

    for model_type in ("C", "X"):
        out = tmp_path / f"{model_type}.nc"
        argv = ["train", "clockpizza", "--architecture", ARCH[model_type], "--p", "7",
                "--d-model", "8", "--steps", "2", "--log-every", "1", "--quiet",
                "--out", str(out)]  # fmt: skip
        assert main(argv) == 0
        ds = lvdyn.open_traces(out)
        config = json.loads(ds.attrs["producer_config"])
        assert (config["architecture"], config["n_layers"]) == (
            ARCH[model_type],
            2 if model_type == "C" else 1,
        )
        assert ("strength_b" in ds) == (model_type == "X")
