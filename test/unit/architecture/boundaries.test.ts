// The layering stays as designed: shared imports nothing of main/renderer/Node, the renderer nothing of main, and no
// service, database or worker code imports an adapter (HTTP, Electron, CLI) or the method table above it; SQL
// stays in main/db.
import { describe, expect, it } from 'vitest';
import { findBoundaryViolations, importSpecifiers, readSources } from '../../helpers/importBoundaries.js';
import { REPO_DIR } from '../../helpers/paths.js';

describe('import boundaries', () => {
  it('the tree has no violation', () => {
    const sources = readSources(REPO_DIR);
    // the checker must have seen the whole tree, not an empty folder
    expect(sources.filter((s) => s.path.startsWith('main/services/')).length).toBeGreaterThan(20);
    expect(sources.filter((s) => s.path.startsWith('shared/')).length).toBeGreaterThan(20);
    expect(sources.filter((s) => s.path.startsWith('renderer/')).length).toBeGreaterThan(10);
    expect(findBoundaryViolations(sources)).toEqual([]);
  });

  it('reports each kind of deliberate violation', () => {
    const bad = [
      {
        path: 'shared/domain/x.ts',
        text: "import { a } from '../../main/services/catalog/importer.js';\nimport fs from 'node:fs';\nimport React from 'react';",
      },
      {
        path: 'renderer/components/X.tsx',
        text: "import { b } from '../../main/db/catalog.js';\nimport cs from 'cornerstone-core';\nconst c = await import('node:path');",
      },
      {
        path: 'main/services/dicom/y.ts',
        text: "export { d } from '../../headless/http.js';\nimport { e } from '../../methods/index.js';\nimport { app } from 'electron';",
      },
      { path: 'main/db/z.ts', text: "import { f } from '../services/series/volumes.js';" },
      { path: 'main/methods/w.ts', text: "import { g } from '../electron/ipc.js';" },
      { path: 'main/services/catalog/v.ts', text: "const n = db.prepare('SELECT count(*) FROM series').get();" },
    ];
    const rules = findBoundaryViolations(bad).map((v) => `${v.file}: ${v.rule}`);
    expect(rules).toEqual([
      'shared/domain/x.ts: shared imports only shared',
      'shared/domain/x.ts: shared imports no Node built-in',
      'shared/domain/x.ts: shared imports no package but zod',
      'shared/domain/x.ts: shared imports no package but zod',
      'renderer/components/X.tsx: renderer imports only renderer and shared',
      'renderer/components/X.tsx: only renderer/viewer imports cornerstone-core',
      'renderer/components/X.tsx: renderer imports no Node built-in',
      'main/services/dicom/y.ts: a service imports no adapter',
      'main/services/dicom/y.ts: a service imports no method-table entry',
      'main/services/dicom/y.ts: only the Electron shell imports electron',
      'main/db/z.ts: the database layer imports no service',
      'main/methods/w.ts: the method table imports no adapter',
      'main/services/catalog/v.ts: SQL only in main/db',
    ]);
    // the same files with allowed imports pass
    const good = [
      { path: 'shared/domain/x.ts', text: "import { z } from 'zod';\nimport { v } from '../volume.js';" },
      { path: 'renderer/viewer/X.tsx', text: "import cs from 'cornerstone-core';\nimport { m } from '../../shared/ipc/contract.js';" },
      { path: 'main/electron/app.ts', text: "import { app } from 'electron';\nimport { t } from '../methods/index.js';" },
      { path: 'main/db/catalog.ts', text: "const n = db.prepare('SELECT count(*) FROM series').get();" },
    ];
    expect(findBoundaryViolations(good)).toEqual([]);
  });

  it('finds static, dynamic, re-export and require specifiers', () => {
    const text =
      "import a from './a.js';\nimport './side.css';\nexport * from '../b.js';\nconst c = await import('./c.js');\nconst d = require('d');\nimport type { E } from './e.js';";
    expect(importSpecifiers(text)).toEqual(['./a.js', './side.css', '../b.js', './c.js', 'd', './e.js']);
  });
});
