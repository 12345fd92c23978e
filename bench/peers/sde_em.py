"""Python peers for bench/sde.ts: Euler-Maruyama ensembles as a user of each library would write
them, on the thread count of SDENO_PEER_THREADS (bench/_peer.ts sets it; see _peers.py).

Usage: python3 bench/peers/sde_em.py PATHS STEPS REPEATS [--peers numpy,torch,jax,numba]
                                     [--models ou,slv] [--dtypes f32,f64]
                                     [--jax-forms batched,vmap]
Models (dt 1e-3, the same as sdeno's built-ins in bench/sde.ts):
  ou:  dX = theta (mu - X) dt + sigma dW            (theta 1, mu 0.5, sigma 1, X0 = 1)
  slv: dX = X (a - b Y) dt + s1 X dW1, dY = Y (d X - g) dt + s2 Y dW2
       (a = b = d = g = 1, s1 = s2 = 0.1, X0 = (1.2, 0.8))
Peers (each only if importable; a note says which are missing):
  numpy f64: vectorised over paths, standard_normal(out=...) per step (one thread);
  PyTorch f32 and f64: the same loop on tensors, normal_ per step, torch.set_num_threads(THREADS);
  JAX f32 and f64: jit of a lax.scan over steps with the normals of every path drawn per step
    (batched), and f32 also as jit(vmap over paths of a one-path lax.scan); the default PRNG
    (threefry2x32); compile time (lower + compile) reported apart;
  numba f64: @njit loop over paths then steps with np.random.standard_normal (one thread), or
    @njit(parallel=True) with prange over paths when THREADS > 1; compile time reported apart.
    numba's generator draws float64 only, so there is no f32 row.
Prints one JSON line: rows (name, tag = model, items = path-steps, median seconds after a
warm-up, cpu_per_wall, compile_seconds, value = mean of X at the end), notes, versions, threads;
and, when numpy ran, the legacy keys ou / slv (median seconds) and numpy_version.
"""
import argparse
import math

from _peers import THREADS, Report, optional, timed

parser = argparse.ArgumentParser()
parser.add_argument("paths", type=int)
parser.add_argument("steps", type=int)
parser.add_argument("repeats", type=int)
parser.add_argument("--peers", default="numpy,torch,jax,numba")
parser.add_argument("--models", default="ou,slv")
parser.add_argument("--dtypes", default="f32,f64")  # of PyTorch and JAX (numpy and numba: f64)
parser.add_argument("--jax-forms", default="batched,vmap")
args = parser.parse_args()
dtypes = set(args.dtypes.split(","))
jax_forms = set(args.jax_forms.split(","))
paths, steps, repeats = args.paths, args.steps, args.repeats
peers = set(args.peers.split(","))
models = args.models.split(",")
DT = 1e-3
SQ = math.sqrt(DT)
THETA, MU, SIGMA = 1.0, 0.5, 1.0
A = B = D = G = 1.0
S1 = S2 = 0.1
size = f"{paths} × {steps}"
threads_name = f"{THREADS} thread{'s' if THREADS > 1 else ''}"
items = paths * steps
rep = Report()

# ---------------------------------------------------------------- numpy f64 (one thread)
np = optional("numpy", rep.notes)
if np is not None and "numpy" in peers:
    rep.versions["numpy"] = np.__version__

    def np_ou(rng):
        x = np.full(paths, 1.0)
        z = np.empty(paths)
        for _ in range(steps):
            rng.standard_normal(paths, out=z)
            x += THETA * (MU - x) * DT + SIGMA * SQ * z
        return x.mean()

    def np_slv(rng):
        x = np.full(paths, 1.2)
        y = np.full(paths, 0.8)
        z = np.empty((2, paths))
        for _ in range(steps):
            rng.standard_normal((2, paths), out=z)
            fx = x * (A - B * y)
            fy = y * (D * x - G)
            x, y = x + fx * DT + S1 * SQ * x * z[0], y + fy * DT + S2 * SQ * y * z[1]
        return float(x.mean())

    for tag in models:
        rng = np.random.default_rng(12345)
        f = np_ou if tag == "ou" else np_slv
        row = rep.time(f"numpy f64, 1 thread, {size}", tag, items, lambda: f(rng), repeats,
                       dtype="f64")
        rep.extra[tag] = row["seconds"]  # legacy keys read by bench/sde.ts
        rep.extra[tag + "_mean"] = row["value"]
    rep.extra["numpy_version"] = np.__version__

# ---------------------------------------------------------------- PyTorch (CPU, eager)
torch = optional("torch", rep.notes) if "torch" in peers else None
if torch is not None:
    rep.versions["torch"] = torch.__version__
    torch.set_num_threads(THREADS)

    def torch_ou(dtype, gen, n):
        x = torch.full((n,), 1.0, dtype=dtype)
        z = torch.empty(n, dtype=dtype)
        for _ in range(steps):
            z.normal_(generator=gen)
            x += THETA * (MU - x) * DT + SIGMA * SQ * z
        return x.mean().item()

    def torch_slv(dtype, gen, n):
        x = torch.full((n,), 1.2, dtype=dtype)
        y = torch.full((n,), 0.8, dtype=dtype)
        z = torch.empty((2, n), dtype=dtype)
        for _ in range(steps):
            z.normal_(generator=gen)
            fx = x * (A - B * y)
            fy = y * (D * x - G)
            x, y = x + fx * DT + S1 * SQ * x * z[0], y + fy * DT + S2 * SQ * y * z[1]
        return x.mean().item()

    with torch.inference_mode():
        for tag in models:
            f = torch_ou if tag == "ou" else torch_slv
            for dname, dtype in (("f32", torch.float32), ("f64", torch.float64)):
                if dname not in dtypes:
                    continue
                gen = torch.Generator().manual_seed(12345)
                rep.time(f"PyTorch {dname}, {threads_name}, {size}", tag, items,
                         lambda: f(dtype, gen, paths), repeats,
                         warm=lambda: f(dtype, gen, min(paths, 4096)), threads=THREADS,
                         dtype=dname)
    rep.extra["torch_threads"] = torch.get_num_threads()

