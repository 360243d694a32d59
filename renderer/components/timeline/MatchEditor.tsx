// The lesion matching between consecutive measured studies, editable: each lesion of the earlier study shows its
// partner in the later one; choosing another partner (or none) is stored and the response recomputed in main.
import type { PatientTimelineView, TimelineStudyView } from '../../../shared/ipc/contract-timeline.js';

export interface MatchChange {
  fromCase: string;
  toCase: string;
  fromLesion: string;
  toLesion: string | null;
}

const describeLesion = (l: NonNullable<TimelineStudyView['lesions']>[number]): string =>
  `${l.id} ${l.organ} ${l.longAxisMm.toFixed(1)} mm (z ${l.centroidLps[2].toFixed(1)})`;

export function MatchEditor({
  timeline,
  busy,
  onChange,
  onReset,
}: {
  timeline: PatientTimelineView;
  busy: boolean;
  onChange(c: MatchChange): void;
  onReset(): void;
}) {
  const usable = timeline.timepoints.filter((t) => !t.error);
  const pairs = usable.slice(1).map((to, n) => ({ from: usable[n], to }));
  return (
    <div className="match-editor" data-testid="match-editor">
      {pairs.length === 0 && <p className="muted">One measured study: nothing to match.</p>}
      {pairs.map(({ from, to }) => (
        <table key={to.caseKey} className="match-table" data-testid="match-table" data-to-case={to.caseKey}>
          <caption>
            {from.studyDate} → {to.studyDate}
            {to.ignoredEdits && to.ignoredEdits.length > 0 ? ` (${to.ignoredEdits.length} correction(s) no longer apply)` : ''}
          </caption>
          <tbody>
            {(from.lesions ?? []).map((l) => {
              const m = to.matches?.find((x) => x.fromId === l.id);
              return (
                <tr key={l.id}>
                  <td>{describeLesion(l)}</td>
                  <td>→</td>
                  <td>
                    <select
                      data-testid={`match-${l.id}`}
                      value={m?.toId ?? ''}
                      disabled={busy}
                      onChange={(e) => onChange({ fromCase: from.caseKey, toCase: to.caseKey, fromLesion: l.id, toLesion: e.target.value || null })}
                    >
                      <option value="">— none (vanished) —</option>
                      {(to.lesions ?? []).map((c) => (
                        <option key={c.id} value={c.id}>
                          {describeLesion(c)}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td className="muted">{m ? `${m.distanceMm.toFixed(1)} mm${m.edited ? ' · edited' : ''}` : ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ))}
      <button data-testid="reset-matching" disabled={busy || (pairs.length === 0 && !timeline.outdatedEdits?.length)} onClick={onReset}>
        Reset to automatic matching
      </button>
    </div>
  );
}
