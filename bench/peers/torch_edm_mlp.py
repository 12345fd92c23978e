"""Peer for bench/onnx.ts: PyTorch's time per evaluation of the EDM 2-D network of
tests/fixtures/onnx (the same architecture, EdmMlp from make_torch_fixture.py) at a batch size.
Prints one JSON line. Usage: python3 torch_edm_mlp.py BATCH REPEATS"""

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "onnx"))

import torch  # noqa: E402
from make_torch_fixture import EdmMlp  # noqa: E402


def main():
    batch, repeats = int(sys.argv[1]), int(sys.argv[2])
    torch.manual_seed(0)
    model = EdmMlp().eval()
    x = torch.randn(batch, 2)
    sigma = torch.full((batch,), 1.5)
    with torch.no_grad():
        model(x, sigma)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            model(x, sigma)
            times.append(time.perf_counter() - t)
    print(json.dumps({"seconds": statistics.median(times), "threads": torch.get_num_threads(),
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
