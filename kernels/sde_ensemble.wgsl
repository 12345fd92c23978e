// SDE ensemble template: one path per invocation, the state in private
// arrays across every step of one dispatch (steps step_begin .. step_end of
// the grid t0 + j*dt), then streaming statistics at the dispatch's end (a
// save time). sde_ensemble.ts fills the named placeholders by plain string
// replacement: DIM, NOISE_DIM, STREAMS (1: the step takes dW; 2: dW and dZ),
// MODEL (the user's helpers, sde_drift, sde_diffusion and sde_milstein) and
// STEP (the integrator's sd_step, generated from a solver's tableau or
// declared by the solver). Counts, dt, times, keys and bins are uniforms.
//
// Noise of path i (global index) at grid step j, component k: the Philox
// normals of flat element e = i*m + k (block e/4, lane e mod 4) at step j in
// two streams, xi (purpose 0x5de0) and eta (0x5de2), exactly as fillNormal
// numbers elements: dW_k = sqrt(dt) xi_k and, with two streams,
// dZ_k = dt^{3/2} (xi_k / 2 + eta_k / (2 sqrt 3)): brownian_grid.ts exactly.

const SD_D: u32 = {{DIM}}u;
const SD_M: u32 = {{NOISE_DIM}}u;
const SD_STREAMS: u32 = {{STREAMS}}u;
alias SdState = array<f32, SD_D>;
alias SdNoise = array<f32, SD_M>;
// statistics per path: sums of y, y_a y_b (a <= b), y^3, y^4 with y = x - shift
const SD_NPAIR: u32 = SD_D * (SD_D + 1u) / 2u;
const SD_NSTAT: u32 = 3u * SD_D + SD_NPAIR;
const SD_WG: u32 = 64u;
const SD_XI: u32 = 0x5de0u;
const SD_ETA: u32 = 0x5de2u;

// The m normals of path `path` at step j in stream `purpose`: element e = path*m + k
// is lane e mod 4 of the Philox block e / 4; only the Box-Muller pair holding the lane
// is evaluated (Box-Muller is most of the cost after Philox).
fn sd_grid_normals(path: u32, j: u32, purpose: u32, key: vec2<u32>) -> SdNoise {
  var z: SdNoise;
  let e0 = path * SD_M;
  var blk = e0 >> 2u;
  var w = sd_philox(vec4<u32>(blk, j, purpose, 0u), key);
  for (var k = 0u; k < SD_M; k = k + 1u) {
    let e = e0 + k;
    if ((e >> 2u) != blk) {
      blk = e >> 2u;
      w = sd_philox(vec4<u32>(blk, j, purpose, 0u), key);
    }
    let ab = select(w.xy, w.zw, (e & 2u) != 0u);
    let v = sd_box_muller(ab.x, ab.y);
    z[k] = select(v.x, v.y, (e & 1u) != 0u);
  }
  return z;
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

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let local = wid.x * SD_WG + lid;
  let live = local < p.n;
  var x: SdState;
  if (live) {
    for (var i = 0u; i < SD_D; i = i + 1u) { x[i] = state[local * SD_D + i]; }
    let path = p.path_offset + local;
    let key = vec2<u32>(p.seed, p.stream);
    var first_bad = 0xffffffffu;
    for (var j = p.step_begin; j < p.step_end; j = j + 1u) {
      let xi = sd_grid_normals(path, j, SD_XI, key);
      var dw: SdNoise;
      var dz: SdNoise;
      let h = p.dt;
      if (SD_STREAMS == 2u) {
        let eta = sd_grid_normals(path, j, SD_ETA, key);
        for (var k = 0u; k < SD_M; k = k + 1u) {
          dz[k] = h * p.sqrt_dt * (0.5 * xi[k] + 0.28867513459481287 * eta[k]);
        }
      }
      for (var k = 0u; k < SD_M; k = k + 1u) { dw[k] = p.sqrt_dt * xi[k]; }
      let t = p.t0 + f32(j) * h;
      let nx = sd_step(t, h, x, dw, dz);
      // the first non-finite step, without a branch out of the loop: a break makes llvmpipe
      // run the loop masked, ~12% slower (a path that went bad goes on with NaN, unread)
      var nv = nx;
      var finite = true;
      for (var i = 0u; i < SD_D; i = i + 1u) { finite = finite && sd_finite(nv[i]); }
      first_bad = select(first_bad, j, first_bad == 0xffffffffu && !finite);
      x = nx;
    }
    if (first_bad != 0xffffffffu) {
      atomicMin(&bad[0], path);
      atomicMin(&bad[1], first_bad);
    }
    for (var i = 0u; i < SD_D; i = i + 1u) { state[local * SD_D + i] = x[i]; }
    if (local < p.keep) {
      for (var i = 0u; i < SD_D; i = i + 1u) {
        kept[(p.save * p.keep + local) * SD_D + i] = x[i];
      }
    }
  }
  if (p.stats == 0u) { return; }
  // per-path statistics, reduced over the workgroup in f32 (sums over 64 paths)
  var st: array<f32, SD_NSTAT>;
  var y: SdState;
  for (var i = 0u; i < SD_D; i = i + 1u) { y[i] = select(0.0, x[i] - aux[i], live); }
  var q = SD_D;
  for (var a = 0u; a < SD_D; a = a + 1u) {
    st[a] = y[a];
    st[SD_D + SD_NPAIR + a] = y[a] * y[a] * y[a];
    st[2u * SD_D + SD_NPAIR + a] = y[a] * y[a] * y[a] * y[a];
    for (var b = a; b < SD_D; b = b + 1u) {
      st[q] = y[a] * y[b];
      q = q + 1u;
    }
  }
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
  // histograms with fixed bins: slot 0 below lower, 1..bins inside, bins + 1 at or above
  // upper; counted with atomics on the device buffer (a workgroup-shared histogram
  // makes llvmpipe's compile take ~20 s)
  if (live) {
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
}
