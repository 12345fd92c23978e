// Shared by the elementwise kernels: 256 threads a workgroup, and a 2-D grid
// when one dimension's 65535 workgroups are not enough.
fn sd_thread(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.y * (nwg.x * 256u) + gid.x;
}
