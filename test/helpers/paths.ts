// Where tests find the repository, its build output and the real data beside it (../shared/data, read-only).
import path from 'node:path';

export const REPO_DIR = path.resolve(import.meta.dirname, '../..');
export const DATA_DIR = path.resolve(REPO_DIR, '../shared/data');