# ---------------------------------------------------------------- JAX (jit, CPU)
jax = optional("jax", rep.notes) if "jax" in peers else None
if jax is not None:
    import jax.numpy as jnp
    from jax import lax

    rep.versions["jax"] = jax.__version__
    rep.versions["jax_prng"] = str(jax.config.jax_default_prng_impl)

    def drift_diffusion(tag):
        if tag == "ou":
            return lambda x, z: x + THETA * (MU - x) * DT + SIGMA * SQ * z[0]
        return lambda x, z: jnp.stack([
            x[0] + x[0] * (A - B * x[1]) * DT + S1 * SQ * x[0] * z[0],
            x[1] + x[1] * (D * x[0] - G) * DT + S2 * SQ * x[1] * z[1],
        ])

    def x0(tag, dtype, shape):
        v = [1.0] if tag == "ou" else [1.2, 0.8]
        x = jnp.stack([jnp.full(shape, c, dtype) for c in v])
        return x[0] if tag == "ou" else x

    def batched(tag, dtype):
        step = drift_diffusion(tag)
        dim = 1 if tag == "ou" else 2

        def run(key):
            def body(x, i):
                z = jax.random.normal(jax.random.fold_in(key, i), (dim, paths), dtype)
                return step(x, z), None

            x, _ = lax.scan(body, x0(tag, dtype, (paths,)), jnp.arange(steps))
            return jnp.mean(x if tag == "ou" else x[0])

        return run

    def vmapped(tag, dtype):
        step = drift_diffusion(tag)
        dim = 1 if tag == "ou" else 2

        def one_path(key):
            def body(x, i):
                z = jax.random.normal(jax.random.fold_in(key, i), (dim,), dtype)
                return step(x, z), None

            x, _ = lax.scan(body, x0(tag, dtype, ()), jnp.arange(steps))
            return x if tag == "ou" else x[0]

        def run(key):
            return jnp.mean(jax.vmap(one_path)(jax.random.split(key, paths)))

        return run

    def jax_row(name, tag, make, dtype, dname):
        key = jax.random.key(12345)
        compiled, secs = timed(lambda: jax.jit(make(tag, dtype)).lower(key).compile())
        rep.time(name, tag, items, lambda: compiled(key).block_until_ready(), repeats,
                 compile_seconds=secs, threads=THREADS, dtype=dname)

    for tag in models:
        if "f32" in dtypes and "batched" in jax_forms:
            jax_row(f"JAX f32 (jit, lax.scan, batched normals), {threads_name}, {size}", tag,
                    batched, jnp.float32, "f32")
        if "f32" in dtypes and "vmap" in jax_forms:
            jax_row(f"JAX f32 (jit, vmap of a one-path lax.scan), {threads_name}, {size}", tag,
                    vmapped, jnp.float32, "f32")
        if "f64" in dtypes and "batched" in jax_forms:
            with jax.enable_x64(True):
                jax_row(f"JAX f64 (jit, lax.scan, batched normals), {threads_name}, {size}", tag,
                        batched, jnp.float64, "f64")

# ---------------------------------------------------------------- numba (njit / prange)
numba = optional("numba", rep.notes) if "numba" in peers else None
if numba is not None and np is not None:
    from numba import njit, prange

    rep.versions["numba"] = numba.__version__
    parallel = THREADS > 1

    def make_numba(tag):
        # one body for both: prange is range under parallel=False
        if tag == "ou":
            def f(n, seed):
                np.random.seed(seed)
                acc = 0.0
                for p in prange(n):
                    x = 1.0
                    for _ in range(steps):
                        x += THETA * (MU - x) * DT + SIGMA * SQ * np.random.standard_normal()
                    acc += x
                return acc / n
        else:
            def f(n, seed):
                np.random.seed(seed)
                acc = 0.0
                for p in prange(n):
                    x, y = 1.2, 0.8
                    for _ in range(steps):
                        z1 = np.random.standard_normal()
                        z2 = np.random.standard_normal()
                        fx = x * (A - B * y)
                        fy = y * (D * x - G)
                        x, y = x + fx * DT + S1 * SQ * x * z1, y + fy * DT + S2 * SQ * y * z2
                    acc += x
                return acc / n
        return njit(parallel=parallel)(f)

    if parallel:
        numba.set_num_threads(THREADS)
    for tag in models:
        f = make_numba(tag)
        _, secs = timed(lambda: f(2, 1))  # compiles for (int64, int64)
        how = f"prange over paths, {threads_name}" if parallel else "njit, 1 thread"
        rep.time(f"numba f64 ({how}), {size}", tag, items, lambda: f(paths, 12345), repeats,
                 compile_seconds=secs, threads=THREADS if parallel else 1, dtype="f64")
    if parallel:
        rep.extra["numba_threading_layer"] = numba.threading_layer()

rep.emit()
