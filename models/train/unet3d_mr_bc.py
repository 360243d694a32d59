# The small 3D U-Net and the nnU-Net-style pre/post-processing shared by train_mr.py and train_bodycomp.py: the data
# are prepared exactly as medseg's 3D engine (shared/domain/nnunet) will prepare them, and the held-out numbers are
# computed with a numpy re-statement of that engine's sliding window (float16 sums), so metrics.json is what
# `medseg segment` reproduces.
import hashlib, json, os, time
import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from unet import UNet3D  # noqa: F401 (re-exported: the training scripts import it from here)

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.abspath(os.path.join(HERE, '../../../shared/data/totalsegmentator_example'))


def export_onnx(model, path, patch):
    """Input `input` [N,1,Z,Y,X], output `logits`, dynamic batch and spatial axes, opset 17 (as the nnU-Net export)."""
    model.eval()
    axes = {0: 'batch', 2: 'z', 3: 'y', 4: 'x'}
    torch.onnx.export(
        model, torch.zeros(1, 1, *patch), path, opset_version=17,
        input_names=['input'], output_names=['logits'], dynamic_axes={'input': axes, 'logits': axes}, do_constant_folding=True,
    )


def load_kji(name, dtype=np.float32):
    """A NIfTI file as medseg's 3D engine sees it: the stored array (no reorientation) as [k, j, i], spacing [sk, sj, si]."""
    img = nib.load(os.path.join(DATA, name))
    a = np.asarray(img.dataobj).transpose(2, 1, 0)
    return np.ascontiguousarray(a.astype(dtype)), [float(s) for s in img.header.get_zooms()[:3]][::-1], img


def nonzero_bbox(image):
    """nnU-Net's crop: bounding box of the non-zero mask with holes filled, [[lo, hi), ...]."""
    mask = ndimage.binary_fill_holes(image != 0)
    w = np.argwhere(mask)
    return [[int(lo), int(hi) + 1] for lo, hi in zip(w.min(0), w.max(0))]


def crop(a, bbox):
    return a[bbox[0][0]:bbox[0][1], bbox[1][0]:bbox[1][1], bbox[2][0]:bbox[2][1]]


def zscore(image):
    """nnU-Net ZScoreNormalization over the whole (cropped) image, float32 like the engine."""
    x = image.astype(np.float32)
    mean = np.float32(x.astype(np.float64).mean())
    sd = np.float32(max(x.astype(np.float64).std(), 1e-8))
    return ((x - mean) / sd).astype(np.float32)


def ct_statistics(image, foreground):
    """nnU-Net's foreground intensity properties (all foreground voxels here, not a sample)."""
    v = image[foreground].astype(np.float64)
    return {'mean': float(v.mean()), 'std': float(v.std()), 'percentile00_5': float(np.percentile(v, 0.5)), 'percentile99_5': float(np.percentile(v, 99.5))}


def ct_normalize(image, s):
    x = np.clip(image.astype(np.float32), np.float32(s['percentile00_5']), np.float32(s['percentile99_5']))
    return ((x - np.float32(s['mean'])) / np.float32(max(s['std'], 1e-8))).astype(np.float32)


