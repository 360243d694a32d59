// RECIST 1.1 response per study: target diameters, their sum, the change against baseline and nadir, the category, and
// the new and vanished lesions. A study without a current measurement is listed as not evaluable, with its code.
import type { PatientTimelineView } from '../../../shared/ipc/contract-timeline.js';

const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(1)} %`);

export function ResponseTable({ timeline }: { timeline: PatientTimelineView }) {
  return (
    <table className="response-table" data-testid="response-table">
      <thead>
        <tr>
          <th>Study</th>
          <th>Targets (mm)</th>
          <th>Sum (mm)</th>
          <th>vs baseline</th>
          <th>vs nadir</th>
          <th>Response</th>
          <th>New</th>
          <th>Vanished</th>
        </tr>
      </thead>
      <tbody>
        {timeline.timepoints.map((t) => (
          <tr
            key={t.caseKey}
            data-testid="response-row"
            data-case={t.caseKey}
            data-response={t.response ?? (t.error ? 'error' : 'baseline')}
            data-target-count={t.targets?.length ?? 0}
          >
            <td>
              {t.studyDate} {t.timepoint}
            </td>
            {t.error ? (
              <td colSpan={7} className="warn" title={t.errorMessage}>
                not evaluable ({t.error}): {t.errorMessage}
              </td>
            ) : (
              <>
                <td>{(t.targets ?? []).map((g) => `${g.id ?? `${g.baselineId} lost`}: ${g.diameterMm.toFixed(1)}`).join(', ') || 'none'}</td>
                <td data-testid="sum-mm">{t.sumMm?.toFixed(1)}</td>
                <td>{pct(t.changeFromBaselinePercent)}</td>
                <td>{pct(t.changeFromNadirPercent)}</td>
                <td className={`response response-${t.response ?? 'baseline'}`} data-testid="response">
                  {t.response ?? 'baseline'}
                </td>
                <td>{t.newLesions?.join(', ') || '—'}</td>
                <td>{t.vanishedLesions?.join(', ') || '—'}</td>
              </>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
