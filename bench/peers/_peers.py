"""Shared helpers of the Python peers of `deno task bench` (imported by sde_em.py, ctmc_ssa.py,
normals.py; not a peer itself).

- Threads: SDENO_PEER_THREADS (set by bench/_peer.ts, default: every core) is applied before any
  numerical library is imported: OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS and
  NUMBA_NUM_THREADS (the most numba may use; set_num_threads lowers it per row), and for one thread
  XLA_FLAGS=--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1 (JAX on CPU). Values
  already in the environment win. torch.set_num_threads is called per row by the peers.
- Optional libraries: `optional("jax")` returns the module or None, with a note saying why, so a
  peer's other rows still print when torch, JAX or numba is missing.
- Timing: `Report.time` warms up (or compiles, timed apart), then takes the median wall time of
  REPEATS runs and the process CPU time over wall time of those runs (all threads together: how
  many cores the row really used; below its thread count on a loaded machine).
- Output: `Report.emit` prints one JSON line: {"rows": [...], "notes": [...], "versions": {...},
  "threads": {...}, "command": "script args"} plus any legacy keys a caller still reads.
"""
import importlib
import json
import os
import statistics
import sys
import time

THREADS = int(os.environ.get("SDENO_PEER_THREADS") or os.cpu_count() or 1)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, str(THREADS))
if THREADS == 1:
    os.environ.setdefault(
        "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    )


def optional(name, notes):
    """Imports `name`, or returns None and appends a note saying why (any import error counts:
    a broken install skips its rows rather than failing the peer)."""
    try:
        return importlib.import_module(name)
    except Exception as err:  # noqa: BLE001 - any failure to import means "not available"
        notes.append(f"{name} not importable ({type(err).__name__}: {err}); its rows are skipped")
        return None


class Report:
    """Rows, notes and versions of one peer run, printed as one JSON line."""

    def __init__(self):
        self.rows = []
        self.notes = []
        self.versions = {}
        self.extra = {}

    def time(self, name, tag, items, run, repeats, warm=None, compile_seconds=None, threads=1,
             dtype=None):
        """Times `run()` (returns a check value, e.g. a mean) and appends a row.

        `warm()` (default: `run`) runs once first and is not timed; `compile_seconds` is the
        separately measured compile/JIT time (None: nothing compiled). `items` is what one run
        does (path-steps, normals): the rate is items / median seconds. With `items=None`,
        `run()` returns (value, items) instead (firings of a stochastic simulation differ from
        run to run): the rate is the median of each run's items / seconds.
        """
        (warm or run)()
        times, rates, counts, value = [], [], [], None
        cpu0 = time.process_time()
        wall0 = time.perf_counter()
        for _ in range(repeats):
            t = time.perf_counter()
            value = run()
            times.append(time.perf_counter() - t)
            if items is None:
                value, count = value
                counts.append(count)
                rates.append(count / times[-1])
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        s = statistics.median(times)
        row = {
            "name": name,
            "tag": tag,
            "items": statistics.median(counts) if items is None else items,
            "seconds": s,
            "rate": statistics.median(rates) if items is None else items / s,
            "threads": threads,
            "cpu_per_wall": cpu / wall if wall > 0 else None,
            "compile_seconds": compile_seconds,
            "value": None if value is None else float(value),
        }
        if dtype:
            row["dtype"] = dtype
        self.rows.append(row)
        return row

    def threads(self):
        """The thread settings the process ran under, for the output."""
        keys = ("SDENO_PEER_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS", "XLA_FLAGS")
        return {k: os.environ.get(k, "") for k in keys}

    def emit(self):
        """Prints the report as the last line of stdout."""
        out = dict(self.extra)
        out.update(rows=self.rows, notes=self.notes, versions=self.versions, threads=self.threads(),
                   command=" ".join([os.path.basename(sys.argv[0]), *sys.argv[1:]]))
        print(json.dumps(out))


def timed(f):
    """Runs f() and returns (result, seconds)."""
    t = time.perf_counter()
    r = f()
    return r, time.perf_counter() - t
