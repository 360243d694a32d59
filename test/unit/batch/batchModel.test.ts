// `medseg batch --model`: a model run gives the measurements of the equivalent classical threshold (the fixture model is
// exactly "HU > 500"), carries the model's id, version and sha256 on every row, and a changed model redoes every case
// while an unchanged rerun redoes none.
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../helpers/cli.js';
import { makeCohort, readTable, type TableRow } from '../../helpers/cohort.js';
import { REPO_DIR } from '../../helpers/paths.js';

const tmp = (what: string): string => mkdtempSync(path.join(tmpdir(), `medseg-batch-model-${what}-`));

describe('medseg batch --model', () => {
  it('equals the threshold HU >= 501 the fixture model computes, with model provenance; a new model version redoes every case', async () => {
    const cohort = makeCohort(2, 800);
    const manifest = path.join(cohort.dir, 'manifest.csv');
    const modelDir = tmp('model');
    cpSync(path.join(REPO_DIR, 'test/fixtures/threshold-model'), modelDir, { recursive: true });
    const sha = createHash('sha256')
      .update(readFileSync(path.join(modelDir, 'model.onnx')))
      .digest('hex');
    const outModel = tmp('out');
    const outThreshold = tmp('thr');
    const m = await runCliCaptured(['batch', manifest, '--model', modelDir, '--out', outModel]);
    expect(m.code, m.stderr).toBe(0);
    const t = await runCliCaptured(['batch', manifest, '--threshold', '501:100000', '--out', outThreshold]);
    expect(t.code, t.stderr).toBe(0);

    const numbers = (r: TableRow): string =>
      [r.seriesInstanceUid, r.kind, r.lesionId, r.voxels, r.volumeMl, r.volumeMlLower, r.volumeMlUpper, r.recistLongMm].join('|');
    const byModel = readTable(outModel).rows;
    const byThreshold = readTable(outThreshold).rows;
    expect(byModel.filter((r) => r.kind === 'lesion').length).toBe(cohort.truth.cases.reduce((s, c) => s + c.lesions.length, 0));
    expect(byModel.map(numbers)).toEqual(byThreshold.map(numbers));
    for (const r of byModel)
      expect(r).toMatchObject({ modelId: 'threshold-test', modelVersion: '1.0.0', modelSha256: sha, provider: 'cpu', method: 'model threshold-test 1.0.0' });

    const same = await runCliCaptured(['batch', manifest, '--model', modelDir, '--out', outModel]);
    expect(same.stderr).toMatch(/5 case\(s\), 5 already done, 0 to run/);

    // a new version of the model: every case is redone and the table says which model made it
    const manifestFile = path.join(modelDir, 'manifest.json');
    writeFileSync(manifestFile, readFileSync(manifestFile, 'utf8').replace('"version": "1.0.0"', '"version": "1.0.1"'));
    const bumped = await runCliCaptured(['batch', manifest, '--model', modelDir, '--out', outModel]);
    expect(bumped.code, bumped.stderr).toBe(0);
    expect(bumped.stderr).toMatch(/5 case\(s\), 0 already done, 5 to run/);
    expect(bumped.stderr).toMatch(/previous table was made with model threshold-test 1\.0\.0/);
    expect(new Set(readTable(outModel).rows.map((r) => r.modelVersion))).toEqual(new Set(['1.0.1']));
  });
});
