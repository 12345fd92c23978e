// Gillespie's direct method (J. Phys. Chem. 81, 2340, 1977), one trajectory
// per invocation, for a reaction network compiled into this template by
// ssa_ensemble.ts, which fills the double-braced placeholders: the numbers of
// species and reactions, custom propensity snippets and sd_record, the state
// (x0, x1, ..., a_0, a_1, ...), the sum a0, the selection, and the firing
// (net change, propensities recomputed); see sd_simulate for why the network
// is written out this way. Rate constants, the initial state, save times and
// every count come from buffers and uniforms.
//
// Randomness: step m of path (path_lo + i) uses words 2(m mod 2), 2(m mod 2)+1
// of the Philox block with counter (path, m / 2, purpose, 0) (Salmon et al.,
// SC'11) - the same draws as the CPU twin and as ssaDirect.
//
// f32 arithmetic the CPU twin reproduces op by op: propensities
// (constant x falling factorials, left to right), their sum (in reaction
// order), u2 * a0, the cumulative sum for the selection, tau = -ln(u1) / a0
// with sd_ssa_log_unit, and t + tau. Counts are exact i32.
//
// Bit for bit by construction: WGSL lets a compiler contract a * b + c into
// a fused multiply-add and reassociate f32 sums and products, and llvmpipe
// does where it sees fit, depending on the code around it (a Schlogl path's
// propensity sum came out one ulp off the twin's on some states; about 1
// path in 16000 then fired a different reaction, or crossed a save time on
// the other side). So every f32 result that feeds another f32 operation
// passes through sd_exact, an integer OR with a uniform zero that the
// compiler cannot see through - where a fusion or a reassociation could
// change it: a product that feeds a sum, a link of a chain of sums or
// products. Each such result is rounded to f32 on its own, in the twin's
// order. (Quotients, comparisons and a sum whose operands are a constant
// and an opaque value leave nothing to rewrite.) What remains is one correctly rounded f32 operation after
// another (+, -, *, /; WGSL allows 2.5 ulp for a division, llvmpipe's is
// exact; on an adapter whose is not, the twin agrees in distribution only),
// and conversions from i32 (round to nearest even).
//
// Moments: at each save time a path adds its count x and x^2 as 64-bit
// integers (u32 pairs with carry) to workgroup memory; at the end the
// workgroup adds its totals to batch (workgroup_index mod 64) of the global
// sums, so the host finishes exact integer sums in f64, and the 64 batches
// give batch-means standard errors. Workgroup memory holds 64 cells (save
// times x species): llvmpipe's compile time grows quadratically with the
// size of a workgroup array (83 s at 16 KB); with more cells the paths add
// straight into their batch of the global sums (same integers).
//
// Resuming across dispatches: llvmpipe caps the loop iterations of one
// invocation (LP_MAX_TGSI_LOOP_ITERATIONS = 65535, one counter per group of 8
// lanes for every loop of the shader together; at zero it silently leaves
// whatever loop it is in). So a dispatch does at most p.budget units of work
// per path (a firing costs 1, a record 4: the inner loop does two firings per
// iteration, a record about three iterations) and then parks the path in the
// state buffer: phase, t (f32 bits), firing index m, save index si, the
// counts, and the propensities recomputing could not reproduce (those kept
// by a select, or never recomputed). The next dispatch (p.resume = 1)
// restores it and recomputes the other propensities from the counts, which
// gives the same f32 values; since step m's draws depend only on (path, m),
// the continued path is the one a single long dispatch would run. A path is
// parked at the top of a firing, before its records, so every save time is
// recorded exactly once, and its steps, flags and absorption are added once,
// when it finishes (phase 2). Phases: 0 running, 1 stopped with records
// left (their count is budgeted too), 2 finished; bits 4, 8, 16: over
// max_steps, absorbed, bad propensity (or a count past 2^31 - 1), and 32:
// time stopped advancing (a wait of at least its mean, -ln u1 >= 1, left t
// unchanged: 1/a0 fell below the resolution of the f32 clock, as in an
// explosive network). A finishing path adds 1 to status[p.status_word],
// which the host reads to see when a chunk is done.

struct Params {
  n: u32, path_lo: u32, seed: u32, stream: u32,
  purpose: u32, n_save: u32, max_steps: u32, record: u32,
  t_end: f32, hist_species: u32, hist_lo: i32, hist_width: u32,
  hist_bins: u32, hist_on: u32, wg_base: u32, n_cells: u32,
  resume: u32, status_word: u32, budget: u32, zero: u32,
}

