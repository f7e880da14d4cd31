"""Clock and Pizza as the paper's code has it: the checkpoint loader, the metrics on any model
(the TokenModel protocol), and the faithful trainer's initialisation, warm-up, split and
architecture options."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import lvdyn

torch = pytest.importorskip("torch")

from lvdyn.producers import clockpizza  # noqa: E402
from lvdyn.producers._clockpizza_setup import _split, build_run  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


# --- an independent forward pass of the paper's transformer, written from its equations ---


def _reference_transformer(state, tokens, alpha, act):
    """Logits at the last position, looping over heads with an explicit softmax."""
    x = state["embed.W_E"].T[tokens] + state["pos_embed.W_pos"]  # (batch, n, d)
    layer = 0
    while f"blocks.{layer}.attn.W_Q" in state:
        pre = f"blocks.{layer}."
        heads = []
        for h in range(state[pre + "attn.W_Q"].shape[0]):
            q = x @ state[pre + "attn.W_Q"][h].T
            k = x @ state[pre + "attn.W_K"][h].T
            v = x @ state[pre + "attn.W_V"][h].T
            scores = q @ k.transpose(1, 2) / math.sqrt(q.shape[-1])
            soft = torch.exp(scores - scores.amax(-1, keepdim=True))
            soft = soft / soft.sum(-1, keepdim=True)
            heads.append((alpha * soft + (1 - alpha) * torch.ones_like(soft)) @ v)
        x = x + torch.cat(heads, dim=-1) @ state[pre + "attn.W_O"].T
        hidden = x @ state[pre + "mlp.W_in"].T + state[pre + "mlp.b_in"]
        hidden = (
            torch.relu(hidden) if act == "ReLU" else 0.5 * hidden * (1 + torch.erf(hidden / 2**0.5))
        )
        x = x + hidden @ state[pre + "mlp.W_out"].T + state[pre + "mlp.b_out"]
        layer += 1
    return x[:, -1] @ state["unembed.W_U"]


def _paper_state(p, d, heads, n_layers, vocab, n_ctx, seed=0):
    g = torch.Generator().manual_seed(seed)
    d_head = d // heads

    def r(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64) * 0.5

    state = {"embed.W_E": r(d, vocab), "pos_embed.W_pos": r(n_ctx, d), "unembed.W_U": r(d, vocab)}
    for i in range(n_layers):
        pre = f"blocks.{i}."
        for name in ("W_K", "W_Q", "W_V"):
            state[pre + "attn." + name] = r(heads, d_head, d)
        state[pre + "attn.W_O"] = r(d, heads * d_head)
        state[pre + "attn.mask"] = torch.tril(torch.ones(n_ctx, n_ctx, dtype=torch.float64))
        state[pre + "mlp.W_in"] = r(4 * d, d)
        state[pre + "mlp.b_in"] = r(4 * d)
        state[pre + "mlp.W_out"] = r(d, 4 * d)
        state[pre + "mlp.b_out"] = r(d)
    return state


@pytest.mark.parametrize(
    ("diff_vocab", "eqn_sign", "act", "n_layers"),
    [(0, 0, "ReLU", 1), (1, 1, "GeLU", 2), (1, 0, "ReLU", 1), (0, 1, "GeLU", 3)],
)
def test_loader_reproduces_the_logits_of_a_paper_layout_state_dict(
    tmp_path, diff_vocab, eqn_sign, act, n_layers
) -> None:
    p, d, heads, alpha = 7, 10, 4, 0.3  # d = 10 is not divisible by 4 heads: d_head = 2
    vocab = p * (2 if diff_vocab else 1) + eqn_sign
    state = _paper_state(p, d, heads, n_layers, vocab, 2 + eqn_sign)
    torch.save(state, tmp_path / "model_abc123.pt")
    config = dict(C=p, n_heads=heads, d_model=d, n_layers=n_layers, act_fn=act,
                  attn_coeff=alpha, diff_vocab=diff_vocab, eqn_sign=eqn_sign)  # fmt: skip
    (tmp_path / "config_abc123.json").write_text(json.dumps(config))
    model = clockpizza.load_checkpoint(tmp_path / "model_abc123.pt")  # finds the config
    pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p))
    tokens = pairs + torch.tensor([0, p if diff_vocab else 0])
    if eqn_sign:
        tokens = torch.cat([tokens, torch.full((len(pairs), 1), vocab - 1)], dim=1)
    expected = _reference_transformer(state, tokens, alpha, act)
    with torch.no_grad():
        got = model(pairs)
    assert got.shape == (p * p, vocab)
    # float64 throughout; two orders of summation differ by rounding only (~1e-13 here)
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-10)


def test_loader_builds_the_linear_models_b_and_d() -> None:
    g = torch.Generator().manual_seed(1)
    p, hidden = 7, 12

    def r(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p))
    b = {"embed.weight": r(p, hidden), "unembed.weight": r(p, hidden),
         "l1.weight": r(hidden, hidden), "l1.bias": r(hidden),
         "l2.weight": r(hidden, hidden), "l2.bias": r(hidden)}  # fmt: skip
    model_b = clockpizza.load_checkpoint(b, config={"model_type": "B"})
    e = b["embed.weight"][pairs]
    h = torch.relu((e[:, 0] + e[:, 1]) @ b["l1.weight"].T + b["l1.bias"])
    h = torch.relu(h @ b["l2.weight"].T + b["l2.bias"])
    with torch.no_grad():
        torch.testing.assert_close(model_b(pairs), h @ b["unembed.weight"].T)
    dstate = {"embed.weight": r(p, hidden // 2), "unembed.weight": r(p, hidden),
              "l1.weight": r(hidden, hidden), "l1.bias": r(hidden)}  # fmt: skip
    model_d = clockpizza.load_checkpoint(dstate)  # concatenation inferred from the shapes
    e = dstate["embed.weight"][pairs].flatten(1)
    h = torch.relu(e @ dstate["l1.weight"].T + dstate["l1.bias"])
    with torch.no_grad():
        torch.testing.assert_close(model_d(pairs), h @ dstate["unembed.weight"].T)
    with pytest.raises(ValueError, match="model_type"):
        clockpizza.load_checkpoint(b)  # B and C share shapes


def test_loader_errors_name_what_is_missing(tmp_path) -> None:
    state = _paper_state(7, 8, 4, 1, 7, 2)
    with pytest.raises(ValueError, match="attn_coeff"):
        clockpizza.load_checkpoint(state)
    with pytest.raises(ValueError, match="not a Clock-and-Pizza state dict"):
        clockpizza.load_checkpoint({"w": torch.zeros(2)})
    torch.save({"model": torch.nn.Linear(2, 2)}, tmp_path / "model_x.pt")
    with pytest.raises(ValueError, match="never unpickles"):
        clockpizza.load_checkpoint(tmp_path / "model_x.pt", config={"attn_coeff": 1.0})


# --- the metrics on constructed models with known answers ---


class _Circle:
    """Embeds token t at angle w t on the unit circle; logits from ``rule(z_a, z_b, c)``."""

    def __init__(self, p, k, rule):
        self.p, self.w, self.rule = p, 2 * math.pi * k / p, rule

    def tokens(self, pairs):
        angle = self.w * pairs.double()
        return torch.stack([torch.cos(angle), torch.sin(angle)], dim=-1)

    def logits_from_embeddings(self, emb):
        z = torch.complex(emb[..., 0], emb[..., 1])
        c = torch.arange(self.p, dtype=torch.float64)
        return self.rule(z[:, 0:1], z[:, 1:2], torch.exp(1j * self.w * c))


def test_gradient_symmetricity_and_distance_irrelevance_known_answers() -> None:
    p, k = 11, 3
    triples = clockpizza.symmetricity_triples(p)
    # Clock: Q = Re(z_a z_b conj(u_c) + 0.3 z_a z_b). dQ/dE_a = conj(z_b v) and dQ/dE_b =
    # conj(z_a v) as 2-vectors (v = conj(u_c) + 0.3), so their cosine is cos(w (b - a)); the
    # correct logit 1 + 0.3 cos(w (a + b)) depends on a + b only, so DI = 1.
    clock = _Circle(p, k, lambda za, zb, u: (za * zb * (u.conj() + 0.3)).real)
    expected_gs = np.cos(2 * np.pi * k * (triples[:, 1] - triples[:, 0]) / p).mean()
    assert clockpizza.gradient_symmetricity(clock, triples) == pytest.approx(expected_gs, abs=1e-12)
    assert clockpizza.distance_irrelevance(clock, p) == pytest.approx(1.0, abs=1e-12)
    # Pizza: Q = |z_a + z_b|^2 (2 + Re u_c) is a function of E_a + E_b, so GS = 1; its correct
    # logit (2 + 2 cos(w (a - b))) (2 + cos(w (a + b))) mixes both, so use instead a class
    # factor that is 1 on the correct class for DI: Q = |z_a + z_b|^2 for every class.
    pizza = _Circle(p, k, lambda za, zb, u: (za + zb).abs() ** 2 * (2 + u.real))
    assert clockpizza.gradient_symmetricity(pizza, triples) == pytest.approx(1.0, abs=1e-12)
    pizza = _Circle(p, k, lambda za, zb, u: (za + zb).abs() ** 2 * torch.ones_like(u.real))
    # the correct logit 2 + 2 cos(w (a - b)) depends on a - b only: DI = 0
    assert clockpizza.distance_irrelevance(pizza, p) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(TypeError, match="TokenModel"):
        clockpizza.gradient_symmetricity(object(), triples)  # type: ignore[arg-type]


# --- the faithful trainer ---


def test_faithful_initialisation_matches_the_papers_draws() -> None:
    """With one seed, the paper's code draws W_E, W_pos, W_U, then per block W_K, W_Q, W_V,
    W_O, W_in, W_out (biases zero), then the split: rebuilt here from torch.randn alone."""
    p, d, heads, seed = 7, 12, 4, 5
    settings = dict(p=p, alpha=1.0, architecture="transformer", d_model=d, n_heads=heads,
                    n_layers=1, activation="ReLU", diff_vocab=False, eqn_sign=False,
                    mlp_width=4 * d, train_fraction=0.8, faithful=True)  # fmt: skip
    model, train_pairs, _ = build_run(settings, seed)
    torch.manual_seed(seed)
    expected = {
        "embed.W_E": torch.randn(d, p) / np.sqrt(d),
        "pos_embed.W_pos": torch.randn(2, d) / np.sqrt(d),
        "unembed.W_U": torch.randn(d, p) / np.sqrt(p),
    }
    for name in ("W_K", "W_Q", "W_V"):
        expected[f"blocks.0.attn.{name}"] = torch.randn(heads, d // heads, d) / np.sqrt(d)
    expected["blocks.0.attn.W_O"] = torch.randn(d, d) / np.sqrt(d)
    expected["blocks.0.mlp.W_in"] = torch.randn(4 * d, d) / np.sqrt(4 * d)
    expected["blocks.0.mlp.W_out"] = torch.randn(d, 4 * d) / np.sqrt(d)
    order = torch.randperm(p * p)
    state = model.state_dict()
    for name, value in expected.items():
        torch.testing.assert_close(state[name], value, rtol=1e-6, atol=0)
    assert torch.count_nonzero(state["blocks.0.mlp.b_in"]) == 0
    all_pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p))
    assert torch.equal(train_pairs, all_pairs[order[: int(0.8 * p * p)]])


def test_pair_count_truncates_as_the_paper() -> None:
    train, test = _split(59, 0.8, 0, faithful=True)
    assert (len(train), len(test)) == (2784, 697)
    assert len(_split(59, 0.8, 0, faithful=False)[0]) == 2785  # lvdyn 0.1 rounded


def test_first_update_has_learning_rate_zero() -> None:
    kw = dict(p=7, d_model=8, n_heads=2, steps=2, log_every=1)
    faithful = clockpizza.train(**kw)
    legacy = clockpizza.train(faithful=False, **kw)
    # AdamW at lr 0 neither steps nor decays: the embedding after update 1 is the initial one
    np.testing.assert_array_equal(faithful.strength[0, 0], faithful.strength[0, 1])
    assert not np.allclose(faithful.strength[0, 1], faithful.strength[0, 2])
    assert not np.allclose(legacy.strength[0, 0], legacy.strength[0, 1])


@pytest.mark.parametrize(
    "options",
    [
        dict(n_layers=2, activation="GeLU"),
        dict(n_layers=4, d_model=10, n_heads=4),  # width not divisible by the head count
        dict(diff_vocab=True, eqn_sign=True),
        dict(eqn_sign=True, n_layers=3),
        dict(architecture="mlp_sum", n_layers=2, d_model=16, mlp_width=16),  # model B
        dict(architecture="mlp_concat", d_model=8, mlp_width=16),  # model D
        dict(faithful=False, n_layers=2),
    ],
)
def test_each_architecture_option_trains(options) -> None:
    settings = dict(p=7, d_model=8, n_heads=2, steps=8, lr=1e-2, warmup=2, log_every=8)
    ds = clockpizza.train(**{**settings, **options})
    loss = ds.train_loss.values[0]
    assert np.isfinite(loss).all() and loss[-1] < loss[0]
    if options.get("diff_vocab"):
        assert "strength_b" in ds and np.isfinite(ds.strength_b).all()


def test_linear_models_use_adamw_default_betas_and_no_warmup() -> None:
    ds = clockpizza.train(p=7, architecture="mlp_sum", n_layers=2, steps=1, log_every=1)
    config = json.loads(ds.attrs["producer_config"])
    assert config["betas"] == [0.9, 0.999] and config["warmup"] == 0
    assert (config["d_model"], config["mlp_width"]) == (256, 256)  # the paper's model B
    transformer = json.loads(clockpizza.train(p=7, d_model=8, steps=1).attrs["producer_config"])
    assert transformer["betas"] == [0.9, 0.98] and transformer["warmup"] == 10


def test_variant_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="`n_layers` must be one of"):
        clockpizza.train(p=7, d_model=8, n_layers=5, steps=1)
    with pytest.raises(ValueError, match="`activation`"):
        clockpizza.train(p=7, d_model=8, activation="tanh", steps=1)
    with pytest.raises(ValueError, match="transformer' only"):
        clockpizza.train(p=7, architecture="mlp_sum", diff_vocab=True, steps=1)


def test_cli_trains_the_new_options(tmp_path) -> None:
    from lvdyn.cli import main

    out = tmp_path / "cp.nc"
    argv = ["train", "clockpizza", "--p", "7", "--d-model", "10", "--n-layers", "2",
            "--activation", "GeLU", "--eqn-sign", "--steps", "2", "--log-every", "1",
            "--quiet", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    config = json.loads(lvdyn.open_traces(out).attrs["producer_config"])
    assert (config["n_layers"], config["activation"], config["eqn_sign"]) == (2, "GeLU", True)
    assert config["faithful"] is True
