// Small nnU-Net v2 results folders for import tests: dataset.json and plans.json in nnU-Net's own layout, and per fold
// a stand-in checkpoint_final.pth (random bytes) with a tiny network.onnx beside it carrying the export's metadata.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tinyConvOnnx } from './tinyOnnx.js';

export interface ResultsFolderSpec {
  /** trainer__plans__configuration (the folder's name). */
  folderName?: string;
  configuration?: string;
  dataset?: Record<string, unknown>;
  /** Replaces/extends the plans' "3d_fullres" configuration. */
  fullres?: Record<string, unknown>;
  plans?: Record<string, unknown>;
  folds?: string[];
  /** Output channels of the networks; default background + the dataset's labels. */
  outChannels?: number;
  inChannels?: number;
  outputName?: string;
  /** Metadata the export writes; set a key to undefined to leave it out. */
  metadata?: Record<string, string | undefined>;
  /** Write the metadata's checkpoint sha256 of another file (a stale export). */
  staleExport?: boolean;
}

export const TINY_DATASET = {
  channel_names: { '0': 'CT' },
  labels: { background: 0, liver: 1, 'liver tumour': 2, spleen: 3, ignore: 4 },
  numTraining: 3,
  file_ending: '.nii.gz',
  name: 'Tiny',
};

export function tinyPlans(fullres: Record<string, unknown> = {}): Record<string, unknown> {
  const base = {
    data_identifier: 'nnUNetPlans_3d_fullres',
    preprocessor_name: 'DefaultPreprocessor',
    batch_size: 2,
    patch_size: [32, 64, 48],
    median_image_size_in_voxels: [60, 120, 100],
    spacing: [3.0, 0.8, 0.7],
    normalization_schemes: ['CTNormalization'],
    use_mask_for_norm: [false],
    resampling_fn_data: 'resample_data_or_seg_to_shape',
    resampling_fn_seg: 'resample_data_or_seg_to_shape',
    resampling_fn_data_kwargs: { is_seg: false, order: 3, order_z: 0, force_separate_z: null },
    resampling_fn_seg_kwargs: { is_seg: true, order: 1, order_z: 0, force_separate_z: null },
    resampling_fn_probabilities: 'resample_data_or_seg_to_shape',
    resampling_fn_probabilities_kwargs: { is_seg: false, order: 1, order_z: 0, force_separate_z: null },
    architecture: {
      network_class_name: 'dynamic_network_architectures.architectures.unet.PlainConvUNet',
      arch_kwargs: {
        n_stages: 4,
        features_per_stage: [8, 16, 32, 64],
        conv_op: 'torch.nn.modules.conv.Conv3d',
        kernel_sizes: [
          [1, 3, 3],
          [3, 3, 3],
          [3, 3, 3],
          [3, 3, 3],
        ],
        strides: [
          [1, 1, 1],
          [1, 2, 2],
          [2, 2, 2],
          [2, 2, 2],
        ],
        n_conv_per_stage: [2, 2, 2, 2],
        n_conv_per_stage_decoder: [2, 2, 2],
      },
      _kw_requires_import: ['conv_op', 'norm_op', 'dropout_op', 'nonlin'],
    },
    batch_dice: false,
  };
  return {
    dataset_name: 'Dataset042_Tiny',
    plans_name: 'nnUNetPlans',
    original_median_spacing_after_transp: [3.0, 0.8, 0.7],
    original_median_shape_after_transp: [60, 120, 100],
    image_reader_writer: 'SimpleITKIO',
    transpose_forward: [0, 1, 2],
    transpose_backward: [0, 1, 2],
    configurations: {
      '2d': { ...base, patch_size: [128, 96], spacing: [0.8, 0.7], batch_size: 12, data_identifier: 'nnUNetPlans_2d' },
      '3d_lowres': { inherits_from: '3d_fullres', spacing: [4.0, 1.6, 1.4], data_identifier: 'nnUNetPlans_3d_lowres', next_stage: '3d_cascade_fullres' },
      '3d_fullres': { ...base, ...fullres },
      '3d_cascade_fullres': { inherits_from: '3d_fullres', previous_stage: '3d_lowres' },
    },
    experiment_planner_used: 'ExperimentPlanner',
    label_manager: 'LabelManager',
    foreground_intensity_properties_per_channel: {
      '0': { max: 1900.0, mean: 98.5, median: 102.0, min: -1024.0, percentile_00_5: -960.0, percentile_99_5: 1250.0, std: 141.25 },
    },
  };
}

/** Labels besides background and ignore. */
function labelCount(dataset: Record<string, unknown>): number {
  return Object.keys(dataset.labels as object).filter((k) => k !== 'background' && k !== 'ignore').length;
}

/** Writes a results folder under a new temporary folder; returns its path. */
export function makeNnunetResults(spec: ResultsFolderSpec = {}): string {
  const configuration = spec.configuration ?? '3d_fullres';
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'medseg-nnunet-')), spec.folderName ?? `nnUNetTrainer__nnUNetPlans__${configuration}`);
  mkdirSync(dir, { recursive: true });
  const dataset = spec.dataset ?? TINY_DATASET;
  writeFileSync(path.join(dir, 'dataset.json'), JSON.stringify(dataset, null, 2));
  writeFileSync(path.join(dir, 'plans.json'), JSON.stringify(spec.plans ?? tinyPlans(spec.fullres), null, 2));
  for (const fold of spec.folds ?? ['fold_0', 'fold_1']) {
    mkdirSync(path.join(dir, fold));
    const checkpoint = randomBytes(256);
    writeFileSync(path.join(dir, fold, 'checkpoint_final.pth'), checkpoint);
    const sha = createHash('sha256')
      .update(spec.staleExport ? randomBytes(8) : checkpoint)
      .digest('hex');
    const metadata: Record<string, string> = {};
    const wanted: Record<string, string | undefined> = {
      'nnunet.trainer_name': 'nnUNetTrainer',
      'nnunet.plans_name': 'nnUNetPlans',
      'nnunet.configuration': configuration,
      'nnunet.fold': fold.replace('fold_', ''),
      'nnunet.inference_allowed_mirroring_axes': '[0, 1, 2]',
      'nnunet.checkpoint_sha256': sha,
      ...spec.metadata,
    };
    for (const [k, v] of Object.entries(wanted)) if (v !== undefined) metadata[k] = v;
    const onnx = tinyConvOnnx({
      inChannels: spec.inChannels ?? 1,
      outChannels: spec.outChannels ?? labelCount(dataset) + 1,
      outputName: spec.outputName,
      metadata,
    });
    writeFileSync(path.join(dir, fold, 'network.onnx'), onnx);
  }
  return dir;
}
