// Gillespie's direct method (J. Phys. Chem. 81, 2340, 1977), one trajectory
// per invocation, for a reaction network compiled into this template by
// ssa_ensemble.ts, which fills the double-braced placeholders: the numbers of
// species and reactions, the propensity functions sd_prop_<j>() -> f32, their
// initialisation, and one case per reaction that applies the net change and
// recomputes the dependent propensities. Rate constants, the
// initial state, save times and every count come from buffers and uniforms.
//
// Randomness: step m of path (path_lo + i) uses words 2(m mod 2), 2(m mod 2)+1
// of the Philox block with counter (path, m / 2, purpose, 0) (Salmon et al.,
// SC'11) - the same draws as the CPU twin and as ssaDirect.
//
// f32 arithmetic the CPU twin reproduces op by op: propensities
// (constant x falling factorials, left to right), their sum (in reaction
// order), u2 * a0, the cumulative sum for the selection, tau = -ln(u1) / a0
// with sd_log_unit, and t + tau. Counts are exact i32.
//
// Moments: at each save time a path adds its count x and x^2 as 64-bit
// integers (u32 pairs with carry) to workgroup memory; at the end the
// workgroup adds its totals to batch (workgroup_index mod 64) of the global
// sums, so the host finishes exact integer sums in f64, and the 64 batches
// give batch-means standard errors. Workgroup memory holds 64 cells (save
// times x species): llvmpipe's compile time grows quadratically with the
// size of a workgroup array (83 s at 16 KB); with more cells the paths add
// straight into their batch of the global sums (same integers).

struct Params {
  n: u32, path_lo: u32, seed: u32, stream: u32,
  purpose: u32, n_save: u32, max_steps: u32, record: u32,
  t_end: f32, hist_species: u32, hist_lo: i32, hist_width: u32,
  hist_bins: u32, hist_on: u32, wg_base: u32, n_cells: u32,
}

@group(0) @binding(0) var<storage, read> rates: array<f32>;
@group(0) @binding(1) var<storage, read> save_times: array<f32>;
@group(0) @binding(2) var<storage, read> init: array<i32>;
@group(0) @binding(3) var<storage, read_write> counts: array<i32>;
// [64 batches][n_cells][sum lo, sum hi, sq lo, sq hi], then steps lo, hi, steps^2 lo, hi, absorbed
@group(0) @binding(4) var<storage, read_write> sums: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> hist: array<atomic<u32>>;
// [paths over max_steps, paths with a bad propensity, first bad path]
@group(0) @binding(6) var<storage, read_write> status: array<atomic<u32>>;
@group(0) @binding(7) var<uniform> p: Params;

const SD_NS: u32 = {{NS}}u;
const SD_NR: u32 = {{NR}}u;
const SD_WG_CELLS: u32 = 64u;
const SD_BATCHES: u32 = 64u;

var<private> x: array<i32, SD_NS>;
var<private> a: array<f32, SD_NR>;
var<private> bad: bool;
var<workgroup> wsum: array<atomic<u32>, 261>; // 64 cells x 4, steps lo/hi, steps^2 lo/hi, absorbed
var<private> batch_base: u32;

// x as f32, for custom propensities written against array<f32, NS>
fn sd_xf() -> array<f32, SD_NS> {
  var xf: array<f32, SD_NS>;
  for (var i = 0u; i < SD_NS; i = i + 1u) { xf[i] = f32(x[i]); }
  return xf;
}

// x (x - 1) ... (x - o + 1) in f32, left to right (0 when x < o)
fn sd_falling(v: i32, o: i32) -> f32 {
  var f = f32(v);
  for (var m = 1; m < o; m = m + 1) { f = f * f32(v - m); }
  return f;
}

fn sd_set(j: u32, v: f32) {
  // a propensity must be finite and >= 0
  if (!(v >= 0.0) || v > 3.0e38) { bad = true; }
  a[j] = v;
}

{{PROPENSITIES}}

fn sd_init_all() {
{{INIT}}
}

fn sd_fire(j: u32) {
  switch j {
{{FIRE}}
    default: {}
  }
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

fn sd_record(path: u32, s: u32) {
  for (var i = 0u; i < SD_NS; i = i + 1u) {
    let v = u32(x[i]);
    let c = (s * SD_NS + i) * 4u;
    if (p.n_cells <= SD_WG_CELLS) {
      sd_add64_wg(c, v, 0u);
      sd_add64_wg(c + 2u, v * v, sd_mulhi(v, v));
    } else {
      sd_add64_global(batch_base + c, v, 0u);
      sd_add64_global(batch_base + c + 2u, v * v, sd_mulhi(v, v));
    }
    if (p.record != 0u) { counts[(path * p.n_save + s) * SD_NS + i] = x[i]; }
  }
  if (p.hist_on != 0u) {
    let d = x[p.hist_species] - p.hist_lo;
    var b = 0u; // underflow
    if (d >= 0) { b = min(u32(d) / p.hist_width, p.hist_bins) + 1u; }
    atomicAdd(&hist[s * (p.hist_bins + 2u) + b], 1u);
  }
}

fn sd_simulate(path: u32) {
  let pid = p.path_lo + path;
  for (var i = 0u; i < SD_NS; i = i + 1u) { x[i] = init[i]; }
  bad = false;
  sd_init_all();
  var t: f32 = 0.0;
  var si = 0u;
  var m = 0u;
  var w = vec4<u32>(0u);
  var absorbed = false;
  loop {
    var a0: f32 = 0.0;
    for (var j = 0u; j < SD_NR; j = j + 1u) { a0 = a0 + a[j]; }
    if (bad || a0 > 3.0e38) { break; }
    if (!(a0 > 0.0)) { absorbed = true; break; }
    let lane = (m & 1u) << 1u;
    if (lane == 0u) {
      w = sd_philox(vec4<u32>(pid, m >> 1u, p.purpose, 0u), vec2<u32>(p.seed, p.stream));
    }
    let u1 = sd_uniform(w[lane]);
    let u2 = sd_uniform(w[lane + 1u]);
    let tau = -sd_log_unit(u1) / a0;
    let t_new = t + tau;
    if (t_new > p.t_end) { break; }
    while (si < p.n_save && save_times[si] < t_new) {
      sd_record(path, si);
      si = si + 1u;
    }
    let goal = u2 * a0;
    var acc: f32 = 0.0;
    var pick = SD_NR;
    var last = 0u;
    for (var j = 0u; j < SD_NR; j = j + 1u) {
      let aj = a[j];
      if (aj > 0.0) {
        acc = acc + aj;
        last = j;
        if (acc > goal) { pick = j; break; }
      }
    }
    if (pick == SD_NR) { pick = last; }
    sd_fire(pick);
    t = t_new;
    m = m + 1u;
    if (m >= p.max_steps) {
      atomicAdd(&status[0], 1u);
      atomicMin(&status[2], pid);
      break;
    }
  }
  if (bad) {
    atomicAdd(&status[1], 1u);
    atomicMin(&status[2], pid);
  }
  while (si < p.n_save) {
    sd_record(path, si);
    si = si + 1u;
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