@group(0) @binding(0) var<storage, read> rates: array<f32>;
@group(0) @binding(1) var<storage, read> save_times: array<f32>;
@group(0) @binding(2) var<storage, read> init: array<i32>;
@group(0) @binding(3) var<storage, read_write> counts: array<i32>;
// [64 batches][n_cells][sum lo, sum hi, sq lo, sq hi], then steps lo, hi, steps^2 lo, hi, absorbed
@group(0) @binding(4) var<storage, read_write> sums: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> hist: array<atomic<u32>>;
// [paths over max_steps, paths with a bad propensity, first bad path, paths cut by the loop
// limiter, paths whose clock stopped], then per chunk the number of its finished paths
@group(0) @binding(6) var<storage, read_write> status: array<atomic<u32>>;
// per path: phase and flags, t bits, m, si, counts, kept propensities (SD_SW words)
@group(0) @binding(7) var<storage, read_write> state: array<u32>;
@group(0) @binding(8) var<uniform> p: Params;

const SD_NS: u32 = {{NS}}u;
const SD_NR: u32 = {{NR}}u;
const SD_SW: u32 = {{SW}}u;
const SD_WG_CELLS: u32 = 64u;
const SD_BATCHES: u32 = 64u;
const SD_F32_MAX: f32 = 0x1.fffffep+127f; // the largest f32 (in hex: some compilers refuse the decimal form)

var<workgroup> wsum: array<atomic<u32>, 261>; // 64 cells x 4, steps lo/hi, steps^2 lo/hi, absorbed
var<private> batch_base: u32;

// a propensity must be finite and >= 0
fn sd_ok(v: f32) -> bool {
  return v >= 0.0 && v <= 3.0e38;
}

// v itself, rounded to f32: no multiply-add can be fused across it (p.zero is 0)
fn sd_exact(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) | p.zero);
}

// The uniform (w + 1/2) 2^-32 in (0, 1) of a word, rounded once: two exact
// parts (24 high bits, and the low 8 plus 1/2) and one sum, as in the twin
// (sd_uniform of philox.wgsl computes the same, without the barriers)
fn sd_ssa_uniform(w: u32) -> f32 {
  return sd_exact(f32(w >> 8u) * 5.9604644775390625e-8) +
    sd_exact((f32(w & 0xffu) + 0.5) * 2.3283064365386963e-10);
}

// ln u for u in (0, 1], within 3 f32 ulps, as sd_log_unit of philox.wgsl
// (u = m 2^e with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh(t),
// t = (m - 1)/(m + 1), |t| < 0.1716, by its odd series to t^9), one rounded
// operation after another (sd_exact), so the twin's op-by-op f32 gives the
// same bits. (The division is taken as correctly rounded, as the twin's:
// no correction step, which would need an exact fma.)
fn sd_ssa_log_unit(u: f32) -> f32 {
  let bits = bitcast<u32>(u);
  var e = i32((bits >> 23u) & 0xffu) - 127;
  var m = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);
  if (m > 1.4142135) {
    m = m * 0.5; // exact
    e = e + 1;
  }
  // (a quotient, and sums with one opaque operand, leave nothing to fuse or
  // reassociate: only products that feed a sum, and t2, need sd_exact)
  let t = (m - 1.0) / (m + 1.0);
  let t2 = sd_exact(t * t);
  var s = 0.2857142857142857 + sd_exact(t2 * 0.2222222222222222);
  s = 0.4 + sd_exact(t2 * s);
  s = 0.6666666666666666 + sd_exact(t2 * s);
  s = 2.0 + sd_exact(t2 * s);
  return sd_exact(t * s) + sd_exact(f32(e) * 0.6931471805599453);
}

fn sd_add64_wg(i: u32, lo: u32, hi: u32) {
  let old = atomicAdd(&wsum[i], lo);
  let carry = select(0u, 1u, old + lo < old);
  if (hi + carry != 0u) { atomicAdd(&wsum[i + 1u], hi + carry); }
}

fn sd_add64_global(i: u32, lo: u32, hi: u32) {
  let old = atomicAdd(&sums[i], lo);
  let carry = select(0u, 1u, old + lo < old);
  if (hi + carry != 0u) { atomicAdd(&sums[i + 1u], hi + carry); }
}

