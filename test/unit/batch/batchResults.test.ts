// The pure table code of `medseg batch`: CSV quoting survives a round trip, case order is fixed whatever order the
// case files are read in, and a failed case has its code and no mm or mL.
import { describe, expect, it } from 'vitest';
import { BATCH_COLUMNS, batchCsv, failedCaseRow, orderRows, parseCsv, type BatchCaseInfo, type BatchRow } from '../../../shared/domain/batch/results.js';

const info = (patientId: string, studyDate: string, caseKey: string): BatchCaseInfo => ({
  caseKey,
  patientId,
  pseudonym: 'P-x',
  subject: patientId,
  timepoint: '',
  studyDate,
  seriesInstanceUid: `1.2.${caseKey}`,
  source: `/data/${patientId}, "quoted"\nline`,
});
const prov = {
  method: { kind: 'threshold' as const, loValue: -5, hiValue: 5 },
  geometryStatus: 'unsafe',
  provider: '',
  softwareVersion: 'medseg 0',
  computationVersion: 'm',
  seconds: 1,
};

describe('batch results table', () => {
  it('a failed case is one row with its code and empty mm/mL cells', () => {
    const r = failedCaseRow(info('A', '2024', 'k1'), { code: 'UNSAFE_GEOMETRY', message: 'refused, "gap"' }, prov);
    expect(r).toMatchObject({ kind: 'case', error: 'UNSAFE_GEOMETRY', volumeMl: null, volumeMlLower: null, volumeMlUpper: null, method: 'threshold -5:5' });
    const [header, row] = parseCsv(batchCsv([r]));
    expect(header).toEqual(BATCH_COLUMNS);
    const cell = (c: string): string => row[header.indexOf(c)];
    expect([cell('volumeMl'), cell('volumeMlLower'), cell('volumeMlUpper'), cell('error')]).toEqual(['', '', '', 'UNSAFE_GEOMETRY']);
    // commas, quotes and line breaks survive
    expect(cell('source')).toBe('/data/A, "quoted"\nline');
    expect(cell('errorMessage')).toBe('refused, "gap"');
  });

  it('orders cases by patient, date, series and key, whatever order they come in', () => {
    const rows = (p: string, d: string, k: string): BatchRow[] => [failedCaseRow(info(p, d, k), { code: 'IO_ERROR', message: '' }, prov)];
    const cases = [rows('B', '2024', 'k3'), rows('A', '2025', 'k2'), rows('A', '2024', 'k9'), rows('A', '2024', 'k1')];
    const want = ['k1', 'k9', 'k2', 'k3'];
    expect(orderRows(cases).map((r) => r.caseKey)).toEqual(want);
    expect(orderRows([...cases].reverse()).map((r) => r.caseKey)).toEqual(want);
  });
});

describe('local workers', () => {
  it('runs fewer workers than asked when memory or CPUs do not allow more, and says why', async () => {
    const { affordableWorkers, workerMemoryBytes } = await import('../../../main/services/batch/local.js');
    const plan = {
      method: { kind: 'model' as const, modelId: 'm', modelVersion: '1', modelSha256: 'x' },
      cases: [{ voxels: 512 * 512 * 300 }, { voxels: 64 * 64 * 40 }],
    } as unknown as Parameters<typeof affordableWorkers>[1];
    const per = workerMemoryBytes(512 * 512 * 300, true);
    expect(affordableWorkers(4, plan, 10 * per, 8)).toEqual({ workers: 4, reason: '' });
    const byMemory = affordableWorkers(4, plan, 2.6 * per, 8);
    expect(byMemory.workers).toBe(2);
    expect(byMemory.reason).toMatch(/each needs about \d+ MB/);
    expect(affordableWorkers(4, plan, 10 * per, 2)).toMatchObject({ workers: 2, reason: expect.stringMatching(/2 CPU/) });
    // never fewer than one
    expect(affordableWorkers(4, plan, 0, 8).workers).toBe(1);
  });
});
