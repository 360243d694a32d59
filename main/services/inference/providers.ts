// Execution-provider choice for onnxruntime-node: tries each GPU provider of the platform ALONE (a list like
// ['cuda','cpu'] throws instead of falling back), records why each failed, and ends on CPU unless --device gpu.
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
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n').find((l) => l.trim().length > 0)?.trim().slice(0, 300) ?? 'unknown error';
}

export async function createSessionFor(modelPath: string, provider: string, threads?: number): Promise<ort.InferenceSession> {
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    // warnings of failed providers would otherwise flood stderr; errors still come back as exceptions
    logSeverityLevel: 3,
  };
  if (threads !== undefined) {
    opts.intraOpNumThreads = threads;
    opts.interOpNumThreads = 1;
  }
  return ort.InferenceSession.create(modelPath, opts);
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
    try {
      const session = await createSessionFor(modelPath, provider, opts.threads);
      return { session, provider, fromGpuList: true, fallbacks };
    } catch (err) {
      const hint = backend.bundled ? '' : ' (not bundled: reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12)';
      fallbacks.push({ provider, reason: `session could not be created: ${firstLine(err)}${hint}` });
    }
  }
  if (opts.device === 'gpu') {
    const why = fallbacks.map((f) => `${f.provider}: ${f.reason}`).join('; ') || 'no GPU provider to try';
    throw new AppError('INFERENCE_FAILED', `No GPU execution provider works here (${why}). Use --device cpu or auto.`);
  }
  try {
    const session = await createSessionFor(modelPath, 'cpu', opts.threads);
    return { session, provider: 'cpu', fromGpuList: false, fallbacks };
  } catch (err) {
    throw new AppError('INFERENCE_FAILED', `onnxruntime could not load the model on CPU: ${firstLine(err)}`);
  }
}

export { firstLine };
