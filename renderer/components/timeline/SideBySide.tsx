// Two studies of the patient side by side, scrolled together by position: both show the slice at the same LPS z (the
// slice index differs between scans). Linking needs trustworthy geometry on both sides (the geometry gate); otherwise
// each side scrolls on its own and the page says why.
import { useCallback, useState } from 'react';
import { physicalUnitsAllowed, unsafeReasons } from '../../../shared/domain/geometryGate.js';
import { sliceCentreZLps, sliceNearestZLps } from '../../../shared/domain/timeline/linkedSlices.js';
import type { VolumeInfo } from '../../../shared/ipc/contract.js';
import { AxialPane } from '../../viewer/AxialPane.js';

export interface StudyChoice {
  seriesId: number;
  label: string;
  /** The study's measured lesions (ringed where they cross the shown slice, with the ids the matching uses). */
  lesions?: { id: string; centroidLps: [number, number, number]; longAxisMm: number }[];
}

type Side = 0 | 1;

export function SideBySide({ choices, initial }: { choices: StudyChoice[]; initial: [number, number] }) {
  const [seriesIds, setSeriesIds] = useState<[number, number]>(initial);
  const [infos, setInfos] = useState<[VolumeInfo | null, VolumeInfo | null]>([null, null]);
  const [ownSlice, setOwnSlice] = useState<[number, number]>([0, 0]);
  const [zLps, setZLps] = useState<number | null>(null);
  const [link, setLink] = useState(true);

  const safe = infos.map((i) => (i ? physicalUnitsAllowed(i.geometry) : false));
  const linked = link && safe[0] && safe[1] && infos[0] !== null && infos[1] !== null && zLps !== null;
  const sliceOf = (side: Side): number => {
    const info = infos[side];
    if (linked && info) return sliceNearestZLps(info, zLps).k;
    return ownSlice[side];
  };

  const onVolume = useCallback((side: Side, info: VolumeInfo) => {
    const mid = Math.floor(info.dims[2] / 2);
    setInfos((prev) => (side === 0 ? [info, prev[1]] : [prev[0], info]));
    setOwnSlice((prev) => (side === 0 ? [mid, prev[1]] : [prev[0], mid]));
    // the first study loaded sets the shared position: its middle slice
    if (physicalUnitsAllowed(info.geometry)) setZLps((z) => z ?? sliceCentreZLps(info, mid));
  }, []);

  const step = (side: Side, delta: number): void => {
    const info = infos[side];
    if (!info) return;
    const k = Math.max(0, Math.min(info.dims[2] - 1, sliceOf(side) + delta));
    if (linked) setZLps(sliceCentreZLps(info, k));
    else setOwnSlice((prev) => (side === 0 ? [k, prev[1]] : [prev[0], k]));
  };

  const pane = (side: Side) => {
    const info = infos[side];
    const k = sliceOf(side);
    const z = info && safe[side] ? sliceCentreZLps(info, k) : null;
    const away = linked && info ? sliceNearestZLps(info, zLps) : null;
    return (
      <div className="side-pane" key={side}>
        <select
          data-testid={`pane-${side}-study`}
          value={seriesIds[side]}
          onChange={(e) => {
            const id = Number(e.target.value);
            setInfos((prev) => (side === 0 ? [null, prev[1]] : [prev[0], null]));
            setSeriesIds((prev) => (side === 0 ? [id, prev[1]] : [prev[0], id]));
          }}
        >
          {choices.map((c) => (
            <option key={c.seriesId} value={c.seriesId}>
              {c.label}
            </option>
          ))}
        </select>
        <AxialPane
          key={seriesIds[side]}
          seriesId={seriesIds[side]}
          slice={k}
          testId={`pane-${side}-canvas`}
          markers={choices.find((c) => c.seriesId === seriesIds[side])?.lesions ?? []}
          onVolume={(v) => onVolume(side, v.info)}
          onStep={(d) => step(side, d)}
        />
        <div className="muted" data-testid={`pane-${side}-position`} data-k={k} data-z-lps={z ?? ''}>
          slice {k + 1}/{info?.dims[2] ?? '?'}
          {z !== null ? ` · z = ${z.toFixed(1)} mm (LPS)` : ' · position unknown'}
          {away?.outside ? ' · this position is outside the scan' : ''}
        </div>
        <div>
          <button data-testid={`pane-${side}-up`} onClick={() => step(side, -1)}>
            ▲
          </button>
          <button data-testid={`pane-${side}-down`} onClick={() => step(side, 1)}>
            ▼
          </button>
        </div>
      </div>
    );
  };

  const unsafe = infos.find((i) => i && !physicalUnitsAllowed(i.geometry));
  return (
    <div className="side-by-side" data-testid="side-by-side">
      <label>
        <input type="checkbox" data-testid="link-scroll" checked={link} onChange={(e) => setLink(e.target.checked)} /> scroll together by position (LPS z)
      </label>
      {link && unsafe && <p className="warn">Not linked: the geometry of one study is unsafe ({unsafeReasons(unsafe.geometry)}).</p>}
      <div className="side-panes">
        {pane(0)}
        {pane(1)}
      </div>
    </div>
  );
}
