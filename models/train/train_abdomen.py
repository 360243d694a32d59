# Trains models/abdomen-ct: 2D U-Net (axial slices, 3 mm in-plane) for six organs + liver tumour on
# TotalSegmentator's example CT (model-made organ labels) with synthetic hypodense liver lesions; evaluates on the
# separate 20-slice DICOM series (organs) and on lesions drawn with a different seed; exports ONNX + metrics.json.
import json, os, subprocess, tempfile, time
import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from unet import UNet2D, export_onnx, dice_iou

SEED = 2024
STEPS = int(os.environ.get('ABDOMEN_STEPS', '700'))
# Stage B fine-tunes with contrast-phase augmentation. It was added after stage A's held-out check showed 44 mL of
# false tumour on the portal-venous held-out series (liver 89 HU vs 45 HU in training): fluid next to a bright
# liver looked like a lesion. Stage B has its own seed, so resuming from saved stage-A weights gives the same model.
STEPS_B = int(os.environ.get('ABDOMEN_STEPS_B', '300'))
SPACING_MM = 3.0
CANVAS = 128  # training canvas; multiple of 2**LEVELS
LEVELS = 4
CLIP_HU = (-200.0, 300.0)
MEAN_HU, SD_HU = 50.0, 250.0  # maps the clip window to [-1, 1]
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.abspath(os.path.join(HERE, '../../../shared/data/totalsegmentator_example'))
OUT = os.path.abspath(os.path.join(HERE, '../abdomen-ct'))
# our value -> TotalSegmentator v2 "total" value (labels_total.csv)
LABELS = [(1, 'liver', 5), (2, 'spleen', 1), (3, 'kidney_right', 2), (4, 'kidney_left', 3), (5, 'pancreas', 7), (6, 'aorta', 52)]
TUMOR = 7
CLASSES = 8

torch.manual_seed(SEED)
torch.set_num_threads(int(os.environ.get('TRAIN_THREADS', '1')))  # the CPU is shared


def to_lps(img):
    """Array indexed [i,j,k] with i->L, j->P, k->S (the engine's canonical grid), and its spacing."""
    can = nib.as_closest_canonical(img)  # RAS
    data = np.asarray(can.dataobj)[::-1, ::-1, :]  # R->L, A->P
    return np.ascontiguousarray(data), np.abs(np.diag(can.affine)[:3])


def map_labels(seg):
    out = np.zeros(seg.shape, np.uint8)
    for ours, _, theirs in LABELS:
        out[seg == theirs] = ours
    return out


def normalise(hu):
    return ((np.clip(hu, *CLIP_HU) - MEAN_HU) / SD_HU).astype(np.float32)


def lesion_field(rng, shape, centre_vox, spacing, diameter_mm):
    """Soft (0..1) blob on a grid of `shape` (any dims) with physical spacing; irregular outline, blurred edge."""
    grids = np.meshgrid(*[(np.arange(n) - c) * s for n, c, s in zip(shape, centre_vox, spacing)], indexing='ij')
    axes = diameter_mm / 2 * rng.uniform(0.7, 1.0, 3)
    rot = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    pts = np.stack(grids + [np.zeros_like(grids[0])] * (3 - len(grids)), -1) @ rot
    d = np.sqrt(((pts / axes) ** 2).sum(-1))
    wobble = ndimage.gaussian_filter(rng.normal(size=shape), 3)
    wobble /= np.abs(wobble).max() + 1e-6
    d = d * (1 + 0.15 * wobble)
    edge = rng.uniform(0.05, 0.2)
    with np.errstate(over='ignore'):  # far from the blob exp overflows to inf, which correctly gives 0
        return 1 / (1 + np.exp((d - 1) / edge))


def insert_lesion(rng, hu, lab, spacing, centre, diameter_mm):
    """Darkens the liver around centre; returns the tumour voxel mask (soft > 0.5 inside liver)."""
    m = lesion_field(rng, hu.shape, centre, spacing, diameter_mm)
    liver = lab == 1
    texture = ndimage.gaussian_filter(rng.normal(size=hu.shape), 1.0) * rng.uniform(5, 25)
    contrast = rng.uniform(25, 80)
    hu -= (m * (contrast + texture)).astype(hu.dtype) * liver
    tumour = (m > 0.5) & liver
    lab[tumour] = TUMOR
    return tumour


