// The analysis column beside the viewer: model segmentation, measurements, classical tools, comparison and body
// composition of the open series. Cross-talk with the viewer (preview layer, jumps, seed clicks) goes through state/analysisState.
import type { SegmentationInfo } from '../../shared/ipc/contract.js';
import type { AnalysisState } from '../state/analysisState.js';
import { SegmentPanel } from './SegmentPanel.js';
import { MeasurePanel } from './MeasurePanel.js';
import { ClassicalPanel } from './ClassicalPanel.js';
import { ComparePanel } from './ComparePanel.js';
import { BodyCompPanel } from './BodyCompPanel.js';
import './analysis.css';

export function AnalysisPanels(props: {
  seriesId: number;
  segmentations: readonly SegmentationInfo[];
  /** HU for CT, a.u. otherwise (shared/domain/intensityUnit.ts). */
  intensityUnit: string;
  analysis: AnalysisState;
  onAdded(): void;
  onStatus(s: string): void;
}) {
  const { seriesId, segmentations, intensityUnit, analysis, onAdded, onStatus } = props;
  return (
    <div className="analysis-panels" data-testid="analysis-panels">
      <SegmentPanel seriesId={seriesId} segmentations={segmentations} onAdded={onAdded} onStatus={onStatus} />
      <ClassicalPanel
        seriesId={seriesId}
        intensityUnit={intensityUnit}
        preview={analysis.preview}
        setPreview={analysis.setPreview}
        setPickListener={analysis.setPickListener}
        onAdded={onAdded}
        onStatus={onStatus}
      />
      <MeasurePanel
        segmentations={segmentations}
        intensityUnit={intensityUnit}
        onJump={analysis.jumpTo}
        onShowLesion={analysis.showLesion}
        onStatus={onStatus}
      />
      <ComparePanel segmentations={segmentations} />
      <BodyCompPanel seriesId={seriesId} segmentations={segmentations} onJump={analysis.jumpTo} />
    </div>
  );
}
