// The invariance checks of the row-batched guidance tests (DDS, RED-diff,
// MCG, RePaint): the same bits whatever the batch split or shard, and one
// request run on the cpu backend (f64) and on webgpu (f32), skipped where no
// adapter is found.

import assert from "node:assert/strict";
import { CpuBackend } from "../../../kernels/mod.ts";
import type {
  GuidanceMethod,
  GuidanceRequest,
  GuidanceResult,
} from "../../../solvers/guidance/method.ts";
import { gpuBackend, maxAbsDiff } from "../../_gpu.ts";

/** A guidance request without its backend. */
export type RequestOffBackend<O> = Omit<GuidanceRequest<O>, "backend">;

/** `request` run on cpu and on webgpu; undefined without a webgpu adapter. */
export async function cpuAndGpuRuns<O>(
  method: GuidanceMethod<O>,
  request: RequestOffBackend<O>,
): Promise<{ cpu: GuidanceResult; gpu: GuidanceResult } | undefined> {
  const gpu = await gpuBackend();
  if (!gpu) return undefined;
  const a = await method.run({ ...request, backend: new CpuBackend() } as GuidanceRequest<O>);
  const b = await method.run({ ...request, backend: gpu } as GuidanceRequest<O>);
  return { cpu: a, gpu: b };
}

/** Asserts that the cpu and webgpu samples of `request` differ by less than `tol` everywhere. */
export async function assertCpuGpuAgree<O>(
  method: GuidanceMethod<O>,
  request: RequestOffBackend<O>,
  tol = 2e-3,
): Promise<void> {
  const runs = await cpuAndGpuRuns(method, request);
  if (!runs) return;
  const diff = maxAbsDiff(runs.cpu.samples, runs.gpu.samples);
  assert.ok(diff < tol, `max diff ${diff}`);
}

/**
 * Asserts that `request` run on `samples` rows gives the same bits in
 * batches of `batch` rows and, with `shardFrom`, as a shard of the rows
 * from `shardFrom` on (pathOffset).
 *
 * @returns the whole run
 */
export async function assertSplitInvariant<O>(
  method: GuidanceMethod<O>,
  request: Omit<GuidanceRequest<O>, "samples">,
  split: { samples: number; batch: number; shardFrom?: number },
): Promise<GuidanceResult> {
  const { samples, batch, shardFrom } = split;
  const whole = await method.run({ ...request, samples } as GuidanceRequest<O>);
  const parts = await method.run({ ...request, samples, batch } as GuidanceRequest<O>);
  assert.deepEqual([...parts.samples], [...whole.samples]);
  if (shardFrom !== undefined) {
    const d = whole.samples.length / samples;
    const shard = await method.run(
      { ...request, samples: samples - shardFrom, pathOffset: shardFrom } as GuidanceRequest<O>,
    );
    assert.deepEqual([...shard.samples], [...whole.samples.subarray(shardFrom * d)]);
  }
  return whole;
}