def pad_to(a, h, w, value):
    out = np.full((h, w) + a.shape[2:], value, a.dtype)
    oh, ow = (h - a.shape[0]) // 2, (w - a.shape[1]) // 2
    out[oh:oh + a.shape[0], ow:ow + a.shape[1]] = a
    return out


# training volume: example_ct_sm with example_seg (same 122x101x30 grid, 3 mm)
ct, sp = to_lps(nib.load(os.path.join(DATA, 'example_ct_sm.nii.gz')))
seg, _ = to_lps(nib.load(os.path.join(DATA, 'example_seg.nii.gz')))
assert np.allclose(sp, SPACING_MM)
ct = ct.astype(np.float32)
lab = map_labels(seg)
slices = [(ct[:, :, k].T.copy(), lab[:, :, k].T.copy()) for k in range(ct.shape[2])]  # [row=j, col=i]


def sample(rng, enhance=False):
    hu, y = slices[rng.integers(len(slices))]
    hu, y = hu.copy(), y.copy()
    if enhance and rng.random() < 0.8:
        # contrast phases: parenchymal organs and the aorta brighten by different amounts
        for v, lo, hi in [(1, -10, 70), (2, -10, 80), (3, -10, 150), (4, -10, 150), (5, -10, 50), (6, 0, 250)]:
            hu[y == v] += rng.uniform(lo, hi)
    liver = np.argwhere(y == 1)
    if len(liver) and rng.random() < 0.6:
        for _ in range(rng.integers(1, 3)):
            c = liver[rng.integers(len(liver))]
            diam = float(np.exp(rng.uniform(np.log(5), np.log(60))))
            # a 2D cut through a 3D lesion: random offset of the slice from the lesion centre
            dz = rng.uniform(-0.4, 0.4) * diam
            m3 = lesion_field(rng, hu.shape + (1,), (c[0], c[1], 0), (SPACING_MM, SPACING_MM, 1.0), diam)[..., 0]
            scale = max(1e-3, 1 - (2 * dz / diam) ** 2)
            m = np.clip((m3 - (1 - scale) * 0.5) / scale, 0, 1) if scale < 1 else m3
            texture = ndimage.gaussian_filter(rng.normal(size=hu.shape), 1.0) * rng.uniform(5, 25)
            inside = y == 1
            hu -= (m * (rng.uniform(25, 80) + texture)) * inside
            y[(m > 0.5) & inside] = TUMOR
    # scanner variation: gain/offset, noise, occasional blur (thicker slices / softer kernel)
    hu = hu * rng.uniform(0.93, 1.07) + rng.uniform(-25, 25)
    if rng.random() < 0.3:
        hu = ndimage.gaussian_filter(hu, rng.uniform(0.3, 1.0))
    hu = hu + rng.normal(0, rng.uniform(0, 20), hu.shape)
    return pad_to(normalise(hu), CANVAS, CANVAS, normalise(np.float32(-1024))), pad_to(y, CANVAS, CANVAS, 0)


def spatial_augment(x, y, rng):
    """Random rotation (+-12 deg), scale (0.8-1.25) and shift, same for image (bilinear) and labels (nearest). No flips:
    left and right kidney differ only by side."""
    n = x.shape[0]
    th = np.zeros((n, 2, 3), np.float32)
    for b in range(n):
        a = np.deg2rad(rng.uniform(-12, 12)); s = rng.uniform(0.8, 1.25)
        th[b, :, :2] = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) / s
        th[b, :, 2] = rng.uniform(-0.1, 0.1, 2)
    grid = F.affine_grid(torch.from_numpy(th), list(x.shape), align_corners=False)
    bg = normalise(np.float32(-1024))
    x = F.grid_sample(x - bg, grid, mode='bilinear', padding_mode='zeros', align_corners=False) + bg
    y = F.grid_sample(y[:, None].float(), grid, mode='nearest', padding_mode='zeros', align_corners=False)[:, 0].long()
    return x, y


