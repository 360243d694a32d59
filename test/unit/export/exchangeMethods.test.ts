// The exchange entries of the method table: 'audit.verify' on a fresh catalog and after an entry is changed behind
// its back, 'deid.series' writing de-identified copies of a catalogued series, 'send.series' refusing a bad node.
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../../main/adapters/dispatch.js';
import { openDatabase } from '../../../main/db/database.js';
import { createServiceTable } from '../../../main/methods/index.js';
import type { RpcReply } from '../../../shared/ipc/contract.js';
import { pydicomValues } from '../../helpers/exportChecks.js';
import { DATA_DIR } from '../../helpers/paths.js';

const MR = path.join(DATA_DIR, 'dcm_qa_enh/Siemens_XA10/6_1.dcm');

describe('exchange methods', () => {
  it('audit.verify is ok on a fresh catalog, then names the entry changed via SQL; deid.series writes copies with a new PatientName', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medseg-exch-'));
    const db = openDatabase(path.join(dir, 'c.db'));
    const table = createServiceTable({ db, mode: 'http', appVersion: 'test' });
    const call = (m: string, input: unknown): Promise<RpcReply<unknown>> => dispatch(table, m, input, { emit: () => {} });
    try {
      const fresh = await call('audit.verify', {});
      expect(fresh).toMatchObject({ ok: true, result: { ok: true, entries: 0, firstBadEntry: null } });

      const imp = await call('import.paths', { paths: [MR] });
      expect(imp.ok).toBe(true);
      const seriesId = (imp as { result: { seriesIds: number[] } }).result.seriesIds[0];
      const out = path.join(dir, 'deid');
      mkdirSync(out);
      const d = await call('deid.series', { seriesId, outDir: out, shiftDates: true });
      expect(d.ok, JSON.stringify(d)).toBe(true);
      const res = (d as { result: { outDir: string; files: string[]; written: number } }).result;
      expect(res.outDir).toBe(out);
      expect(res.written).toBe(1);
      expect(readdirSync(out).map((f) => path.join(out, f))).toEqual(res.files);
      const before = pydicomValues(MR, ['PatientName', 'PatientID']);
      const after = pydicomValues(res.files[0], ['PatientName', 'PatientID', 'PatientIdentityRemoved']);
      expect(String(before.PatientName)).not.toBe('');
      expect(String(after.PatientName)).not.toBe(String(before.PatientName));
      expect(String(after.PatientID)).not.toBe(String(before.PatientID));
      expect(after.PatientIdentityRemoved).toBe('YES');

      // the deid was audited; the chain holds, then an edited entry is found by its seq
      const ok = (await call('audit.verify', {})) as { ok: true; result: { ok: boolean; entries: number; firstBadEntry: number | null } };
      expect(ok.result.ok).toBe(true);
      expect(ok.result.entries).toBeGreaterThanOrEqual(1);
      const deidSeq = (db.prepare("SELECT seq FROM audit_log WHERE action = 'deid'").get() as { seq: number }).seq;
      db.prepare('UPDATE audit_log SET subject = ? WHERE seq = ?').run('/somewhere/else', deidSeq);
      const bad = await call('audit.verify', {});
      expect(bad).toMatchObject({ ok: true, result: { ok: false, firstBadEntry: deidSeq } });

      // coded refusals: unknown series, relative folder, bad node, neither series nor path
      expect(await call('deid.series', { seriesId: 99999, outDir: out })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      expect(await call('deid.series', { seriesId, outDir: 'rel/dir' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
      expect(await call('send.series', { seriesId, node: 'no-node-here' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
      expect(await call('send.series', { node: 'PACS@127.0.0.1:104' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    } finally {
      db.close();
    }
  });
});
