// SDE ensemble template: SD_G consecutive paths per invocation, their states
// in registers across every step of one dispatch (steps step_begin ..
// step_end of the grid t0 + j*dt), then streaming statistics at the
// dispatch's end (a save time). sde_ensemble.ts fills the named placeholders
// by plain string replacement: DIM, NOISE_DIM, STREAMS (1: the step takes dW;
// 2: dW and dZ), MODEL (the user's helpers, sde_drift, sde_diffusion and
// sde_milstein) and STEP (the integrator's sd_step, generated from a solver's
// tableau or declared by the solver), GROUP (SD_G) and the GROUP_* blocks,
// the per-path code unrolled over the group. Counts, dt, times, keys and bins
// are uniforms.
//
// Noise of path i (global index) at grid step j, component k: the Philox
// normals of flat element e = i*m + k (block e/4, lane e mod 4) at step j in
// two streams, xi (purpose 0x5de0) and eta (0x5de2), exactly as fillNormal
// numbers elements: dW_k = sqrt(dt) xi_k and, with two streams,
// dZ_k = dt^{3/2} (xi_k / 2 + eta_k / (2 sqrt 3)): brownian_grid.ts exactly.
// An invocation takes SD_G = 4 / gcd(m, 4) paths, so that its SD_G*m elements
// fill whole Philox blocks: each block's four normals (two Box-Muller pairs)
// are all used. With one path per invocation and m = 1, a Philox call and a
// Box-Muller pair served one normal, and Box-Muller was ~60% of the run on
// llvmpipe, Philox ~30% (issue 12, item 3).

const SD_D: u32 = {{DIM}}u;
const SD_M: u32 = {{NOISE_DIM}}u;
const SD_STREAMS: u32 = {{STREAMS}}u;
const SD_G: u32 = {{GROUP}}u;
const SD_GM: u32 = SD_G * SD_M;
alias SdState = array<f32, SD_D>;
alias SdNoise = array<f32, SD_M>;
// statistics per path: sums of y, y_a y_b (a <= b), y^3, y^4 with y = x - shift
const SD_NPAIR: u32 = SD_D * (SD_D + 1u) / 2u;
const SD_NSTAT: u32 = 3u * SD_D + SD_NPAIR;
const SD_WG: u32 = 64u;
const SD_XI: u32 = 0x5de0u;
const SD_ETA: u32 = 0x5de2u;

// The normal of flat element e at step j in stream `purpose`: lane e mod 4 of the Philox block
// e / 4 (only the Box-Muller pair holding the lane is evaluated). Used where a group's first
// element is not a block's first (a shard's path offset not a multiple of SD_G); otherwise the
// generated code draws whole blocks with sd_normal4 and uses all four normals.
fn sd_elem_normal(e: u32, j: u32, purpose: u32, key: vec2<u32>) -> f32 {
  let w = sd_philox(vec4<u32>(e >> 2u, j, purpose, 0u), key);
  let ab = select(w.xy, w.zw, (e & 2u) != 0u);
  let v = sd_box_muller(ab.x, ab.y);
  return select(v.x, v.y, (e & 1u) != 0u);
}

struct Params {
  n: u32,            // paths in this chunk
  path_offset: u32,  // global index of the chunk's first path
  step_begin: u32,   // first grid step of this dispatch
  step_end: u32,     // one past the last
  seed: u32,
  stream: u32,
  save: u32,         // save slot written by this dispatch
  bins: u32,         // histogram bins per component (0: no histogram)
  keep: u32,         // paths whose states are kept at every save
  stats: u32,        // 1: write statistics at the end
  groups: u32,       // workgroups in the dispatch
  _p0: u32,
  t0: f32,
  dt: f32,
  sqrt_dt: f32,
  _p1: f32,
}

@group(0) @binding(0) var<storage, read_write> state: array<f32>;
@group(0) @binding(1) var<storage, read_write> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> hist: array<atomic<u32>>;
// shift (d values), then per save: lower (d), upper (d) of the histogram
@group(0) @binding(3) var<storage, read> aux: array<f32>;
@group(0) @binding(4) var<storage, read_write> bad: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> kept: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

var<workgroup> red: array<f32, SD_WG>;

{{MODEL}}

fn sd_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

// The integrator: fn sd_step(t: f32, h: f32, x: SdState, dw: SdNoise, dz: SdNoise) -> SdState
{{STEP}}

// Helpers of the generated group code: chunk-relative path q (q >= p.n: a dead slot of the last
// group, never read or written).
fn sd_load(q: u32) -> SdState {
  var x: SdState;
  if (q < p.n) {
    for (var i = 0u; i < SD_D; i = i + 1u) { x[i] = state[q * SD_D + i]; }
  }
  return x;
}

