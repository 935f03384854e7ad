"""Hypergradient descent on digits: does HD make the initial learning rate matter less?

    python -m benchmarks.hypergradient [--seeds 3] [--quick] [--out benchmarks/results]

Reproduces the comparison of Baydin et al. (2018, ICLR), "Online Learning Rate Adaptation with
Hypergradient Descent", on CPU in a few minutes: scikit-learn's digits (1797 8x8 images, an
MNIST-like set) instead of MNIST, logistic regression and a two-hidden-layer ReLU MLP in numpy,
minibatches of 32. SGD, SGD with Nesterov momentum (0.9) and Adam, each with a fixed rate and
with hypergradient descent (HD, additive rule), started from initial rates over four orders of
magnitude. The figure is the full training loss after a fixed number of epochs, median over
seeds (the paper's main plot).

beta is the paper's 1e-3 for SGD and SGDN. For Adam the paper's 1e-7 was set for MNIST models
10 to 100 times larger than these (Adam's hypergradient grows with the number of parameters);
on digits it barely moves the rate, so the default here is 1e-5 (``--beta-adam 1e-7`` for the
paper's value).

The paper's claims checked here: the HD variant ends lower than its fixed-rate base for most
initial rates, and its final loss varies much less across initial rates. The table ends with both
counts. With torch installed, the same controller also drives ``torch.optim.SGD`` and
``torch.optim.Adam`` in a small loop (torch is imported only there).

Writes ``hypergradient.md`` (and ``hypergradient.png`` with matplotlib) to ``--out``.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

from hpo_core.hypergradient import HypergradientAdam, HypergradientController, HypergradientSGD

METHODS = ("sgd", "sgd_hd", "sgdn", "sgdn_hd", "adam", "adam_hd")
PAIRS = (("sgd", "sgd_hd"), ("sgdn", "sgdn_hd"), ("adam", "adam_hd"))
LABEL = {
    "sgd": "SGD",
    "sgd_hd": "SGD-HD",
    "sgdn": "SGDN",
    "sgdn_hd": "SGDN-HD",
    "adam": "Adam",
    "adam_hd": "Adam-HD",
}


def load_data() -> tuple[np.ndarray, np.ndarray]:
    """Standardised digits X of shape (1797, 64) and one-hot Y of shape (1797, 10)."""
    X, y = load_digits(return_X_y=True)
    X = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-8)
    return X, np.eye(10)[y]


def _softmax_xent(z: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-np.mean(np.sum(Y * logp, axis=1))), (np.exp(logp) - Y) / len(Y)


def init_params(model: str, rng: np.random.Generator, hidden: int = 100) -> list[np.ndarray]:
    """Logistic regression: [W (64, 10), b (10,)]; MLP 64-h-h-10: three (W, b) pairs, He init."""
    sizes = [64, 10] if model == "logreg" else [64, hidden, hidden, 10]
    params = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        scale = 0.01 if model == "logreg" else np.sqrt(2.0 / a)
        params += [rng.normal(scale=scale, size=(a, b)), np.zeros(b)]
    return params


def loss_and_grads(params: list[np.ndarray], X: np.ndarray, Y: np.ndarray):
    """Mean cross-entropy of the network given by ``params`` and its gradients (same shapes)."""
    acts = [X]
    for k in range(0, len(params) - 2, 2):
        acts.append(np.maximum(acts[-1] @ params[k] + params[k + 1], 0.0))
    loss, dz = _softmax_xent(acts[-1] @ params[-2] + params[-1], Y)
    grads = [None] * len(params)
    for k in range(len(params) - 2, -1, -2):
        a = acts[k // 2]
        grads[k], grads[k + 1] = a.T @ dz, dz.sum(axis=0)
        if k:
            dz = (dz @ params[k].T) * (a > 0)
    return loss, grads


def make_optimizer(
    method: str, lr: float, beta_sgd: float, beta_adam: float, multiplicative: bool = False
):
    """The numpy optimizer for ``method``; a fixed-rate method is its HD variant with beta 0."""
    hd = method.endswith("_hd")
    kw = {"multiplicative": multiplicative and hd}
    if method.startswith("adam"):
        return HypergradientAdam(lr=lr, beta=beta_adam if hd else 0.0, **kw)
    beta = beta_sgd if hd else 0.0
    if method.startswith("sgdn"):
        return HypergradientSGD(lr=lr, beta=beta, momentum=0.9, nesterov=True, **kw)
    return HypergradientSGD(lr=lr, beta=beta, **kw)


def train(
    model: str,
    method: str,
    lr: float,
    seed: int,
    epochs: int,
    batch: int,
    beta_sgd: float,
    beta_adam: float,
    data,
    multiplicative: bool = False,
) -> tuple[float, float]:
    """Final full training loss (inf if training diverged) and final learning rate."""
    X, Y = data
    rng = np.random.default_rng(seed)
    params = init_params(model, rng)
    opt = make_optimizer(method, lr, beta_sgd, beta_adam, multiplicative)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # a diverging run warns on every skipped step
        for _ in range(epochs):
            order = rng.permutation(len(X))
            for start in range(0, len(X), batch):
                idx = order[start : start + batch]
                _, grads = loss_and_grads(params, X[idx], Y[idx])
                opt.step(params, grads)
            if not all(np.isfinite(p).all() for p in params):
                return np.inf, float(opt.lr)
        loss = loss_and_grads(params, X, Y)[0]
    return (loss if np.isfinite(loss) else np.inf), float(opt.lr)


# ---------------------------------------------------------------- torch (optional)
def torch_rows(
    lrs, epochs: int, batch: int, beta_sgd: float, beta_adam: float, data, multiplicative: bool
) -> list:
    """Logistic regression in torch; torch.optim.SGD / Adam with and without the controller."""
    import torch

    X, Y = data
    Xt, yt = torch.tensor(X), torch.tensor(Y.argmax(axis=1))
    rows = []
    for name, cls, beta in [
        ("SGD", torch.optim.SGD, beta_sgd),
        ("Adam", torch.optim.Adam, beta_adam),
    ]:
        for lr in lrs:
            out = []
            for hd in (False, True):
                torch.manual_seed(0)
                rng = np.random.default_rng(0)
                model = torch.nn.Linear(64, 10).double()
                params = list(model.parameters())
                opt = cls(params, lr=lr)
                ctrl = HypergradientController(
                    lr=lr, beta=beta if hd else 0.0, multiplicative=multiplicative and hd
                )
                prev = None
                for _ in range(epochs):
                    order = rng.permutation(len(X))
                    for start in range(0, len(X), batch):
                        idx = torch.from_numpy(order[start : start + batch])
                        opt.zero_grad()
                        torch.nn.functional.cross_entropy(model(Xt[idx]), yt[idx]).backward()
                        grads = [p.grad.detach().numpy() for p in params]
                        new_lr = ctrl.update(grads, prev_update=prev)
                        for group in opt.param_groups:
                            group["lr"] = new_lr
                        before = [p.detach().clone() for p in params]
                        opt.step()
                        prev = [
                            (p.detach() - b).numpy() for p, b in zip(params, before, strict=True)
                        ]
                with torch.no_grad():
                    loss = torch.nn.functional.cross_entropy(model(Xt), yt).item()
                out += [loss, ctrl.lr]
            rows.append((name, lr, *out))
    return rows


# ---------------------------------------------------------------- report
def _range(v: np.ndarray) -> str:
    return f"{_fmt(np.min(v))} .. {_fmt(np.max(v))}"


def _fmt(x: float) -> str:
    return "diverged" if not np.isfinite(x) else f"{x:.4g}"


def report(
    res: dict,
    lrs: list[float],
    models: list[str],
    methods: list[str],
    args,
    seconds: float,
    torch_table: list | None,
) -> str:
    lines = [
        "# Hypergradient descent on digits",
        "",
        f"`python -m benchmarks.hypergradient --seeds {args.seeds}"
        f"{' --quick' if args.quick else ''}"
        f"{f' --multiplicative {args.multiplicative:g}' if args.multiplicative else ''}`; "
        f"{seconds:.0f} s on Python {platform.python_version()} / {platform.machine()}.",
        f"Minibatch {args.batch}; epochs: logistic regression {args.epochs_logreg}, "
        f"MLP {args.epochs_mlp}; {'multiplicative' if args.multiplicative else 'additive'} rule,"
        f" beta: SGD/SGDN {args.beta_sgd:g}, Adam {args.beta_adam:g}. "
        f"Final full training loss, median over {args.seeds} seeds (final HD rate in brackets).",
    ]
    summary = []
    for model in models:
        lines += [
            "",
            f"## {'Logistic regression' if model == 'logreg' else 'MLP 64-100-100-10'}",
            "",
            "| initial lr | " + " | ".join(LABEL[m] for m in methods) + " |",
            "|---:|" + "---:|" * len(methods),
        ]
        for lr in lrs:
            cells = []
            for m in methods:
                loss, lr_end = res[model, m, lr]
                cells.append(_fmt(loss) + (f" ({lr_end:.2g})" if m.endswith("_hd") else ""))
            lines.append(f"| {lr:g} | " + " | ".join(cells) + " |")
        for base, hd in [p for p in PAIRS if p[0] in methods]:
            b = np.array([res[model, base, lr][0] for lr in lrs])
            h = np.array([res[model, hd, lr][0] for lr in lrs])
            wins = int(np.sum(h < b))
            lr_end = [res[model, hd, lr][1] for lr in lrs]
            summary.append(
                f"| {model} | {LABEL[hd]} vs {LABEL[base]} | {wins} / {len(lrs)} | "
                f"{_range(b)} | {_range(h)} | {min(lr_end):.2g} .. {max(lr_end):.2g} |"
            )
    lines += [
        "",
        "## Summary",
        "",
        "HD lower: initial rates where the HD variant ends with the lower loss. Loss range: best"
        " .. worst final loss over the initial rates. Last column: where HD took the rate.",
        "",
        "| model | pair | HD lower | loss range, fixed | loss range, HD | HD final lr |",
        "|---|---|---:|---:|---:|---:|",
    ]
    lines += summary
    if torch_table:
        lines += [
            "",
            "## torch.optim driven by HypergradientController (logistic regression, seed 0)",
            "",
            "| optimizer | initial lr | fixed: loss | HD: loss | HD: final lr |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, lr, lf, _, lh, lr_h in torch_table:
            lines.append(f"| torch.optim.{name} | {lr:g} | {_fmt(lf)} | {_fmt(lh)} | {lr_h:.3g} |")
    return "\n".join(lines) + "\n"


def plot(res: dict, lrs: list[float], models: list[str], methods: list[str], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(1, len(models), figsize=(5.5 * len(models), 4), squeeze=False)
    colors = {"sgd": "C0", "sgdn": "C1", "adam": "C2"}
    for ax, model in zip(axes[0], models, strict=True):
        for base, hd in [p for p in PAIRS if p[0] in methods]:
            for m, style in [(base, "--"), (hd, "-")]:
                y = [res[model, m, lr][0] for lr in lrs]
                ax.plot(lrs, y, style, marker="o", color=colors[base], label=LABEL[m])
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="initial learning rate",
            ylabel="final training loss",
            title=model,
        )
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--lrs", type=float, nargs="+", default=[1e-5, 1e-4, 1e-3, 1e-2, 1e-1])
    parser.add_argument("--epochs-logreg", type=int, default=10)
    parser.add_argument("--epochs-mlp", type=int, default=20)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--beta-sgd", type=float, default=1e-3)
    parser.add_argument("--beta-adam", type=float, default=1e-5)
    parser.add_argument(
        "--multiplicative",
        type=float,
        metavar="BETA",
        default=None,
        help="use the multiplicative rule with this beta for all HD variants (e.g. 0.02)",
    )
    parser.add_argument("--models", nargs="+", choices=["logreg", "mlp"], default=["logreg", "mlp"])
    parser.add_argument(
        "--pairs", nargs="+", choices=["sgd", "sgdn", "adam"], default=["sgd", "sgdn", "adam"]
    )
    parser.add_argument("--quick", action="store_true", help="1 seed, 3 epochs: a smoke run")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.epochs_logreg, args.epochs_mlp = 1, 3, 3
    mult = args.multiplicative is not None
    if mult:
        args.beta_sgd = args.beta_adam = args.multiplicative
    data = load_data()
    models = args.models
    methods = [m for m in METHODS if m.split("_")[0] in args.pairs]
    start = time.perf_counter()
    res = {}
    for model in models:
        epochs = args.epochs_logreg if model == "logreg" else args.epochs_mlp
        for m in methods:
            for lr in args.lrs:
                runs = [
                    train(
                        model,
                        m,
                        lr,
                        s,
                        epochs,
                        args.batch,
                        args.beta_sgd,
                        args.beta_adam,
                        data,
                        mult,
                    )
                    for s in range(args.seeds)
                ]
                res[model, m, lr] = (
                    float(np.median([r[0] for r in runs])),
                    float(np.median([r[1] for r in runs])),
                )
            print(
                f"{model:6s} {LABEL[m]:8s} "
                + " ".join(_fmt(res[model, m, lr][0]) for lr in args.lrs),
                flush=True,
            )
    torch_table = None
    if not args.no_torch:
        try:
            import torch  # noqa: F401
        except ImportError:
            print("torch is not installed: skipping the torch.optim rows")
        else:
            torch_table = torch_rows(
                args.lrs[1:4],
                args.epochs_logreg,
                args.batch,
                args.beta_sgd,
                args.beta_adam,
                data,
                mult,
            )
    text = report(res, args.lrs, models, methods, args, time.perf_counter() - start, torch_table)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hypergradient.md").write_text(text)
    if plot(res, args.lrs, models, methods, args.out / "hypergradient.png"):
        print(f"wrote {args.out / 'hypergradient.md'} and {args.out / 'hypergradient.png'}")


if __name__ == "__main__":
    main()
