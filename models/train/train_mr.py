# Trains models/mr-demo: a small 3D U-Net for seven abdominal structures on TotalSegmentator's example MR
# (example_mr_sm + example_seg_mr, model-made labels), prepared as medseg's 3D engine runs it (crop to non-zero,
# per-image z-score, 3 mm grid as stored). Slices k >= HOLDOUT_FROM (the upper third) are never read in training;
# the held-out Dice there, computed with the engine's sliding window restated in numpy, goes to metrics.json.
import os
import numpy as np
import torch
from unet3d_mr_bc import (
    HERE, UNet3D, crop, keep_largest, load_kji, nonzero_bbox, patch_batch, predict_full, random_affine_inplane, save_model,
    slab_dice, train, zscore,
)

SEED = 7
STEPS = int(os.environ.get('MR_STEPS', '900'))
SECONDS = float(os.environ.get('MR_SECONDS', '86400'))
# steps actually run (of the STEPS-long cosine schedule): the committed model stopped at its time budget after these
STOP_AFTER = int(os.environ.get('MR_STOP_AFTER', '415')) or None
PATCH = (8, 96, 120)  # [k, j, i]: 8 slices of 3 mm, the whole in-plane field
BASE, LEVELS = 8, 3
OUT = os.path.abspath(os.path.join(HERE, '../mr-demo'))
# our value -> labels_total_mr.csv value
LABELS = [(1, 'liver', 5), (2, 'spleen', 1), (3, 'kidney_right', 2), (4, 'kidney_left', 3), (5, 'stomach', 6), (6, 'vertebrae', 19),
          (7, 'autochthon_left', 46), (8, 'autochthon_right', 47)]
ORGANS = [1, 2, 3, 4, 5]  # one piece each: largest component kept
CLASSES = len(LABELS) + 1

torch.manual_seed(SEED)
torch.set_num_threads(int(os.environ.get('TRAIN_THREADS', '1')))  # the CPU is shared

image, spacing, _ = load_kji('example_mr_sm.nii.gz')
seg_raw, _, _ = load_kji('example_seg_mr.nii.gz', np.uint8)
seg = np.zeros(seg_raw.shape, np.uint8)
for ours, _, theirs in LABELS:
    seg[seg_raw == theirs] = ours
NK = image.shape[0]
HOLDOUT_FROM = NK - NK // 3  # 20 slices: 0..13 train, 14..19 held out
bbox = nonzero_bbox(image)
assert bbox[0] == [0, NK], 'the crop must keep every slice for the slab split to hold'
x = zscore(crop(image, bbox))  # over the whole image, as the engine normalises the image it is given
y = crop(seg, bbox)
rng = np.random.default_rng(SEED)


def augment(px, py):
    px, py = random_affine_inplane(rng, px, py, 12, (0.85, 1.15))  # no flips: left and right organs differ by side only
    px = px * rng.uniform(0.85, 1.15) + rng.uniform(-0.15, 0.15)
    if rng.random() < 0.3:
        px = px + rng.normal(0, rng.uniform(0, 0.1), px.shape).astype(np.float32)
    return px, py


def make_batch():
    return patch_batch(rng, x, y, PATCH, (0, HOLDOUT_FROM), 2, augment)


def evaluate(net):
    full = predict_full(net, x, bbox, image.shape, PATCH)
    full = keep_largest(full, ORGANS)
    return slab_dice(full, seg, [(ours, name) for ours, name, _ in LABELS], HOLDOUT_FROM), full


if __name__ == '__main__':
    net = UNet3D(CLASSES, BASE, LEVELS)
    print(f'{sum(p.numel() for p in net.parameters())} parameters; train slices 0..{HOLDOUT_FROM - 1}, held out {HOLDOUT_FROM}..{NK - 1}', flush=True)
    steps, seconds = train(net, make_batch, STEPS, SECONDS, log=lambda s: print(s, flush=True), stop_after=STOP_AFTER)
    metrics, _ = evaluate(net)
    save_model(
        net, os.path.join(HERE, 'mr-demo.pt'), OUT, PATCH, metrics, seed=SEED, steps=steps, seconds=seconds, holdout_from=HOLDOUT_FROM, nk=NK,
        note='Dice after the engine post-processing (largest piece per organ), on the held-out slab k >= heldOutSlices[0] of the '
             'one training volume; null where a label is absent from both prediction and truth there. Labels are TotalSegmentator output.',
    )