// count v of species i at save time s: its moments, and the count itself when recorded
fn sd_cell(path: u32, s: u32, i: u32, v: i32) {
  let u = u32(v);
  let c = (s * SD_NS + i) * 4u;
  if (p.n_cells <= SD_WG_CELLS) {
    sd_add64_wg(c, u, 0u);
    sd_add64_wg(c + 2u, u * u, sd_mulhi(u, u));
  } else {
    sd_add64_global(batch_base + c, u, 0u);
    sd_add64_global(batch_base + c + 2u, u * u, sd_mulhi(u, u));
  }
  if (p.record != 0u) { counts[(path * p.n_save + s) * SD_NS + i] = v; }
}

// count v of the histogram species at save time s
fn sd_hist(s: u32, v: i32) {
  let d = v - p.hist_lo;
  var b = 0u; // underflow
  if (d >= 0) { b = min(u32(d) / p.hist_width, p.hist_bins) + 1u; }
  atomicAdd(&hist[s * (p.hist_bins + 2u) + b], 1u);
}

{{PROPENSITIES}}

// Why the loop is written out per network: llvmpipe runs 8 invocations as
// the lanes of one SIMD vector, with execution masks, and executes every
// branch, loop body and switch case any lane might take, masked, whether or
// not a lane takes it. Indexing a private array by a per-lane value (x[i],
// a[pick]) becomes a gather or scatter through memory, and a switch on the
// picked reaction runs every case. So the generator gives each count and propensity its own variable
// (x0, x1, ..., a_0, a_1, ...), sums and selects with straight-line selects,
// applies the picked reaction's change as select chains, and recomputes the
// propensities unconditionally: a propensity whose inputs did not change
// comes out as the same f32, so the draws and results are those of the CPU
// twin. Propensities that depend on the picked reaction in a way that
// recomputing could change (custom ones outside the dependency list) are
// guarded by a select on the picked reaction instead.
fn sd_simulate(path: u32) {
  let pid = p.path_lo + path;
  let key = vec2<u32>(p.seed, p.stream);
  let purpose = p.purpose;
  let t_end = p.t_end;
  let n_save = p.n_save;
  let max_steps = p.max_steps;
  let budget = p.budget;
  let sw = path * SD_SW;
  var t: f32 = 0.0;
  var si = 0u;
  var m = 0u;
  var phase = 0u;
{{STATE}}
  let si0 = si;
  let m0 = m; // <= max_steps (below it unless stopped there with records left)
  // the next save time in a register (SD_F32_MAX, never below a finite t, once all are done)
  var next_save = select(SD_F32_MAX, save_times[min(si, n_save - 1u)], si < n_save);
  // a path parks (or stops, at max_steps) at the top of firing m_stop; records lower it
  var m_stop = m0 + min(budget, max_steps - m0);
  var t_next: f32 = 0.0; // the time of a firing that waits for records
  var stop = (phase & 3u) != 0u;
  // m + 1 once stopped for a reason (the compiler cannot fold it, unlike stop)
  var ended = select(0u, 1u, stop);
  var absorbed = (phase & 8u) != 0u;
  var over = (phase & 4u) != 0u;
  var stalled = (phase & 32u) != 0u;
  var capped = false;
  if (!stop) {
    loop {
      // The hot loop: two firings per Philox block, and nothing else. Records
      // and atomics stay outside, since llvmpipe executes a block whose lanes
      // are all masked off anyway; so does a branch on m being even, which is
      // why the loop is unrolled by two rather than drawing a block every
      // other firing.
      loop {
        let w = sd_philox(vec4<u32>(pid, m >> 1u, purpose, 0u), key);
        // m is odd only on coming back from a record or on resuming: then the
        // block's second pair
        let odd = (m & 1u) != 0u;
        var wu1 = select(w.x, w.z, odd);
        var wu2 = select(w.y, w.w, odd);
        // {{FIRING-BEGIN}}
        {
{{A0}}
          let u1 = sd_ssa_uniform(wu1);
          let u2 = sd_ssa_uniform(wu2);
          let e1 = -sd_ssa_log_unit(u1);
          let tau = sd_exact(e1 / a0);
          let t_new = sd_exact(t + tau);
          // One masked exit for every way out, since each costs mask updates:
          // a bad or overflowing propensity, no reaction left (absorbed), past
          // t_end, a clock that stopped (a wait of at least its mean left t
          // unchanged), too many steps or the dispatch's budget spent
          // (checked first: the firing is redone on resuming); or a save time
          // first - then record and redo this firing (same draws). The draws
          // above are wasted on the way out.
          let cap_now = m >= m_stop;
          let huge = a0 > 3.0e38;
          let halt = t_new == t && e1 >= 1.0;
          let done = cap_now || bad || !(a0 > 0.0) || huge || t_new > t_end || halt;
          if (done || next_save < t_new) {
            stop = done;
            capped = cap_now;
            bad = bad || (!cap_now && huge);
            absorbed = !cap_now && !bad && !(a0 > 0.0);
            stalled = !cap_now && !bad && !absorbed && halt && !(t_new > t_end);
            ended = select(0u, m + 1u, done);
            t_next = t_new;
            break;
          }
          // the first reaction whose cumulative propensity exceeds u2 * a0,
          // skipping zeros; the last positive one if rounding leaves none
          let goal = u2 * a0; // (compared only)
          var acc: f32 = 0.0;
          var pick = SD_NR;
          var last = 0u;
{{SELECT}}
          pick = select(pick, last, pick == SD_NR);
{{FIRE}}
          t = t_new;
          m = m + 1u;
        }
        // {{FIRING-END}}
        if (!odd) {
          wu1 = w.z;
          wu2 = w.w;
          {{FIRING}}
        }
      }
      if (stop) { break; }
      while (next_save < t_next && 4u * (si - si0) < budget) {
        sd_record(path, si, {{XARGS}});
        si = si + 1u;
        next_save = select(SD_F32_MAX, save_times[min(si, n_save - 1u)], si < n_save);
      }
      // what the records left of the budget (none: park at this firing)
      let used = 4u * (si - si0);
      m_stop = m0 + min(select(0u, budget - used, used < budget), max_steps - m0);
    }
  }
  // Leaving the loops without a reason means llvmpipe's loop limiter cut
  // them (see the top: the budget keeps a group of 8 lanes well under it,
  // unless the lanes' firings between save times differ wildly), and the cut
  // path's results are wrong. (Testing !stop here would not do: the compiler
  // knows the loop is left only with stop set.)
  if (ended == 0u) {
    atomicAdd(&status[3], 1u);
    atomicMin(&status[2], pid);
  }
  // capped short of max_steps: the budget is spent, park the path
  let parked = capped && m < max_steps;
  over = over || (capped && m >= max_steps);
  while (!parked && si < n_save && 4u * (si - si0) < budget) {
    sd_record(path, si, {{XARGS}});
    si = si + 1u;
  }
  if (parked || si < n_save) {
    let flags = select(0u, 4u, over) | select(0u, 8u, absorbed) | select(0u, 16u, bad) |
      select(0u, 32u, stalled);
    state[sw] = select(1u | flags, 0u, parked);
    state[sw + 1u] = bitcast<u32>(t);
    state[sw + 2u] = m;
    state[sw + 3u] = si;
{{SAVE}}
    return;
  }
  state[sw] = 2u;
  atomicAdd(&status[p.status_word], 1u);
  if (over) {
    atomicAdd(&status[0], 1u);
    atomicMin(&status[2], pid);
  }
  if (bad) {
    atomicAdd(&status[1], 1u);
    atomicMin(&status[2], pid);
  }
  if (stalled) {
    atomicAdd(&status[4], 1u);
    atomicMin(&status[2], pid);
  }
  sd_add64_wg(SD_WG_CELLS * 4u, m, 0u);
  sd_add64_wg(SD_WG_CELLS * 4u + 2u, m * m, sd_mulhi(m, m));
  if (absorbed) { atomicAdd(&wsum[SD_WG_CELLS * 4u + 4u], 1u); }
}

