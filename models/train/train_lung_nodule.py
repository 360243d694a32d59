# Trains models/lung-nodule-ct: 2D U-Net on shizoda's MSD Task06 lung-tumour patches (train = val_patches.h5,
# held-out = test_patches.h5, 13 other patients), exports ONNX and writes metrics.json for the model card.
import json, os, sys, time, hashlib
import h5py
import numpy as np
import torch
import torch.nn.functional as F
from unet import UNet2D, export_onnx, dice_iou

SEED = 1234
STEPS = int(os.environ.get('LUNG_STEPS', '1500'))
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.abspath(os.path.join(HERE, '../../../shared/data/msd_lung_tumor_patches_shizoda'))
OUT = os.path.abspath(os.path.join(HERE, '../lung-nodule-ct'))

torch.manual_seed(SEED)
np.random.seed(SEED)
torch.set_num_threads(int(os.environ.get('TRAIN_THREADS', '1')))  # the CPU is shared


def load(name):
    with h5py.File(os.path.join(DATA, name), 'r') as h:
        return h['images'][:].astype(np.float32), (h['labels'][:] > 0.5).astype(np.int64)[:, 0]


xtr, ytr = load('val_patches.h5')
xte, yte = load('test_patches.h5')
rng = np.random.default_rng(SEED)


def augment(x, y):
    # rotations by 90 degrees and flips are plausible for nodules (no left/right anatomy inside a 96 mm patch);
    # intensity jitter stands in for scanner/kernel differences.
    k = rng.integers(4)
    x, y = np.rot90(x, k, axes=(-2, -1)), np.rot90(y, k, axes=(-2, -1))
    if rng.random() < 0.5:
        x, y = x[..., ::-1], y[..., ::-1]
    x = x * rng.uniform(0.9, 1.1) + rng.uniform(-0.05, 0.05) + rng.normal(0, 0.02, x.shape)
    return np.ascontiguousarray(x, dtype=np.float32), np.ascontiguousarray(y)


model = UNet2D(1, 2, base=16, levels=3)
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, STEPS)
t0 = time.time()
for step in range(STEPS):
    idx = rng.integers(0, len(xtr), 16)
    xb, yb = zip(*(augment(xtr[i], ytr[i]) for i in idx))
    xb, yb = torch.from_numpy(np.stack(xb)), torch.from_numpy(np.stack(yb))
    logits = model(xb)
    prob = logits.softmax(1)[:, 1]
    soft_dice = 1 - (2 * (prob * yb).sum() + 1) / (prob.sum() + yb.sum() + 1)
    loss = F.cross_entropy(logits, yb) + soft_dice
    opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    if step % 50 == 0:
        print(f'step {step} loss {loss.item():.4f} {time.time() - t0:.0f}s', flush=True)

model.eval()
with torch.no_grad():
    pred = model(torch.from_numpy(xte)).argmax(1).numpy().astype(bool)
truth = yte.astype(bool)
dice_all, iou_all = dice_iou(pred, truth)
per_patch = [dice_iou(p, t)[0] for p, t in zip(pred, truth) if t.any()]
metrics = {
    'heldOut': 'test_patches.h5 (13 patients not in training)',
    'pooledDice': dice_all, 'pooledIou': iou_all,
    'meanPatchDice': float(np.mean(per_patch)), 'medianPatchDice': float(np.median(per_patch)),
    'patchesWithTumor': len(per_patch),
    'falsePositivePatches': int(sum(1 for p, t in zip(pred, truth) if not t.any() and p.any())),
    'emptyPatches': int(sum(1 for t in truth if not t.any())),
    'steps': STEPS, 'seed': SEED, 'trainSeconds': round(time.time() - t0, 1),
}
print(json.dumps(metrics, indent=1))
os.makedirs(OUT, exist_ok=True)
export_onnx(model, os.path.join(OUT, 'model.onnx'), 1)
torch.save(model.state_dict(), os.path.join(HERE, 'lung-nodule-ct.pt'))
with open(os.path.join(OUT, 'metrics.json'), 'w') as f:
    json.dump(metrics, f, indent=1)
