"""Python peers for bench/normals.ts: standard normal throughput into a preallocated array.

Usage: python3 bench/peers/normals.py N REPEATS
Threads: SDENO_PEER_THREADS (bench/_peer.ts sets it; see _peers.py).
  numpy f64 / f32: Generator.standard_normal(out=...), PCG64 + ziggurat (one thread);
  PyTorch f32 / f64: Tensor.normal_(generator=...) on 1 thread and on THREADS threads
    (torch.set_num_threads), each only if torch is importable;
  JAX f32 / f64: jit of jax.random.normal(key, (N,)) (threefry2x32, the default PRNG), on the
    process's XLA threads (one thread: XLA_FLAGS; else XLA's default), compile time apart.
Prints one JSON line: rows (name, items = N, median seconds after a warm-up, cpu_per_wall,
compile_seconds), notes, versions, threads; and the legacy keys numpy_f64 / numpy_f32 (median
seconds) and numpy_version.
"""
import sys

from _peers import THREADS, Report, optional, timed

n, repeats = int(sys.argv[1]), int(sys.argv[2])
rep = Report()

np = optional("numpy", rep.notes)
if np is not None:
    rep.versions["numpy"] = np.__version__
    rng = np.random.default_rng(12345)
    for dname, dtype in (("f64", np.float64), ("f32", np.float32)):
        buf = np.empty(n, dtype=dtype)

        def run(buf=buf, dtype=dtype):
            rng.standard_normal(n, dtype=dtype, out=buf)

        row = rep.time(f"numpy {dname}, 1 thread", "normals", n, run, repeats, dtype=dname)
        rep.extra[f"numpy_{dname}"] = row["seconds"]
    rep.extra["numpy_version"] = np.__version__

torch = optional("torch", rep.notes)
if torch is not None:
    rep.versions["torch"] = torch.__version__
    gen = torch.Generator().manual_seed(12345)
    for threads in sorted({1, THREADS}):
        torch.set_num_threads(threads)
        for dname, dtype in (("f32", torch.float32), ("f64", torch.float64)):
            buf = torch.empty(n, dtype=dtype)
            label = f"{threads} thread{'s' if threads > 1 else ''}"

            def run(buf=buf):
                buf.normal_(generator=gen)

            rep.time(f"PyTorch {dname}, {label}", "normals", n, run, repeats, threads=threads,
                     dtype=dname)

jax = optional("jax", rep.notes)
if jax is not None:
    import jax.numpy as jnp

    rep.versions["jax"] = jax.__version__
    rep.versions["jax_prng"] = str(jax.config.jax_default_prng_impl)
    label = f"{THREADS} thread{'s' if THREADS > 1 else ''}"
    for dname, dtype, x64 in (("f32", jnp.float32, False), ("f64", jnp.float64, True)):
        with jax.enable_x64(x64):
            key = jax.random.key(12345)
            f = jax.jit(lambda k, i, dtype=dtype: jax.random.normal(jax.random.fold_in(k, i), (n,),
                                                                     dtype))
            compiled, secs = timed(lambda: f.lower(key, 0).compile())
            count = [0]

            def run(compiled=compiled, key=key):
                count[0] += 1  # a fresh draw each call, as the other rows do
                compiled(key, count[0]).block_until_ready()

            rep.time(f"JAX {dname} (jit), {label}", "normals", n, run, repeats,
                     compile_seconds=secs, threads=THREADS, dtype=dname)

rep.emit()
