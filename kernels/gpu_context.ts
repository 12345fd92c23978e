/**
 * The WebGPU plumbing every kernel launcher shares: the device with explicit
 * limits, a per-device pipeline cache, a buffer pool, batched command
 * encoding, and shader compilation that reports WGSL errors with their line.
 *
 * Launchers (`lincomb.ts`, `random.ts`, …) use a {@linkcode GpuContext}; user
 * code normally meets it only through the webgpu {@linkcode Backend}.
 *
 * @module
 */

import { DeviceLostError, SdenoParseError, SdenoRangeError } from "./errors.ts";

/** Threads per workgroup of the elementwise kernels. */
export const WORKGROUP_SIZE = 256;

const pipelineCaches = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/** Joins WGSL pieces (Philox, helpers, a kernel) into one module source. */
export function joinWgsl(...parts: string[]): string {
  return parts.join("\n");
}

/** How a kernel binds a buffer: read-write storage, read-only storage, or uniform. */
export type BindingKind = "storage" | "read" | "uniform";

/** Options for {@linkcode requestGpuContext}. */
export interface GpuContextOptions {
  /** Adapter power preference. */
  powerPreference?: GPUPowerPreference;
}

/**
 * Asks for an adapter and a device with the adapter's full buffer limits
 * (a default device caps storage bindings at 128 MiB and buffers at 256 MiB
 * even when the adapter offers more). Returns `undefined` when WebGPU or an
 * adapter is missing.
 *
 * @param options adapter preferences
 * @returns the context, or undefined when no adapter exists
 *
 * @example
 * ```ts
 * import { requestGpuContext } from "./gpu_context.ts";
 * const ctx = await requestGpuContext();
 * if (ctx) ctx.destroy();
 * ```
 */
export async function requestGpuContext(
  options: GpuContextOptions = {},
): Promise<GpuContext | undefined> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return undefined;
  const adapter = await gpu.requestAdapter(
    options.powerPreference ? { powerPreference: options.powerPreference } : {},
  );
  if (!adapter) return undefined;
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
    },
  });
  return new GpuContext(device, adapter.info?.description ?? "");
}

/**
 * A device with its caches. Commands are encoded into one open encoder and
 * submitted on {@linkcode GpuContext.flush} (reads flush first), so a solver
 * step of many small kernels costs one submit.
 */
export class GpuContext {
  /** The device. */
  readonly device: GPUDevice;
  /** The adapter's description (e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"). */
  readonly description: string;
  /** Set once the device is lost; every later call throws {@linkcode DeviceLostError}. */
  lostReason: string | undefined;
  #destroying = false;
  #encoder: GPUCommandEncoder | undefined;
  #pool = new Map<string, GPUBuffer[]>();
  #afterSubmit: Array<() => void> = [];
  #dummy: GPUBuffer | undefined;

  /**
   * Creates the instance.
   *
   * @param device the device
   * @param description the adapter's description
   */
  constructor(device: GPUDevice, description: string) {
    this.device = device;
    this.description = description;
    device.lost.then((info) => {
      if (!this.#destroying) this.lostReason = `${info.reason}: ${info.message}`;
    });
  }

  /** Throws {@linkcode DeviceLostError} when the device is gone. */
  checkAlive(what: string): void {
    if (this.lostReason !== undefined || this.#destroying) {
      throw new DeviceLostError(
        `${what}: the WebGPU device was lost (${this.lostReason ?? "destroyed"})`,
      );
    }
  }

  /**
   * Whether the device is gone, waiting one macrotask for a pending `lost`
   * notification (an operation can fail before `device.lost` resolves).
   */
  async confirmLost(): Promise<boolean> {
    if (this.lostReason !== undefined || this.#destroying) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.device.lost,
      new Promise((resolve) => timer = setTimeout(resolve, 0)),
    ]);
    clearTimeout(timer);
    return this.lostReason !== undefined;
  }

  /** The largest storage binding, in bytes. */
  get maxBindingBytes(): number {
    return this.device.limits.maxStorageBufferBindingSize;
  }

