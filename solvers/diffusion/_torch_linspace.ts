// torch.linspace as torch computes it (private), so that k-diffusion's grids are reproduced to
// the last bit.

/** torch.linspace(start, end, n): the first half stepped from `start`, the second from `end`. */
export function torchLinspace(start: number, end: number, n: number): number[] {
  if (n === 1) return [start];
  const step = (end - start) / (n - 1);
  const half = Math.floor(n / 2);
  return Array.from(
    { length: n },
    (_, i) => i < half ? start + step * i : end - step * (n - 1 - i),
  );
}
