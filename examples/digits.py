"""Train the tour's digits network longer and print the accuracy and Hessian table.

Run with ``python examples/digits.py`` (needs scikit-learn: ``pip install wengert[tour]``).
"""

from __future__ import annotations

import numpy as np

from wengert.demos import digits


def main(epochs: int = 20, steps_per_epoch: int = 25, lr: float = 0.003) -> None:
    """Train for ``epochs`` × ``steps_per_epoch`` Adam steps and print the table."""
    x_train, y_train, x_test, y_test = digits.load_data()
    loss = digits.make_loss(x_train, y_train)
    params0 = digits.init_params(x_train.shape[1])
    params, losses = digits.train(params0, loss, epochs, steps_per_epoch, lr)
    before, after = digits.spectrum(loss, params0), digits.spectrum(loss, params)
    rows = [
        ("training loss", losses[0], losses[-1]),
        ("train accuracy", digits.accuracy(params0, x_train, y_train),
         digits.accuracy(params, x_train, y_train)),
        ("test accuracy", digits.accuracy(params0, x_test, y_test),
         digits.accuracy(params, x_test, y_test)),
        ("Hessian trace", before["trace"], after["trace"]),
    ]
    print(f"{'':16s} {'init':>10s} {'trained':>10s}")
    for name, a, b in rows:
        print(f"{name:16s} {a:10.4f} {b:10.4f}")
    for name, s in (("init", before), ("trained", after)):
        print(f"top eigenvalues ({name}):", np.array2string(s["top"], precision=4))


if __name__ == "__main__":
    main()
