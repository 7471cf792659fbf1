"""Hessian-vector products on the MLP of bench_mlp: time of one HVP over time of one gradient.

The problem is bench_mlp's (tanh MLP 64 -> 512 -> 512 -> 10, batch 256, float64, softmax
cross-entropy, seed 0); the direction is a fixed random pytree shaped like the parameters. Rows,
timed round-robin in one run:

- ``grad``: one gradient, the unit.
- ``hvp fwd-rev`` (the default of ``wengert.hvp``): a JVP of the gradient, from scratch.
- ``hvp rev-rev``: the gradient of <grad f, v>, from scratch.
- ``operator (per product)``: ``curvature.hessian_operator(f, x) @ v``, which linearizes the
  gradient once at x, compiles the tangent sweep with ``jit`` and then runs only that per
  product; this is what every routine of ``wengert.curvature`` (trace, diagonal, Lanczos,
  SLQ) pays per matvec.
- ``jit grad`` / ``jit hvp fwd-rev``: both compiled with ``wengert.jit``; the ratio is over
  ``jit grad``. Dead-code elimination drops the primal dW products that only the gradient
  reads, so the compiled HVP's GEMM floor is 2.58 gradients.

Issue 6's target for the default is hvp / grad <= 2.5. In multiply-adds, a fresh
forward-over-reverse HVP of this MLP costs 2.92 gradients (the 512x512 layer: 9 GEMMs against
3), a linearized product 2.0; the table prints both next to the measurement. JAX (jit) and
torch.func rows, when installed, give the same ratios for those libraries. All wengert rows must
agree to about 1e-12 relative.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_hvp.py [--quick] [--json PATH]``
(single-threaded BLAS: on a small shared machine multithreaded GEMM timings are erratic).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    fmt,
    load_peers,
    parse_args,
    print_table,
    time_interleaved,
    timing_config,
    write_json,
)
from bench_mlp import make_problem, mlp_loss

TARGET_RATIO = 2.5


def gemm_floor(sizes: tuple[int, ...] = (64, 512, 512, 10), batch: int = 256) -> dict[str, float]:
    """Multiply-adds of HVP over gradient, counting only the matrix products.

    A layer h = x @ W costs one GEMM forward and one (dW) or two (dW, dx) backward. Forward over
    reverse adds a tangent GEMM forward per differentiated factor and two per backward GEMM; a
    linearized product pays only the tangent GEMMs. The first layer's x is data (no tangent and
    no dx).
    """
    grad = fresh = lin = compiled = 0.0
    for k, (a, b) in enumerate(itertools.pairwise(sizes)):
        macs = batch * a * b
        first = k == 0
        grad += macs * (2 if first else 3)
        tangent = macs * ((1 + 1) if first else (2 + 4))
        lin += tangent
        fresh += macs * (2 if first else 3) + tangent
        # Compiled, dead code goes: the primal dW products (only the gradient reads them).
        compiled += macs * (1 if first else 2) + tangent
    return {"fresh": fresh / grad, "linearized": lin / grad, "compiled": compiled / grad}


def _peer_rows(params, X, onehot, v) -> dict[str, dict[str, Any]]:
    """{"jax.jit": {"grad": fn, "hvp": fn}, "torch.func": {...}} for the installed peers."""
    rows: dict[str, dict[str, Any]] = {}
    peers = load_peers(("jax", "torch"))
    jx = peers.get("jax")
    if jx is not None and jx.ok:
        jax, jnp = jx.modules["jax"], jx.modules["jnp"]
        jp, jv = (tuple(jnp.asarray(a) for a in t) for t in (params, v))
        jX, joh = jnp.asarray(X), jnp.asarray(onehot)

        def j_loss(p):
            return mlp_loss(*p, jX, jnp, jax.lax.stop_gradient,
                            lambda lp: jnp.sum(lp * joh, axis=1))

        j_grad = jax.jit(jax.grad(j_loss))
        j_hvp = jax.jit(lambda p, t: jax.jvp(jax.grad(j_loss), (p,), (t,))[1])
        block = jax.block_until_ready
        rows["jax.jit"] = {"grad": lambda: block(j_grad(jp)), "hvp": lambda: block(j_hvp(jp, jv))}
    th = peers.get("torch")
    if th is not None and th.ok:
        torch = th.modules["torch"]
        from bench_mlp import _torch_namespace

        tnp = _torch_namespace(torch)
        tp, tv = (tuple(torch.tensor(a) for a in t) for t in (params, v))
        tX, toh = torch.tensor(X), torch.tensor(onehot)

        def t_loss(p):
            return mlp_loss(*p, tX, tnp, torch.Tensor.detach,
                            lambda lp: tnp.sum(lp * toh, axis=1))

        t_grad = torch.func.grad(t_loss)
        rows["torch.func"] = {"grad": lambda: t_grad(tp),
                              "hvp": lambda: torch.func.jvp(t_grad, (tp,), (tv,))[1]}
    return rows


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Time grad, both HVP strategies and the linearized operator; print the ratios."""
    import wengert as wg
    import wengert.numpy as wnp
    from wengert.curvature import hessian_operator

    args = parse_args(argv, __doc__.splitlines()[0])
    config = timing_config(args.quick)
    params, X, y = make_problem()
    onehot = np.eye(10)[y]

    def loss(p):
        return mlp_loss(*p, X, wnp, wg.stop_gradient, lambda lp: wnp.sum(lp * onehot, axis=1))

    rng = np.random.default_rng(1)
    v = tuple(rng.standard_normal(np.shape(a)) for a in params)
    grad = wg.grad(loss)
    op = hessian_operator(loss, params)
    flat_v = wg.tree.ravel(v)[0]
    fns = {"grad": lambda: grad(params)}
    fns.update({f"hvp {s}": (lambda s=s: wg.hvp(loss, (params,), (v,), strategy=s))
                for s in ("fwd-rev", "rev-rev")})
    fns["operator (per product)"] = lambda: op @ flat_v
    # Compiled: jit(grad) against jit(hvp). The compiled HVP drops what only the gradient
    # needs (the primal dW products), so its GEMM floor is lower than a fresh eager HVP's.
    jit_grad = wg.jit(grad)
    jit_hvp = wg.jit(lambda p, t: wg.hvp(loss, (p,), (t,))[0])
    jit_grad(params), jit_hvp(params, v)  # compile outside the timing
    fns["jit grad"] = lambda: jit_grad(params)
    fns["jit hvp fwd-rev"] = lambda: jit_hvp(params, v)
    results = [wg.tree.ravel(fns[k]()[0])[0] for k in ("hvp fwd-rev", "hvp rev-rev")]
    results.append(np.asarray(fns["operator (per product)"]()))
    results.append(wg.tree.ravel(fns["jit hvp fwd-rev"]())[0])
    scale = np.max(np.abs(results[0]))
    agree = max(float(np.max(np.abs(r - results[0])) / scale) for r in results[1:])
    times = {k: t.min for k, t in time_interleaved(fns, config).items()}
    floor = gemm_floor()
    floors = {"hvp fwd-rev": floor["fresh"], "hvp rev-rev": None,
              "operator (per product)": floor["linearized"], "grad": 1.0, "jit grad": 1.0,
              "jit hvp fwd-rev": floor["compiled"]}
    print("== bench_hvp: HVP of the MLP 64-512-512-10, batch 256, float64 ==")
    unit = {k: times["jit grad"] if k.startswith("jit") else times["grad"] for k in times}
    rows = [[k, fmt(t * 1e3), fmt(t / unit[k]), fmt(floors[k])] for k, t in times.items()]
    peer_ratio = {}
    for label, pair in _peer_rows(params, X, onehot, v).items():
        pair["grad"](), pair["hvp"]()  # compile outside the timing
        pt = {k: t.min for k, t in time_interleaved(pair, config).items()}
        peer_ratio[label] = pt["hvp"] / pt["grad"]
        rows.append([f"{label} grad", fmt(pt["grad"] * 1e3), "1.00", ""])
        rows.append([f"{label} hvp (fwd-rev)", fmt(pt["hvp"] * 1e3), fmt(peer_ratio[label]),
                     fmt(floor["fresh"])])
    print_table(["what", "best ms", "/ grad", "GEMM floor"], rows)
    ratio = times["hvp fwd-rev"] / times["grad"]
    per_product = times["operator (per product)"] / times["grad"]
    print(f"wengert rows agree to {agree:.1e} (relative). Target <= {TARGET_RATIO}: fresh "
          f"fwd-rev hvp / grad = {ratio:.2f} ({'yes' if ratio <= TARGET_RATIO else 'no'}; its "
          f"GEMM floor is {floor['fresh']:.2f}); per product of the curvature operator = "
          f"{per_product:.2f} ({'yes' if per_product <= TARGET_RATIO else 'no'}).")
    compiled = times["jit hvp fwd-rev"] / times["jit grad"]
    print(f"compiled: jit(hvp) / jit(grad) = {compiled:.2f} (GEMM floor {floor['compiled']:.2f}).")
    result = {"grad_s": times["grad"], "times_s": times,
              "ratio": {k: t / unit[k] for k, t in times.items()},
              "gemm_floor": floor, "peer_ratio": peer_ratio, "agreement": agree}
    if args.json:
        write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
