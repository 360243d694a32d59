// Agreement of two segmentations of the series: per-label Dice, IoU and HD95 (mm) and the overall voxel accuracy.
// Labels are paired by name (by value when names are missing); both sides of each pair are shown.
import { useEffect, useState } from 'react';
import type { SegmentationInfo } from '../../shared/ipc/contract.js';
import { useMethod } from '../state/useMethod.js';

export function ComparePanel({ segmentations }: { segmentations: readonly SegmentationInfo[] }) {
  const [a, setA] = useState<number | null>(null);
  const [b, setB] = useState<number | null>(null);
  const comparison = useMethod('compare.segmentations');
  const { result, error, busy, clear } = comparison;

  useEffect(() => {
    const ids = segmentations.map((l) => l.segmentationId);
    setA((x) => (x !== null && ids.includes(x) ? x : (ids[0] ?? null)));
    // B defaults to a map other than A: comparing a map with itself says nothing.
    setB((x) => (x !== null && ids.includes(x) ? x : (ids[1] ?? null)));
  }, [segmentations]);
  // A result belongs to one pair.
  useEffect(() => clear(), [a, b, clear]);

  const compare = async (): Promise<void> => {
    if (a !== null && b !== null) await comparison.call({ a, b });
  };

  const pick = (value: number | null, set: (v: number) => void, testId: string) => (
    <select value={value ?? ''} onChange={(e) => set(Number(e.target.value))} data-testid={testId}>
      {segmentations.map((l) => (
        <option key={l.segmentationId} value={l.segmentationId}>
          #{l.segmentationId} {l.name}
        </option>
      ))}
    </select>
  );

  return (
    <section className="analysis-section" data-testid="compare-panel">
      <h3>Compare</h3>
      <div className="row">
        A {pick(a, setA, 'compare-a')} B {pick(b, setB, 'compare-b')}
        <button onClick={() => void compare()} disabled={a === null || b === null || a === b || busy} data-testid="compare-button">
          {busy ? '…' : 'Compare'}
        </button>
      </div>
      {error && (
        <div className="refusal" role="alert" data-testid="compare-error">
          {error}
        </div>
      )}
      {result && (
        <>
          <div className="small" data-testid="compare-accuracy">
            voxel accuracy {(result.pixelAccuracy * 100).toFixed(2)} % · labels paired by {result.pairedBy}
          </div>
          {result.warnings.map((w) => (
            <div key={w.code} className="muted small" data-testid={`compare-warning-${w.code}`}>
              {w.message}
            </div>
          ))}
          <table className="measure-table" data-testid="compare-table">
            <thead>
              <tr>
                <th>A ↔ B</th>
                <th>names</th>
                <th>Dice</th>
                <th>IoU</th>
                <th>HD95 {result.hd95Unit === 'voxels' ? 'voxels (not mm)' : 'mm'}</th>
              </tr>
            </thead>
            <tbody>
              {result.labels.map((l) => (
                <tr key={l.value} data-testid={`compare-row-${l.value}`}>
                  <td>
                    {l.valueA ?? '—'} ↔ {l.valueB ?? '—'}
                  </td>
                  <td>
                    {l.nameA ?? '—'} / {l.nameB ?? '—'}
                  </td>
                  <td data-testid="dice">{l.dice.toFixed(3)}</td>
                  <td>{l.iou.toFixed(3)}</td>
                  <td>{l.hd95Mm !== null ? l.hd95Mm.toFixed(1) : l.hd95Voxels !== null ? l.hd95Voxels.toFixed(1) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
