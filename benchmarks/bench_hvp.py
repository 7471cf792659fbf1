"""Hessian-vector products on the MLP of bench_mlp: time of one HVP over time of one gradient.

The problem is bench_mlp's (tanh MLP 64 -> 512 -> 512 -> 10, batch 256, float64, softmax
cross-entropy, seed 0); the direction is a fixed random pytree shaped like the parameters. Both
strategies of ``wengert.hvp`` are timed side by side with ``value_and_grad``: "fwd-rev" (a JVP
of the gradient, the default) and "rev-rev" (the gradient of ⟨∇f, v⟩). Issue 6's target for the
default is hvp / grad <= 2.5. Both strategies must agree to about 1e-12 relative.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_hvp.py [--quick] [--json PATH]``
(single-threaded BLAS: on a small shared machine multithreaded GEMM timings are erratic).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fmt, parse_args, print_table, time_call, timing_config, write_json
from bench_mlp import make_problem, mlp_loss

TARGET_RATIO = 2.5


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Time grad and both HVP strategies; print the ratios; return them."""
    import wengert as wg
    import wengert.numpy as wnp

    args = parse_args(argv, __doc__.splitlines()[0])
    config = timing_config(args.quick)
    params, X, y = make_problem()
    onehot = np.eye(10)[y]

    def loss(p):
        return mlp_loss(*p, X, wnp, wg.stop_gradient, lambda lp: wnp.sum(lp * onehot, axis=1))

    rng = np.random.default_rng(1)
    v = tuple(rng.standard_normal(np.shape(a)) for a in params)
    grad = wg.grad(loss)
    hvps = {s: (lambda s=s: wg.hvp(loss, (params,), (v,), strategy=s)) for s in ("fwd-rev",
                                                                                "rev-rev")}
    a, b = (np.concatenate([np.ravel(t) for t in fn()[0]]) for fn in hvps.values())
    agree = float(np.max(np.abs(a - b)) / np.max(np.abs(a)))
    t_grad = time_call(lambda: grad(params), config).min
    times = {s: time_call(fn, config).min for s, fn in hvps.items()}
    rows = [["grad", fmt(t_grad * 1e3), "1.00"]]
    rows += [[f"hvp {s}", fmt(t * 1e3), fmt(t / t_grad)] for s, t in times.items()]
    print("== bench_hvp: HVP of the MLP 64-512-512-10, batch 256, float64 ==")
    print_table(["what", "best ms", "/ grad"], rows)
    ratio = times["fwd-rev"] / t_grad
    print(f"strategies agree to {agree:.1e} (relative); default fwd-rev / grad = {ratio:.2f} "
          f"(target <= {TARGET_RATIO}: {'yes' if ratio <= TARGET_RATIO else 'NO'})")
    result = {"grad_s": t_grad, "hvp_s": times, "ratio": {s: t / t_grad for s, t in
                                                           times.items()},
              "agreement": agree}
    if args.json:
        write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
