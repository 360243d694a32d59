// A patient's follow-up timeline (issue 14): volume over time per label, the RECIST 1.1 response per study, the lesion
// matching (editable; main recomputes the response and stores the correction), and two studies side by side.
import { useEffect, useMemo, useState } from 'react';
import type { PatientNode } from '../../../shared/ipc/contract.js';
import type { PatientTimelineView } from '../../../shared/ipc/contract-timeline.js';
import { useMethod } from '../../state/useMethod.js';
import { MatchEditor, type MatchChange } from './MatchEditor.js';
import { ResponseTable } from './ResponseTable.js';
import { SideBySide, type StudyChoice } from './SideBySide.js';
import { VolumePlot, volumeSeries } from './VolumePlot.js';

export function TimelineView({ patient, onClose }: { patient: PatientNode; onClose(): void }) {
  const get = useMethod('timeline.get');
  const edit = useMethod('timeline.editMatch');
  const reset = useMethod('timeline.resetMatches');
  const patientId = patient.patientId;
  // the latest answer of any of the three: an edit or reset answers with the recomputed timeline; a refused edit
  // leaves the shown one (and its drop-downs) as they were
  const [timeline, setTimeline] = useState<PatientTimelineView | null>(null);
  const show = (t: PatientTimelineView | undefined): void => {
    if (t) setTimeline(t);
  };

  useEffect(() => {
    get.call({ patientId }).then(show, () => undefined);
  }, [patientId, get.call]);
  const busy = get.busy || edit.busy || reset.busy;
  const error = edit.error ?? reset.error ?? get.error;

  const change = async (c: MatchChange): Promise<void> => {
    reset.setError(null);
    show(await edit.call({ patientId, ...c }));
  };
  const resetAll = async (): Promise<void> => {
    edit.setError(null);
    show(await reset.call({ patientId }));
  };

  const choices: (StudyChoice & { uid: string })[] = useMemo(
    () =>
      patient.studies.flatMap((s) =>
        s.series.map((se) => ({
          seriesId: se.seriesId,
          uid: se.seriesInstanceUid,
          label: `${s.date ?? ''} ${se.description || `series ${se.seriesNumber ?? ''}`}`,
        })),
      ),
    [patient],
  );
  const plots = timeline ? [...volumeSeries(timeline.timepoints)] : [];
  // side by side: the first and the last study of the timeline
  const ids = timeline?.timepoints.map((t) => choices.find((c) => c.uid === t.seriesInstanceUid)?.seriesId).filter((x): x is number => x !== undefined) ?? [];

  return (
    <main className="timeline-view" data-testid="timeline-view" data-patient={patientId}>
      <header>
        <h2>
          Timeline of {patient.name || '(no name)'} <span className="muted">{patientId}</span>
        </h2>
        <button onClick={onClose}>Close timeline</button>
      </header>
      {error && (
        <p className="warn" data-testid="timeline-error">
          {error}
        </p>
      )}
      {!timeline && busy && <p className="muted">Loading…</p>}
      {timeline && (
        <>
          <p className="muted">
            {timeline.timepoints.length} studies · {timeline.method} · {timeline.targets.length} target lesion(s) at baseline:{' '}
            {timeline.targets.map((t) => `${t.id} (${t.organ}, ${t.longAxisMm.toFixed(1)} mm)`).join(', ') || 'none'}
          </p>
          {timeline.outdatedEdits && timeline.outdatedEdits.length > 0 && (
            <p className="warn" data-testid="outdated-edits">
              {timeline.outdatedEdits.length} matching correction(s) name measurements no longer current (a study edited or measured again since, or no longer
              next to the other): not applied.
            </p>
          )}
          <section>
            <h3>Volumes</h3>
            <div className="volume-plots">
              {plots.length === 0 && <p className="muted">No measured study.</p>}
              {plots.map(([name, points]) => (
                <VolumePlot key={name} name={name} points={points} />
              ))}
            </div>
          </section>
          <section>
            <h3>RECIST 1.1 response</h3>
            <ResponseTable timeline={timeline} />
          </section>
          <section>
            <h3>Lesion matching</h3>
            <MatchEditor timeline={timeline} busy={busy} onChange={(c) => void change(c)} onReset={() => void resetAll()} />
          </section>
          {ids.length >= 2 && (
            <section>
              <h3>Side by side</h3>
              <SideBySide
                choices={choices.map((c) => ({ ...c, lesions: timeline.timepoints.find((t) => t.seriesInstanceUid === c.uid && !t.error)?.lesions }))}
                initial={[ids[0], ids[ids.length - 1]]}
              />
            </section>
          )}
        </>
      )}
    </main>
  );
}
