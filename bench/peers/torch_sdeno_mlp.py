"""Peer for bench/mlp.ts: PyTorch's time per evaluation of an sdeno MLP score network (a card
written by scripts/train.ts and its float32 weights), rebuilt layer by layer in torch with the
same preconditioning, at a batch size. Also evaluates the network on the deterministic batch
x[i, j] = sin(0.1 (d i + j) + 0.3) at sigma = 1.5 (label i % (C + 1) when conditional) and returns
its first outputs, so the caller can check that both sides compute the same function.

Prints one JSON line. Usage: python3 torch_sdeno_mlp.py CARD.json BATCH REPEATS"""

import json
import math
import os
import statistics
import sys
import time

import numpy as np
import torch


def load(card_path):
    with open(card_path) as f:
        card = json.load(f)
    spec = card["spec"]
    weights = np.load(os.path.join(os.path.dirname(card_path), card["weights"]["file"]))
    return spec, torch.from_numpy(weights.astype(np.float32))


class SdenoMlp(torch.nn.Module):
    """The network of models/mlp.ts and models/_mlp_engine.ts (layout W0, Wc, b0, (W, b)..., Wout, bout)."""

    def __init__(self, spec, p):
        super().__init__()
        d, hidden, F, C = spec["dim"], spec["hidden"], spec["timeFeatures"], spec["classes"]
        q = 2 * F + (C + 1 if C > 0 else 0)
        at = 0

        def take(rows, cols):
            nonlocal at
            t = p[at:at + rows * cols].reshape(rows, cols).clone()
            at += rows * cols
            return torch.nn.Parameter(t, requires_grad=False)

        self.w0 = take(d, hidden[0])
        self.wc = take(q, hidden[0])
        self.b0 = take(1, hidden[0])
        self.layers = torch.nn.ParameterList()
        for l in range(1, len(hidden)):
            self.layers.append(take(hidden[l - 1], hidden[l]))
            self.layers.append(take(1, hidden[l]))
        self.wout = take(hidden[-1], d)
        self.bout = take(1, d)
        assert at == p.numel(), (at, p.numel())
        lo, hi = spec["frequencies"]
        self.omega = torch.tensor(
            [lo if F == 1 else lo * (hi / lo) ** (j / (F - 1)) for j in range(F)], dtype=torch.float32)
        self.F, self.C, self.sd = F, C, float(spec["sigmaData"])
        self.x0 = spec["objective"] == "x0"
        assert spec["schedule"]["name"] == "edm", "the peer rebuilds EDM-schedule models only"

    def forward(self, x, sigma, labels=None):
        sd2 = self.sd * self.sd
        r = sigma * sigma + sd2
        c_in = 1 / math.sqrt(r)
        arg = math.log(sigma) / 4 * self.omega
        feat = torch.cat([torch.sin(arg), torch.cos(arg)])
        wt = self.wc[: 2 * self.F]
        z = (x * c_in) @ self.w0 + (feat @ wt + self.b0)
        if self.C > 0:
            z = z + self.wc[2 * self.F:][labels]
        h = torch.nn.functional.silu(z)
        for k in range(0, len(self.layers), 2):
            h = torch.nn.functional.silu(h @ self.layers[k] + self.layers[k + 1])
        f = h @ self.wout + self.bout
        if not self.x0:
            return f
        return x * (sd2 / r) + f * (sigma * self.sd / math.sqrt(r))


def main():
    card_path, batch, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    spec, p = load(card_path)
    model = SdenoMlp(spec, p).eval()
    d, C = spec["dim"], spec["classes"]
    idx = torch.arange(batch * d, dtype=torch.float64)
    x = torch.sin(0.1 * idx + 0.3).to(torch.float32).reshape(batch, d)
    labels = (torch.arange(batch) % (C + 1)) if C > 0 else None
    with torch.no_grad():
        check = model(x, 1.5, labels)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            model(x, 1.5, labels)
            times.append(time.perf_counter() - t)
    print(json.dumps({"seconds": statistics.median(times), "threads": torch.get_num_threads(),
                      "torch": torch.__version__, "check": check.reshape(-1)[:16].tolist()}))


if __name__ == "__main__":
    main()
