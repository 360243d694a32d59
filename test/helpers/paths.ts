// Where tests find the repository, its build output and the real data beside it (../shared/data, read-only).
import path from 'node:path';

// From test/helpers in the sources, or dist/test/helpers when compiled for the bench.
const above = path.resolve(import.meta.dirname, '../..');
export const REPO_DIR = path.basename(above) === 'dist' ? path.dirname(above) : above;
export const DATA_DIR = path.resolve(REPO_DIR, '../shared/data');