def postprocess(pred):
    """The engine's post-processing (manifest.json): largest 6-connected piece per organ, then tumour pieces whose
    face-neighbour shell is less than half liver are dropped."""
    pred = pred.copy()
    for v, _, _ in LABELS:
        lab, n = ndimage.label(pred == v)
        if n > 1:
            sizes = ndimage.sum(np.ones_like(lab), lab, range(1, n + 1))
            pred[(lab > 0) & (lab != 1 + int(np.argmax(sizes)))] = 0
    lab, n = ndimage.label(pred == TUMOR)
    for c in range(1, n + 1):
        comp = lab == c
        shell = ndimage.binary_dilation(comp) & ~comp
        if (pred[shell] == 1).mean() < 0.5:
            pred[comp] = 0
    return pred


def predict_slices(model, vol_norm):
    """vol_norm [i,j,k] normalised; returns argmax labels [i,j,k] from whole slices padded to 16."""
    out = np.zeros(vol_norm.shape, np.uint8)
    h, w = vol_norm.shape[1], vol_norm.shape[0]
    H, W = -(-h // 16) * 16, -(-w // 16) * 16
    with torch.no_grad():
        for k in range(vol_norm.shape[2]):
            x = pad_to(vol_norm[:, :, k].T, H, W, normalise(np.float32(-1024)))
            p = model(torch.from_numpy(x)[None, None]).argmax(1)[0].numpy()
            oh, ow = (H - h) // 2, (W - w) // 2
            out[:, :, k] = p[oh:oh + h, ow:ow + w].T
    return out


def load_heldout():
    """The 20-slice DICOM series (a separate acquisition) converted with dcm2niix, resampled in-plane to 3 mm."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(['dcm2niix', '-z', 'n', '-f', 'ct', '-o', tmp, os.path.join(DATA, 'example_ct_dicom')],
                       check=True, capture_output=True)
        ct_img = nib.load(os.path.join(tmp, 'ct.nii'))
        hu, sp = to_lps(ct_img)
        hu = hu.astype(np.float32)
    seg, sp2 = to_lps(nib.load(os.path.join(DATA, 'example_seg_dicom.nii.gz')))
    assert hu.shape == seg.shape and np.allclose(sp, sp2, atol=1e-3)
    zoom = (sp[0] / SPACING_MM, sp[1] / SPACING_MM, 1.0)
    return ndimage.zoom(hu, zoom, order=1), ndimage.zoom(map_labels(seg), zoom, order=0), (SPACING_MM, SPACING_MM, sp[2])


def train_steps(model, rng, opt, sched, steps, enhance, t0):
    weights = torch.tensor([0.5, 1, 1.5, 1.5, 1.5, 3, 2, 2], dtype=torch.float32)
    for step in range(steps):
        xb, yb = zip(*(sample(rng, enhance) for _ in range(8)))
        x, y = spatial_augment(torch.from_numpy(np.stack(xb))[:, None], torch.from_numpy(np.stack(yb).astype(np.int64)), rng)
        logits = model(x)
        prob = logits.softmax(1)
        onehot = F.one_hot(y, CLASSES).permute(0, 3, 1, 2).float()
        inter = (prob * onehot).sum((0, 2, 3)); denom = prob.sum((0, 2, 3)) + onehot.sum((0, 2, 3))
        soft_dice = 1 - ((2 * inter + 1) / (denom + 1))[1:].mean()
        loss = F.cross_entropy(logits, y, weight=weights) + soft_dice
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
        if step % 25 == 0:
            print(f'{"B" if enhance else "A"} step {step} loss {loss.item():.4f} {time.time() - t0:.0f}s', flush=True)


def main():
    model = UNet2D(1, CLASSES, base=12, levels=LEVELS)
    t0 = time.time()
    stage_a = os.path.join(HERE, 'abdomen-ct-stage-a.pt')
    if os.environ.get('ABDOMEN_EVAL_ONLY') == '1':
        pass
    elif os.environ.get('ABDOMEN_RESUME_STAGE_A') == '1' and os.path.exists(stage_a):
        model.load_state_dict(torch.load(stage_a))
    else:
        rng = np.random.default_rng(SEED)
        opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=STEPS, pct_start=0.1)
        train_steps(model, rng, opt, sched, STEPS, False, t0)
        torch.save(model.state_dict(), stage_a)
    if os.environ.get('ABDOMEN_EVAL_ONLY') == '1':
        # re-measures the saved final model (same held-out data and lesion seed) without training
        model.load_state_dict(torch.load(os.path.join(HERE, 'abdomen-ct.pt')))
        train_seconds = None
    else:
        rng_b = np.random.default_rng(SEED + 1000)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, STEPS_B)
        train_steps(model, rng_b, opt, sched, STEPS_B, True, t0)
        train_seconds = time.time() - t0
    model.eval()
    os.makedirs(OUT, exist_ok=True)
    if train_seconds is not None:
        torch.save(model.state_dict(), os.path.join(HERE, 'abdomen-ct.pt'))
        export_onnx(model, os.path.join(OUT, 'model.onnx'), 1)

    # held-out organs: a different series, never seen in training
    hu, truth, sp = load_heldout()
    pred_raw = predict_slices(model, normalise(hu))
    pred = postprocess(pred_raw)
    organs = {}
    for v, name, _ in LABELS:
        d, iou = dice_iou(pred == v, truth == v)
        organs[name] = {'dice': d, 'iou': iou, 'truthVoxels': int((truth == v).sum()), 'predVoxels': int((pred == v).sum())}
    # held-out lesions: drawn with another seed into the held-out series' liver, one at a time, known volume
    lrng = np.random.default_rng(SEED + 1)
    lesions = []
    voxel_ml = sp[0] * sp[1] * sp[2] / 1000
    liver_idx = np.argwhere(truth == 1)
    for diam in [8, 12, 15, 20, 25, 30, 40, 50]:
        h2, t2 = hu.copy(), truth.copy()
        # centre well inside the liver so most of the lesion is in it
        inner = ndimage.binary_erosion(truth == 1, iterations=3)
        cands = np.argwhere(inner) if inner.any() else liver_idx
        c = cands[lrng.integers(len(cands))]
        tum = insert_lesion(lrng, h2, t2, sp, c, diam)
        p2_raw = predict_slices(model, normalise(h2))
        p2 = postprocess(p2_raw)
        d, iou = dice_iou(p2 == TUMOR, tum)
        lesions.append({'diameterMm': diam, 'knownVolumeMl': round(float(tum.sum()) * voxel_ml, 2),
                        'predictedVolumeMl': round(float((p2 == TUMOR).sum()) * voxel_ml, 2), 'dice': d, 'iou': iou,
                        'diceWithoutPostprocess': dice_iou(p2_raw == TUMOR, tum)[0]})
    # false tumour on the clean held-out series
    fp_ml = float((pred == TUMOR).sum()) * voxel_ml
    fp_raw_ml = float((pred_raw == TUMOR).sum()) * voxel_ml
    metrics = {'steps': STEPS, 'stepsB': STEPS_B, 'seed': SEED, 'trainSeconds': None if train_seconds is None else round(train_seconds, 1), 'heldOutOrgans': organs,
               'heldOutLesions': lesions, 'falseTumourMlOnCleanHeldOut': round(fp_ml, 2),
               'falseTumourMlOnCleanHeldOutWithoutPostprocess': round(fp_raw_ml, 2),
               'note': 'organ and lesion figures after the engine post-processing (largest piece per organ, tumour inside liver)'}
    print(json.dumps(metrics, indent=1))
    with open(os.path.join(OUT, 'metrics.json'), 'w') as f:
        json.dump(metrics, f, indent=1)


if __name__ == '__main__':
    main()
