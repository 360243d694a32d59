// Patients -> studies -> series tree of the catalog; clicking a series opens it in the viewer. Patient IDs are not
// unique keys (anonymised exports often leave them empty), hence the index in the key.
import type { PatientNode } from '../../shared/ipc/contract.js';
import { GeometryBadge } from './GeometryBadge.js';
import { SeriesThumbnail } from './SeriesThumbnail.js';

export function StudyBrowser({
  patients,
  selected,
  onSelect,
  onTimeline,
}: {
  patients: PatientNode[];
  selected: number | null;
  onSelect(seriesId: number): void;
  /** Opens the follow-up timeline of the patient at this index of `patients`. */
  onTimeline?(patientIndex: number): void;
}) {
  if (patients.length === 0) return <p className="hint">No studies yet: import a DICOM folder, zip or DICOMDIR.</p>;
  return (
    <ul className="tree" data-testid="study-browser">
      {patients.map((p, n) => (
        <li key={`${n}:${p.patientId}`}>
          <div className="patient">
            {p.name || '(no name)'} <span className="muted">{p.patientId}</span>
            {onTimeline && p.patientId && p.studies.length > 1 && (
              <button className="timeline-open" data-testid={`timeline-${p.patientId}`} onClick={() => onTimeline(n)} title="Follow-up timeline">
                Timeline
              </button>
            )}
          </div>
          <ul>
            {p.studies.map((s) => (
              <li key={s.studyInstanceUid}>
                <div className="study">
                  {s.date ?? ''} {s.description || '(study)'}
                </div>
                <ul>
                  {s.series.map((se) => (
                    <li key={se.seriesId}>
                      <button
                        className={`series${selected === se.seriesId ? ' selected' : ''}`}
                        data-testid={`series-${se.seriesId}`}
                        onClick={() => onSelect(se.seriesId)}
                        title={`${se.dims.join('×')} voxels, ${se.spacingMm.map((v) => v.toFixed(2)).join(' × ')} mm`}
                      >
                        <SeriesThumbnail seriesId={se.seriesId} />
                        <span className="modality">{se.modality}</span> {se.description || `series ${se.seriesNumber ?? ''}`}{' '}
                        <span className="muted">
                          {se.dims[0]}×{se.dims[1]}×{se.dims[2]}
                        </span>{' '}
                        <GeometryBadge geometry={se.geometry} />
                      </button>
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ul>
  );
}