@compute @workgroup_size(64)
fn main(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let group = wid.y * nwg.x + wid.x;
  let path = group * 64u + lid;
  let batch = ((p.wg_base + group) % SD_BATCHES) * p.n_cells * 4u;
  batch_base = batch;
  if (path < p.n) { sd_simulate(path); }
  workgroupBarrier();
  let wg_cells = select(0u, p.n_cells, p.n_cells <= SD_WG_CELLS);
  for (var c = lid; c < wg_cells * 2u; c = c + 64u) {
    let lo = atomicLoad(&wsum[2u * c]);
    let hi = atomicLoad(&wsum[2u * c + 1u]);
    if (lo != 0u || hi != 0u) { sd_add64_global(batch + 2u * c, lo, hi); }
  }
  if (lid == 0u) {
    let w4 = SD_WG_CELLS * 4u;
    let tail = SD_BATCHES * p.n_cells * 4u;
    sd_add64_global(tail, atomicLoad(&wsum[w4]), atomicLoad(&wsum[w4 + 1u]));
    sd_add64_global(tail + 2u, atomicLoad(&wsum[w4 + 2u]), atomicLoad(&wsum[w4 + 3u]));
    atomicAdd(&sums[tail + 4u], atomicLoad(&wsum[w4 + 4u]));
  }
}
