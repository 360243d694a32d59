// A temporary model folder for a test file: MEDSEG_MODELS_DIR points at it for the file's tests, then is restored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** Registers the set-up and tear-down; `dir` is valid inside the tests. */
export function useTempModelsDir(): { readonly dir: string } {
  const state = { dir: '' };
  const savedEnv = process.env.MEDSEG_MODELS_DIR;
  beforeAll(() => {
    state.dir = mkdtempSync(path.join(tmpdir(), 'medseg-models-'));
    process.env.MEDSEG_MODELS_DIR = state.dir;
  });
  afterAll(() => {
    if (savedEnv === undefined) delete process.env.MEDSEG_MODELS_DIR;
    else process.env.MEDSEG_MODELS_DIR = savedEnv;
    rmSync(state.dir, { recursive: true, force: true });
  });
  return state;
}
