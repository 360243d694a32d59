// Execution-provider choice for onnxruntime-node: tries each GPU provider of the platform ALONE (a list like
// ['cuda','cpu'] throws instead of falling back), records why each failed, and ends on CPU unless --device gpu.
// A GPU provider is first probed in a child process: a failing one writes native errors (ORT's provider bridge,
// Dawn's Vulkan loader) straight to file descriptor 2, which no log level silences; there it lands in a pipe.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import { AppError } from '../../../shared/errors.js';

export type DeviceChoice = 'auto' | 'cpu' | 'gpu';

export interface ProviderFallback {
  provider: string;
  reason: string;
}

export interface ProviderSession {
  session: ort.InferenceSession;
  provider: string;
  /** True when the provider came from the GPU list: a failed run then retries smaller tiles, then CPU. */
  fromGpuList: boolean;
  fallbacks: ProviderFallback[];
}

/** GPU providers worth trying, best first. cuda/tensorrt exist only in a cuda12 install of onnxruntime-node. */
export function gpuProvidersFor(platform: NodeJS.Platform = process.platform): string[] {
  switch (platform) {
    case 'win32':
      return ['cuda', 'dml', 'webgpu'];
    case 'darwin':
      return ['coreml', 'webgpu'];
    default:
      return ['cuda', 'webgpu'];
  }
}

export interface SessionOptions {
  device: DeviceChoice;
  /** Intra-op threads for the CPU provider; default: all cores onnxruntime sees. */
  threads?: number;
  /** Overrides the GPU provider list (tests force a provider that cannot work here). */
  gpuProviders?: string[];
  /**
   * Give ORT's CPU buffers back after every run (enableCpuMemArena off): the 3D path's tiles make activations and a
   * classes x patch float32 output of hundreds of MB, which an arena keeps on top of the next run's.
   */
  lowMemory?: boolean;
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return (
    msg
      .split('\n')
      .find((l) => l.trim().length > 0)
      ?.trim()
      .slice(0, 300) ?? 'unknown error'
  );
}

/** ORT's own logger: failures come back as exceptions with their message, so its log lines are noise here. */
const ORT_LOG_FATAL_ONLY = 4;

export async function createSessionFor(modelPath: string, provider: string, threads?: number, lowMemory = false): Promise<ort.InferenceSession> {
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    logSeverityLevel: ORT_LOG_FATAL_ONLY,
  };
  if (lowMemory) opts.enableCpuMemArena = false;
  if (threads !== undefined) {
    opts.intraOpNumThreads = threads;
    opts.interOpNumThreads = 1;
  }
  return ort.InferenceSession.create(modelPath, opts);
}

/** How long a probe may take: a first WebGPU session compiles shaders (seconds on a software Vulkan). */
const PROBE_TIMEOUT_MS = 120_000;

/** Runs in the probe process (CommonJS, `node -e`): create one session on one provider, answer on stdout. */
const PROBE_SCRIPT = `
const [ortPath, modelPath, provider] = process.argv.slice(1);
const ort = require(ortPath);
ort.InferenceSession.create(modelPath, { executionProviders: [provider], logSeverityLevel: 4 }).then(
  async (s) => { process.stdout.write(JSON.stringify({ ok: true })); await s.release(); },
  (e) => { process.stdout.write(JSON.stringify({ ok: false, error: String((e && e.message) || e) })); },
).finally(() => process.exit(0));
`;

const probeCache = new Map<string, Promise<string | null>>();

/**
 * Whether a session on `provider` can be created, tried in a child process whose stderr is captured: null when it
 * works, else the reason (the error's first line). One probe per model and provider per process.
 */
export function probeProvider(modelPath: string, provider: string): Promise<string | null> {
  const key = `${modelPath}\u0000${provider}`;
  let hit = probeCache.get(key);
  if (!hit) {
    hit = new Promise<string | null>((resolve) => {
      const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
      execFile(
        process.execPath,
        ['-e', PROBE_SCRIPT, ortPath, modelPath, provider],
        { timeout: PROBE_TIMEOUT_MS, maxBuffer: 1 << 20 },
        (err, stdout, stderr) => {
          try {
            const answer = JSON.parse(stdout) as { ok: boolean; error?: string };
            resolve(answer.ok ? null : firstLine(answer.error));
          } catch {
            const why = err?.killed
              ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s`
              : firstLine(stripAnsi(stderr) || err?.message || 'the probe process failed');
            resolve(`probe failed: ${why}`);
          }
        },
      );
    });
    probeCache.set(key, hit);
  }
  return hit;
}

function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

/** Creates a session on the first provider that works, per the device choice; the reasons of the others are kept. */
export async function createSessionWithFallback(modelPath: string, opts: SessionOptions, skip: string[] = []): Promise<ProviderSession> {
  const fallbacks: ProviderFallback[] = [];
  const candidates = opts.device === 'cpu' ? [] : (opts.gpuProviders ?? gpuProvidersFor());
  const available = new Map(ort.listSupportedBackends().map((b) => [b.name, b]));
  for (const provider of candidates) {
    if (skip.includes(provider)) continue;
    const backend = available.get(provider);
    if (!backend) {
      fallbacks.push({ provider, reason: `not built into this onnxruntime-node on ${process.platform}` });
      continue;
    }
    const hint = backend.bundled ? '' : ' (not bundled: reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12)';
    const probeFailure = await probeProvider(modelPath, provider);
    if (probeFailure !== null) {
      fallbacks.push({ provider, reason: `session could not be created: ${probeFailure}${hint}` });
      continue;
    }
    try {
      const session = await createSessionFor(modelPath, provider, opts.threads, opts.lowMemory);
      return { session, provider, fromGpuList: true, fallbacks };
    } catch (err) {
      fallbacks.push({ provider, reason: `session could not be created: ${firstLine(err)}${hint}` });
    }
  }
  if (opts.device === 'gpu') {
    const why = fallbacks.map((f) => `${f.provider}: ${f.reason}`).join('; ') || 'no GPU provider to try';
    throw new AppError('INFERENCE_FAILED', `No GPU execution provider works here (${why}). Use --device cpu or auto.`);
  }
  try {
    const session = await createSessionFor(modelPath, 'cpu', opts.threads, opts.lowMemory);
    return { session, provider: 'cpu', fromGpuList: false, fallbacks };
  } catch (err) {
    throw new AppError('INFERENCE_FAILED', `onnxruntime could not load the model on CPU: ${firstLine(err)}`);
  }
}

export { firstLine };
