# Trains models/bodycomp-ct: a small 3D U-Net for skeletal muscle, subcutaneous fat and torso fat on TotalSegmentator's
# example CT (example_ct_sm + example_seg_tissue_types, model-made masks), prepared as medseg's 3D engine runs it (crop to
# non-zero, nnU-Net CT normalisation with the training foreground's statistics, 3 mm grid as stored). Slices
# k >= HOLDOUT_FROM (the upper third) are never read in training, not even for the intensity statistics; the held-out
# Dice there, computed with the engine's sliding window restated in numpy, goes to metrics.json.
import os
import numpy as np
import torch
from unet3d_mr_bc import (
    HERE, UNet3D, crop, ct_normalize, ct_statistics, load_kji, nonzero_bbox, patch_batch, predict_full, random_affine_inplane,
    save_model, slab_dice, train,
)

SEED = 11
STEPS = int(os.environ.get('BODYCOMP_STEPS', '200'))
BATCH = 2  # two patches a step: torch 1.13 runs a batch of one through a conv3d path about 6x slower on CPU
SECONDS = float(os.environ.get('BODYCOMP_SECONDS', '86400'))
# steps actually run (of the STEPS-long cosine schedule): the committed model stopped at its time budget after these
STOP_AFTER = int(os.environ.get('BODYCOMP_STOP_AFTER', '0')) or None
PATCH = (8, 104, 128)  # [k, j, i]: 8 slices of 3 mm, the whole in-plane field
BASE, LEVELS = 8, 3
OUT = os.path.abspath(os.path.join(HERE, '../bodycomp-ct'))
TISSUES = ['skeletal_muscle', 'subcutaneous_fat', 'torso_fat']  # values 1..3
CLASSES = len(TISSUES) + 1

torch.manual_seed(SEED)
torch.set_num_threads(int(os.environ.get('TRAIN_THREADS', '1')))  # the CPU is shared

image, spacing, _ = load_kji('example_ct_sm.nii.gz')
seg = np.zeros(image.shape, np.uint8)
for v, name in enumerate(TISSUES, start=1):
    m, _, _ = load_kji(f'example_seg_tissue_types/{name}.nii.gz', np.uint8)
    assert not (seg[m > 0] > 0).any(), 'tissue masks overlap'
    seg[m > 0] = v
NK = image.shape[0]
HOLDOUT_FROM = NK - NK // 3  # 30 slices: 0..19 train, 20..29 held out
bbox = nonzero_bbox(image)
assert bbox[0] == [0, NK], 'the crop must keep every slice for the slab split to hold'
# Statistics over every voxel of the training slab, not nnU-Net's label foreground: that foreground (fat and muscle only)
# gives a clip window of about -133..63 HU, which makes the air outside the body look like fat to a network this small.
STATS = ct_statistics(image[:HOLDOUT_FROM], np.ones(image[:HOLDOUT_FROM].shape, bool))
x = ct_normalize(crop(image, bbox), STATS)
y = crop(seg, bbox)
rng = np.random.default_rng(SEED)


def augment(px, py):
    # in-plane flips: no lateral labels, and a DICOM series stored L-P sees the same anatomy mirrored from this R-A file
    px, py = random_affine_inplane(rng, px, py, 12, (0.85, 1.15), flip_axes=(1, 2))
    px = px + rng.uniform(-20, 20) / STATS['std']
    if rng.random() < 0.3:
        px = px + rng.normal(0, rng.uniform(0, 15) / STATS['std'], px.shape).astype(np.float32)
    return px, py


def make_batch():
    return patch_batch(rng, x, y, PATCH, (0, HOLDOUT_FROM), BATCH, augment)


def evaluate(net):
    full = predict_full(net, x, bbox, image.shape, PATCH)
    return slab_dice(full, seg, list(enumerate(TISSUES, start=1)), HOLDOUT_FROM), full


if __name__ == '__main__':
    net = UNet3D(CLASSES, BASE, LEVELS)
    print(f'{sum(p.numel() for p in net.parameters())} parameters; train slices 0..{HOLDOUT_FROM - 1}, held out {HOLDOUT_FROM}..{NK - 1}; {STATS}', flush=True)
    steps, seconds = train(net, make_batch, STEPS, SECONDS, log=lambda s: print(s, flush=True), stop_after=STOP_AFTER)
    metrics, _ = evaluate(net)
    save_model(
        net, os.path.join(HERE, 'bodycomp-ct.pt'), OUT, PATCH, metrics, seed=SEED, steps=steps, seconds=seconds, holdout_from=HOLDOUT_FROM,
        nk=NK, extra={'ctNormalization': STATS},
        note='Dice on the held-out slab k >= heldOutSlices[0] of the one training CT (no post-processing). '
             'The masks are TotalSegmentator tissue_types output, not manual.',
    )