fn sd_store(q: u32, x: SdState) {
  if (q >= p.n) { return; }
  for (var i = 0u; i < SD_D; i = i + 1u) { state[q * SD_D + i] = x[i]; }
  if (q < p.keep) {
    for (var i = 0u; i < SD_D; i = i + 1u) { kept[(p.save * p.keep + q) * SD_D + i] = x[i]; }
  }
}

fn sd_all_finite(x: SdState) -> bool {
  var finite = true;
  for (var i = 0u; i < SD_D; i = i + 1u) { finite = finite && sd_finite(x[i]); }
  return finite;
}

// adds the statistics of one live path's state to st
fn sd_stats_add(st: ptr<function, array<f32, SD_NSTAT>>, x: SdState, on: bool) {
  var y: SdState;
  for (var i = 0u; i < SD_D; i = i + 1u) { y[i] = select(0.0, x[i] - aux[i], on); }
  var q = SD_D;
  for (var a = 0u; a < SD_D; a = a + 1u) {
    (*st)[a] = (*st)[a] + y[a];
    (*st)[SD_D + SD_NPAIR + a] = (*st)[SD_D + SD_NPAIR + a] + y[a] * y[a] * y[a];
    (*st)[2u * SD_D + SD_NPAIR + a] = (*st)[2u * SD_D + SD_NPAIR + a] + y[a] * y[a] * y[a] * y[a];
    for (var b = a; b < SD_D; b = b + 1u) {
      (*st)[q] = (*st)[q] + y[a] * y[b];
      q = q + 1u;
    }
  }
}

// histograms with fixed bins: slot 0 below lower, 1..bins inside, bins + 1 at or above upper;
// counted with atomics on the device buffer (a workgroup-shared histogram makes llvmpipe's
// compile take ~20 s)
fn sd_hist_add(x: SdState) {
  let width = p.bins + 2u;
  let base = SD_D + p.save * 2u * SD_D;
  for (var i = 0u; i < SD_D; i = i + 1u) {
    let lo = aux[base + i];
    let hi = aux[base + SD_D + i];
    let u = (x[i] - lo) / (hi - lo) * f32(p.bins);
    var slot = 0u;
    if (u >= f32(p.bins)) {
      slot = p.bins + 1u;
    } else if (u >= 0.0) {
      slot = min(u32(u), p.bins - 1u) + 1u;
    }
    atomicAdd(&hist[(p.save * SD_D + i) * width + slot], 1u);
  }
}

// The group's paths live in separate variables x0 … x{SD_G-1} and its normals in separate
// values, in code that sde_ensemble.ts generates unrolled ({{GROUP_*}}): indexing one private
// array by the path made llvmpipe keep it in memory, 2-4x slower than one path per invocation.
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  // chunk-relative index of the invocation's first path; path g of the group is live when
  // first + g < p.n (a group is live when its first path is)
  let first = (wid.x * SD_WG + lid) * SD_G;
  let live = first < p.n;
{{GROUP_VARS}}
  if (live) {
    let key = vec2<u32>(p.seed, p.stream);
    let e0 = (p.path_offset + first) * SD_M;
    let aligned = (e0 & 3u) == 0u;
    var first_bad = 0xffffffffu;
    var bad_paths = 0u;
    // the step loop twice, for aligned groups (whole Philox blocks) and the others: a branch
    // inside the loop is run on both sides under a mask by llvmpipe; a loop whose lanes are all
    // inactive is left at once
{{GROUP_LOOP}}
    if (bad_paths != 0u) {
      atomicMin(&bad[0], p.path_offset + first + firstTrailingBit(bad_paths));
      atomicMin(&bad[1], first_bad);
    }
{{GROUP_STORE}}
  }
  if (p.stats == 0u) { return; }
  // per-invocation statistics (sums over its live paths), reduced over the workgroup in f32
  var st: array<f32, SD_NSTAT>;
{{GROUP_STATS}}
  for (var s = 0u; s < SD_NSTAT; s = s + 1u) {
    red[lid] = st[s];
    workgroupBarrier();
    for (var w = SD_WG / 2u; w > 0u; w = w / 2u) {
      if (lid < w) { red[lid] = red[lid] + red[lid + w]; }
      workgroupBarrier();
    }
    if (lid == 0u) { partial[(p.save * p.groups + wid.x) * SD_NSTAT + s] = red[0]; }
    workgroupBarrier();
  }
  if (p.bins == 0u) { return; }
{{GROUP_HIST}}
}
