# Held-out comparison of the bundled abdomen models as the app runs them: each model through `medseg segment` (the
# TypeScript engine, CPU, one thread) on the separate 20-slice DICOM series, compared on the series grid
# (512 x 512 x 20, 0.98 x 0.98 x 2 mm) with TotalSegmentator's labels of it (example_seg_dicom.nii.gz): Dice, IoU and
# volume error (mL) per organ, false liver tumour (the series has none) and time; then synthetic liver lesions of
# known volume drawn (seed 2025) into the same series, one per run. Writes models/abdomen-ct-3d/metrics.json.
# Needs `npm run build` (the CLI runs from dist/). Run by train_abdomen_3d.py; alone: /usr/bin/python3 eval_abdomen_models.py
import json, os, subprocess, tempfile, time
import nibabel as nib
import numpy as np
from train_abdomen import to_lps, map_labels, insert_lesion, LABELS, TUMOR, DATA
from unet import dice_iou

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '../..'))
OUT = os.path.join(REPO, 'models/abdomen-ct-3d/metrics.json')
MODELS = ['abdomen-ct', 'abdomen-ct-3d']
SERIES = os.path.join(DATA, 'example_ct_dicom')
LESION_SEED = 2025
LESION_DIAMETERS_MM = [int(d) for d in os.environ.get('EVAL_LESION_DIAMETERS_MM', '10,20,30,50').split(',') if d]
THREADS = '1'


def segment(path, model, out, extra=()):
    """Runs the CLI; returns (labels as an LPS [i, j, k] array, the JSON report, wall seconds)."""
    t0 = time.time()
    r = subprocess.run(['node', os.path.join(REPO, 'bin/medseg.js'), 'segment', path, '--model', model, '--device', 'cpu',
                        '--threads', THREADS, '-o', out, '--json', *extra], capture_output=True, text=True)
    wall = time.time() - t0
    if r.returncode != 0:
        raise RuntimeError(f'medseg segment {model} failed: {r.stdout} {r.stderr}')
    labels, _ = to_lps(nib.load(out))
    return labels, json.loads(r.stdout), wall


def lps_affine(img):
    """The affine of to_lps(img)'s array (canonical RAS with the first two axes reversed)."""
    can = nib.as_closest_canonical(img)
    flip = np.diag([-1.0, -1.0, 1.0, 1.0])
    flip[0, 3] = can.shape[0] - 1
    flip[1, 3] = can.shape[1] - 1
    return can.affine @ flip


def main():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(['dcm2niix', '-z', 'n', '-f', 'ct', '-o', tmp, SERIES], check=True, capture_output=True)
        ct_img = nib.load(os.path.join(tmp, 'ct.nii'))
        hu, sp = to_lps(ct_img)
        hu = hu.astype(np.float32)
        affine = lps_affine(ct_img)
        truth_img = nib.load(os.path.join(DATA, 'example_seg_dicom.nii.gz'))
        truth = map_labels(to_lps(truth_img)[0])
        assert truth.shape == hu.shape
        voxel_ml = float(np.prod(sp)) / 1000
        results = {}
        for model in MODELS:
            pred, report, wall = segment(SERIES, model, os.path.join(tmp, f'{model}.nii.gz'))
            assert pred.shape == truth.shape
            organs = {}
            for v, name, _ in LABELS:
                d, iou = dice_iou(pred == v, truth == v)
                truth_ml, pred_ml = float((truth == v).sum()) * voxel_ml, float((pred == v).sum()) * voxel_ml
                organs[name] = {'dice': d, 'iou': iou, 'truthMl': round(truth_ml, 2), 'predictedMl': round(pred_ml, 2),
                                'volumeErrorMl': round(pred_ml - truth_ml, 2)}
            results[model] = {'organs': organs, 'falseTumourMl': round(float((pred == TUMOR).sum()) * voxel_ml, 2),
                              'engineSeconds': round(report['seconds'], 2), 'wallSeconds': round(wall, 2),
                              'sha256': report['model']['sha256'], 'lesions': []}
            print(model, json.dumps(results[model]), flush=True)
        # synthetic lesions: the same lesion (same seed, same draw) for both models, written as LPS-ordered NIfTI
        lrng = np.random.default_rng(LESION_SEED)
        from scipy import ndimage
        inner = ndimage.binary_erosion(truth == 1, iterations=5)
        for diam in LESION_DIAMETERS_MM:
            h2, t2 = hu.copy(), truth.copy()
            cands = np.argwhere(inner)
            c = cands[lrng.integers(len(cands))]
            tum = insert_lesion(lrng, h2, t2, sp, c, diam)
            path = os.path.join(tmp, f'lesion{diam}.nii.gz')
            nib.save(nib.Nifti1Image(np.round(h2).astype(np.int16), affine), path)
            for model in MODELS:
                pred, report, _ = segment(path, model, os.path.join(tmp, f'{model}-l{diam}.nii.gz'), ['--modality', 'CT'])
                d, iou = dice_iou(pred == TUMOR, tum)
                results[model]['lesions'].append({'diameterMm': diam, 'knownVolumeMl': round(float(tum.sum()) * voxel_ml, 2),
                                                  'predictedVolumeMl': round(float((pred == TUMOR).sum()) * voxel_ml, 2),
                                                  'dice': d, 'iou': iou})
                print(model, diam, results[model]['lesions'][-1], flush=True)
    training_path = os.path.join(REPO, 'models/abdomen-ct-3d/training.json')
    metrics = {
        'heldOut': {'series': 'totalsegmentator_example/example_ct_dicom (20 slices, 0.98 x 0.98 x 2 mm)',
                    'reference': 'example_seg_dicom.nii.gz (TotalSegmentator output, not manual)',
                    'grid': 'the series grid, after each model\'s engine post-processing',
                    'run': f'medseg segment --device cpu --threads {THREADS} (times on a shared, loaded 2-core machine)',
                    'lesionSeed': LESION_SEED},
        'models': results,
        'training': json.load(open(training_path)) if os.path.exists(training_path) else None,
    }
    with open(OUT, 'w') as f:
        json.dump(metrics, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