def padding_to_patch(shape, patch):
    out = []
    for s, p in zip(shape, patch):
        d = max(p, s) - s
        out.append((d // 2, d // 2 + d % 2))
    return out


def window_steps(size, patch, step):
    out = []
    for s, p in zip(size, patch):
        n = int(np.ceil((s - p) / (p * step))) + 1
        actual = (s - p) / (n - 1) if n > 1 else 99999999999
        out.append([int(np.round(actual * i)) for i in range(n)])
    return out


def gaussian_map(patch, scale=1 / 8, value=10):
    """The importance map (sigma = patch/8, max 10, float16, zeros replaced by the smallest non-zero)."""
    ks = []
    for p in patch:
        sigma = p * scale
        r = int(np.floor(4 * sigma + 0.5))
        phi = np.exp(-0.5 / sigma ** 2 * np.arange(-r, r + 1) ** 2)
        phi /= phi.sum()
        c = p // 2
        ks.append(np.array([phi[i - c + r] if abs(i - c) <= r else 0.0 for i in range(p)]))
    m = ks[0][patch[0] // 2] * ks[1][patch[1] // 2] * ks[2][patch[2] // 2]
    g = ((ks[0][:, None, None] * ks[1][None, :, None]) * ks[2][None, None, :] / (m / value)).astype(np.float16)
    g[g == 0] = g[g > 0].min()
    return g


def predict_cropped(net, x, patch, step=0.5):
    """Sliding window on a normalised, cropped image as medseg's engine runs it: pad with 0, Gaussian weights, float16
    sums (float32 products), no mirroring; returns the labels on the cropped grid."""
    pads = padding_to_patch(x.shape, patch)
    xp = np.pad(x, pads)
    g = gaussian_map(patch)
    g32 = g.astype(np.float32)
    net.eval()
    sums = None
    weights = np.zeros(xp.shape, np.float16)
    steps = window_steps(xp.shape, patch, step)
    with torch.no_grad():
        for a in steps[0]:
            for b in steps[1]:
                for c in steps[2]:
                    sl = (slice(a, a + patch[0]), slice(b, b + patch[1]), slice(c, c + patch[2]))
                    logits = net(torch.from_numpy(np.ascontiguousarray(xp[sl]))[None, None])[0].numpy()
                    if sums is None:
                        sums = np.zeros((logits.shape[0],) + xp.shape, np.float16)
                    sums[(slice(None),) + sl] = (sums[(slice(None),) + sl].astype(np.float32) + logits * g32).astype(np.float16)
                    weights[sl] = (weights[sl].astype(np.float32) + g32).astype(np.float16)
    avg = (sums.astype(np.float32) / weights.astype(np.float32)).astype(np.float16)
    un = avg[:, pads[0][0]:pads[0][0] + x.shape[0], pads[1][0]:pads[1][0] + x.shape[1], pads[2][0]:pads[2][0] + x.shape[2]]
    return np.argmax(un, axis=0).astype(np.uint8)


def predict_full(net, x, bbox, shape, patch):
    """predict_cropped on the cropped image `x`, put back on the whole grid of `shape` (0 outside the crop box)."""
    full = np.zeros(shape, np.uint8)
    full[bbox[0][0]:bbox[0][1], bbox[1][0]:bbox[1][1], bbox[2][0]:bbox[2][1]] = predict_cropped(net, x, patch)
    return full


def keep_largest(labels, values):
    """The engine's 'largest-component' post-processing (6-connected; a tie keeps the first piece in scan order)."""
    out = labels.copy()
    for v in values:
        comp, n = ndimage.label(out == v)
        if n <= 1:
            continue
        sizes = np.bincount(comp.ravel())[1:]
        out[(comp > 0) & (comp != int(np.argmax(sizes)) + 1)] = 0
    return out


def dice(pred, truth):
    a, b = int(pred.sum()), int(truth.sum())
    if a + b == 0:
        return None
    return 2.0 * int((pred & truth).sum()) / (a + b)


def random_affine_inplane(rng, x, y, rot_deg, scale, flip_axes=()):
    """Rotation/scale about the slab centre within each axial plane (axes 1, 2), linear image, nearest labels."""
    ang = np.deg2rad(rng.uniform(-rot_deg, rot_deg))
    s = rng.uniform(*scale)
    m = np.array([[1, 0, 0], [0, np.cos(ang) / s, -np.sin(ang) / s], [0, np.sin(ang) / s, np.cos(ang) / s]])
    c = (np.array(x.shape) - 1) / 2
    off = c - m @ c
    xa = ndimage.affine_transform(x, m, off, order=1, mode='constant', cval=0.0)
    ya = ndimage.affine_transform(y, m, off, order=0, mode='constant', cval=0)
    for ax in flip_axes:
        if rng.random() < 0.5:
            xa, ya = np.flip(xa, ax), np.flip(ya, ax)
    return xa, ya


def sample_patch(rng, x, y, patch, z_range):
    """A training patch from slices z_range[0]..z_range[1]-1 only (the held-out slab is never read); in-plane the
    image is placed at a random offset on a zero canvas of the patch size (or cropped at random when larger)."""
    z0 = rng.integers(z_range[0], max(z_range[0], z_range[1] - patch[0]) + 1)
    z1 = min(z0 + patch[0], z_range[1])
    xs, ys = x[z0:z1], y[z0:z1]
    cx = np.zeros(patch, np.float32)
    cy = np.zeros(patch, np.int64)
    src, dst = [slice(0, z1 - z0)], [slice(0, z1 - z0)]
    for ax in (1, 2):
        n, p = xs.shape[ax], patch[ax]
        if n <= p:
            o = rng.integers(0, p - n + 1)
            src.append(slice(0, n))
            dst.append(slice(o, o + n))
        else:
            o = rng.integers(0, n - p + 1)
            src.append(slice(o, o + p))
            dst.append(slice(0, p))
    cx[tuple(dst)] = xs[tuple(src)]
    cy[tuple(dst)] = ys[tuple(src)]
    return cx, cy


def patch_batch(rng, x, y, patch, z_range, n, augment):
    """A training batch of `n` patches from sample_patch, each passed through augment(px, py) -> (px, py); returns
    torch tensors [n, 1, *patch] float32 and [n, *patch] int64."""
    xs, ys = [], []
    for _ in range(n):
        px, py = augment(*sample_patch(rng, x, y, patch, z_range))
        xs.append(np.ascontiguousarray(px, dtype=np.float32))
        ys.append(np.ascontiguousarray(py))
    return torch.from_numpy(np.stack(xs)[:, None]), torch.from_numpy(np.stack(ys))


def soft_dice_loss(logits, target, classes):
    p = torch.softmax(logits, 1)
    oh = F.one_hot(target, classes).permute(0, 4, 1, 2, 3).float()
    dims = (0, 2, 3, 4)
    inter = (p * oh).sum(dims)
    den = p.sum(dims) + oh.sum(dims)
    return 1 - ((2 * inter + 1) / (den + 1))[1:].mean()


def train(net, make_batch, steps, seconds, lr=3e-3, log_every=100, log=print, stop_after=None):
    """AdamW with a cosine decay over `steps`; stops after `stop_after` steps (default all) or `seconds` of wall time,
    whichever comes first. Returns (steps run, seconds). Rerunning with stop_after = the steps a time-capped run made
    gives the same weights (fixed seeds, one thread)."""
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    t0 = time.time()
    classes = net.head.out_channels
    net.train()
    done = 0
    for step in range(steps):
        xb, yb = make_batch()
        logits = net(xb)
        loss = F.cross_entropy(logits, yb) + soft_dice_loss(logits, yb, classes)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        done = step + 1
        if step % log_every == 0:
            log(f'step {step} loss {loss.item():.4f} {time.time() - t0:.0f} s')
        if stop_after is not None and done >= stop_after:
            break
        if time.time() - t0 > seconds:
            log(f'time budget reached after {done} steps')
            break
    return done, time.time() - t0


def slab_dice(full, seg, labels, holdout_from):
    """Dice and voxel counts per label on the held-out slab (k >= holdout_from) and on the training slab; `labels` is
    [(value, name)] and `full` the prediction on the whole grid (after any post-processing)."""
    nk = seg.shape[0]
    out = {}
    for value, name in labels:
        for part, sl in (('heldOut', slice(holdout_from, nk)), ('train', slice(0, holdout_from))):
            p, t = full[sl] == value, seg[sl] == value
            out.setdefault(part, {})[name] = {'dice': dice(p, t), 'truthVoxels': int(t.sum()), 'predVoxels': int(p.sum())}
    return out


def save_model(net, pt_path, out_dir, patch, metrics, *, seed, steps, seconds, holdout_from, nk, note, extra=None):
    """Saves the weights to pt_path, exports out_dir/model.onnx and writes out_dir/metrics.json (run facts, `extra`,
    the ONNX file's sha256, `note`, then `metrics`); prints the held-out Dice."""
    torch.save(net.state_dict(), pt_path)
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, 'model.onnx')
    export_onnx(net, onnx_path, patch)
    with open(onnx_path, 'rb') as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    write_json(os.path.join(out_dir, 'metrics.json'), {
        'seed': seed, 'steps': steps, 'trainSeconds': round(seconds), 'threads': torch.get_num_threads(),
        'heldOutSlices': [holdout_from, nk - 1], 'trainSlices': [0, holdout_from - 1], 'sliceAxis': 'k (third NIfTI axis, S)',
        **(extra or {}), 'onnxSha256': sha, 'note': note,
        **metrics,
    })
    for name, m in metrics['heldOut'].items():
        print(f'held-out {name:18s} dice {m["dice"]} truth {m["truthVoxels"]} pred {m["predVoxels"]}')


def write_json(path, obj):
    with open(path, 'w') as f:
        json.dump(obj, f, indent=1)
        f.write('\n')