  /**
   * A compute pipeline for `source` with entry point `main`, compiled once per
   * device and `name`. `bindings` lists the kinds of bindings 0… (the last is
   * usually the uniform block); the layout is explicit, so a binding a
   * variant leaves unused still binds. A WGSL error becomes an
   * {@linkcode SdenoParseError} with the compiler's message, line and column,
   * and the offending source line.
   */
  async pipeline(
    name: string,
    source: string,
    bindings: readonly BindingKind[],
  ): Promise<GPUComputePipeline> {
    let cache = pipelineCaches.get(this.device);
    if (!cache) pipelineCaches.set(this.device, cache = new Map());
    const hit = cache.get(name);
    if (hit) return hit;
    this.checkAlive(`Cannot compile kernel "${name}"`);
    const device = this.device;
    device.pushErrorScope("validation");
    const module = device.createShaderModule({ label: name, code: source });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === "error");
    const scopeError = await device.popErrorScope();
    if (errors.length > 0 || scopeError) {
      if (await this.confirmLost()) this.checkAlive(`Cannot compile kernel "${name}"`);
      const first = errors[0];
      const lines = source.split("\n");
      const where = first ? ` at line ${first.lineNum}, column ${first.linePos}` : "";
      const text = first ? first.message : scopeError?.message ?? "unknown error";
      const line = first && first.lineNum > 0 ? lines[first.lineNum - 1] ?? "" : "";
      const shown = line && !text.includes(line.trim()) ? `\n  ${first?.lineNum} | ${line}` : "";
      throw new SdenoParseError(
        `Cannot compile WGSL kernel "${name}"${where}: ${text}${shown}`,
        first ? { line: first.lineNum, column: first.linePos } : {},
      );
    }
    const layout = device.createBindGroupLayout({
      label: name,
      entries: bindings.map((kind, binding) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: {
          type: kind === "uniform" ? "uniform" : kind === "read" ? "read-only-storage" : "storage",
        },
      })),
    });
    device.pushErrorScope("validation");
    const pipeline = device.createComputePipeline({
      label: name,
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: "main" },
    });
    const pipeError = await device.popErrorScope();
    if (pipeError) {
      if (await this.confirmLost()) this.checkAlive(`Cannot build pipeline "${name}"`);
      throw new SdenoParseError(`Cannot build pipeline "${name}": ${pipeError.message}`);
    }
    cache.set(name, pipeline);
    return pipeline;
  }

  /** A storage buffer of `bytes` bytes from the pool (contents undefined). */
  acquire(bytes: number): GPUBuffer {
    this.checkAlive("Cannot allocate a GPU buffer");
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    if (size > this.device.limits.maxBufferSize) {
      throw new SdenoRangeError(
        `Cannot allocate a GPU buffer: ${size} bytes exceeds the device's maxBufferSize "${this.device.limits.maxBufferSize}"`,
      );
    }
    const free = this.#pool.get(`s${size}`);
    const reused = free?.pop();
    if (reused) return reused;
    return this.device.createBuffer({
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
  }

  /**
   * Returns a storage buffer to the pool. Safe at any time: commands already
   * encoded keep their order, and uploads flush pending work first.
   */
  recycle(buffer: GPUBuffer): void {
    const key = `s${buffer.size}`;
    let list = this.#pool.get(key);
    if (!list) this.#pool.set(key, list = []);
    list.push(buffer);
  }

  /** A 16-byte buffer to bind where a kernel variant leaves a slot unused. */
  get dummy(): GPUBuffer {
    return this.#dummy ??= this.device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
  }

  /** Writes host data into a buffer, after all encoded work is submitted. */
  write(buffer: GPUBuffer, offset: number, data: ArrayBufferView<ArrayBuffer>): void {
    this.checkAlive("Cannot upload to the GPU");
    if (data.byteLength === 0) return; // (Deno 2.9 panics on empty writes)
    this.flush();
    this.device.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /**
   * Encodes one dispatch of `pipeline` over `groups` workgroups with the
   * given storage buffers at bindings 0… and the uniform words at the last
   * binding. Large counts become a 2-D grid (see `sd_index` in kernels).
   */
  dispatch(
    pipeline: GPUComputePipeline,
    buffers: readonly GPUBuffer[],
    uniforms: ArrayBuffer,
    groups: number | readonly [number, number],
  ): void {
    this.checkAlive("Cannot launch a GPU kernel");
    const device = this.device;
    const ubuf = device.createBuffer({
      size: Math.max(16, Math.ceil(uniforms.byteLength / 16) * 16),
      usage: GPUBufferUsage.UNIFORM,
      mappedAtCreation: true,
    });
    new Uint8Array(ubuf.getMappedRange()).set(new Uint8Array(uniforms));
    ubuf.unmap();
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({
      binding,
      resource: { buffer },
    }));
    entries.push({ binding: buffers.length, resource: { buffer: ubuf } });
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    this.#encoder ??= device.createCommandEncoder();
    const pass = this.#encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    if (typeof groups === "number") {
      const maxX = device.limits.maxComputeWorkgroupsPerDimension;
      const gx = Math.min(groups, maxX);
      pass.dispatchWorkgroups(Math.max(1, gx), Math.max(1, Math.ceil(groups / maxX)));
    } else {
      pass.dispatchWorkgroups(groups[0], groups[1]);
    }
    pass.end();
    this.#afterSubmit.push(() => ubuf.destroy());
  }

  /** Encodes zero-filling a whole buffer. */
  clear(buffer: GPUBuffer): void {
    this.checkAlive("Cannot clear a GPU buffer");
    this.#encoder ??= this.device.createCommandEncoder();
    this.#encoder.clearBuffer(buffer);
  }

  /** Encodes a buffer-to-buffer copy. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.checkAlive("Cannot copy on the GPU");
    this.#encoder ??= this.device.createCommandEncoder();
    this.#encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Submits the encoded work. */
  flush(): void {
    if (!this.#encoder) return;
    this.checkAlive("Cannot submit GPU work");
    this.device.queue.submit([this.#encoder.finish()]);
    this.#encoder = undefined;
    const after = this.#afterSubmit;
    this.#afterSubmit = [];
    for (const f of after) f();
  }

  /** Reads `bytes` bytes of `buffer` back to the host. */
  async read(buffer: GPUBuffer, offset: number, bytes: number): Promise<ArrayBuffer> {
    this.checkAlive("Cannot download from the GPU");
    const staging = this.device.createBuffer({
      size: Math.max(16, Math.ceil(bytes / 16) * 16),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.copy(buffer, offset, staging, 0, Math.ceil(bytes / 4) * 4);
    this.flush();
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (cause) {
      if (await this.confirmLost()) this.checkAlive("Cannot download from the GPU");
      throw cause;
    }
    this.checkAlive("Cannot download from the GPU");
    const out = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    staging.destroy();
    return out;
  }

  /** Waits until every submitted command has finished. */
  async finish(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.checkAlive("Cannot finish GPU work");
  }

  /** Releases the pool and the device. */
  destroy(): void {
    this.#destroying = true;
    for (const list of this.#pool.values()) for (const b of list) b.destroy();
    this.#pool.clear();
    this.device.destroy();
  }
}
