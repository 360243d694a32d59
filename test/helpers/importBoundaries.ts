// The import rules that keep the layering (main → shared ← renderer; services below the adapters), as a checker
// over source texts, so the boundary test can run it on the tree and on a deliberate violation.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';

export interface SourceFile {
  /** Repository-relative path with forward slashes, e.g. 'main/services/dicom/parse.ts'. */
  path: string;
  text: string;
}

export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
/** Packages that only the Electron shell may import. */
const ELECTRON_ONLY = ['electron'];
/** Folders of main/ that adapt the method table to a transport or host; nothing below them may import them. */
const ADAPTERS = ['main/adapters/', 'main/electron/', 'main/headless/', 'main/index.ts', 'main/preload.cts'];

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(['"])([^'"]+)\1/g;

/** Every module specifier a source text imports (static, dynamic, re-export, require). */
export function importSpecifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) out.push(m[2]);
  return out;
}

function resolveRelative(from: string, specifier: string): string {
  return path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
}

/** The rules, checked per import; returns every violation (empty when the tree keeps its layering). */
export function findBoundaryViolations(files: SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const area = file.path.split('/')[0];
    const isBuildConfig = /(^|\/)vite\.config\.ts$/.test(file.path);
    for (const specifier of importSpecifiers(file.text)) {
      const target = specifier.startsWith('.') ? resolveRelative(file.path, specifier) : null;
      const pkg = target === null ? specifier : null;
      const flag = (rule: string): void => {
        violations.push({ file: file.path, specifier, rule });
      };
      if (area === 'shared') {
        if (target && !target.startsWith('shared/')) flag('shared imports only shared');
        if (pkg && NODE_BUILTINS.has(pkg)) flag('shared imports no Node built-in');
        if (pkg && pkg !== 'zod') flag('shared imports no package but zod');
      }
      if (area === 'renderer' && !isBuildConfig) {
        if (target && !(target.startsWith('renderer/') || target.startsWith('shared/'))) flag('renderer imports only renderer and shared');
        if (pkg && NODE_BUILTINS.has(pkg)) flag('renderer imports no Node built-in');
        if (pkg === 'cornerstone-core' && !file.path.startsWith('renderer/viewer/')) flag('only renderer/viewer imports cornerstone-core');
      }
      if (area === 'main') {
        if (target && target.startsWith('renderer/')) flag('main imports no renderer code');
        const inAdapter = ADAPTERS.some((a) => file.path.startsWith(a));
        if (pkg && ELECTRON_ONLY.includes(pkg) && !inAdapter) flag('only the Electron shell imports electron');
        const below = file.path.startsWith('main/services/') || file.path.startsWith('main/db/') || file.path.startsWith('main/workers/');
        if (below && target && ADAPTERS.some((a) => target.startsWith(a.replace(/\.(ts|cts)$/, '')))) flag('a service imports no adapter');
        if (below && target && target.startsWith('main/methods/')) flag('a service imports no method-table entry');
        if (file.path.startsWith('main/db/') && target && target.startsWith('main/services/')) flag('the database layer imports no service');
        if (file.path.startsWith('main/methods/') && target && ADAPTERS.some((a) => target.startsWith(a.replace(/\.(ts|cts)$/, ''))))
          flag('the method table imports no adapter');
      }
    }
    // SQL lives in main/db (one repository file per aggregate); services and methods call its functions.
    if (file.path.startsWith('main/') && !file.path.startsWith('main/db/') && /\.prepare\(\s*[`'"]/.test(file.text)) {
      violations.push({ file: file.path, specifier: '(SQL)', rule: 'SQL only in main/db' });
    }
  }
  return violations;
}

/** The repository's own sources (main, shared, renderer), read from disk. */
export function readSources(repoDir: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(path.join(repoDir, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (/\.(ts|tsx|cts|mts)$/.test(entry.name)) out.push({ path: child, text: readFileSync(path.join(repoDir, child), 'utf8') });
    }
  };
  for (const top of ['main', 'shared', 'renderer']) walk(top);
  return out;
}
