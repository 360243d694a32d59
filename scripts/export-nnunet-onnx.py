#!/usr/bin/env python3
"""Exports the networks of an nnU-Net v2 results folder to ONNX for `medseg models import`.

Run it where torch and nnunetv2 are installed (the environment the model was trained in):

    python3 scripts/export-nnunet-onnx.py RESULTS_DIR [--folds 0 1] [--checkpoint checkpoint_final.pth]

RESULTS_DIR is nnU-Net's trainer__plans__configuration folder (dataset.json, plans.json, fold_N/). For each fold the
network is built with nnU-Net's own plans and trainer machinery (nnUNetPredictor.initialize_from_trained_model_folder),
its weights loaded from fold_N/<checkpoint>, and written to fold_N/network.onnx beside the checkpoint:
input "input" [N, C, Z, Y, X] on the preprocessed (transposed, resampled, normalised) grid, output "logits"
[N, classes, Z, Y, X], batch and spatial axes dynamic, opset 17. The ONNX file records where it came from in its
metadata (trainer, plans, configuration, fold, mirroring axes, the checkpoint's sha256), which the import checks.
Then the ONNX file is run on a random input (onnxruntime for Python if present, else medseg's onnxruntime-node)
and the largest difference from torch is printed; above --tolerance the script fails.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def fold_names(results_dir, wanted):
    if wanted:
        return [f if f.startswith('fold_') else f'fold_{f}' for f in wanted]
    names = [n for n in os.listdir(results_dir) if n.startswith('fold_') and os.path.isdir(os.path.join(results_dir, n))]
    return sorted(names, key=lambda n: (not n[5:].isdigit(), int(n[5:]) if n[5:].isdigit() else 0, n))


def run_onnx(onnx_path, x):
    """The ONNX network's output for x: onnxruntime for Python, or medseg's onnxruntime-node next to this script."""
    try:
        import onnxruntime as ort
        session = ort.InferenceSession(onnx_path, providers=['CPUExecutionProvider'])
        return session.run(['logits'], {'input': x})[0], 'onnxruntime (Python)'
    except ImportError:
        pass
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as tmp:
        x_path = os.path.join(tmp, 'x.f32')
        y_path = os.path.join(tmp, 'y.f32')
        x.astype('<f4').tofile(x_path)
        script = (
            "const ort = require('onnxruntime-node'); const fs = require('fs');"
            "const [model, xp, yp, shape] = process.argv.slice(1);"
            "const b = fs.readFileSync(xp); const x = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);"
            "ort.InferenceSession.create(model).then(s => s.run({ input: new ort.Tensor('float32', x, JSON.parse(shape)) }))"
            ".then(r => { fs.writeFileSync(yp, Buffer.from(r.logits.data.buffer)); console.log(JSON.stringify(r.logits.dims)); })"
            ".catch(e => { console.error(String(e)); process.exit(1); });"
        )
        out = subprocess.run(['node', '-e', script, onnx_path, x_path, y_path, json.dumps(list(x.shape))],
                             cwd=repo, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f'no ONNX runtime to check with: pip install onnxruntime, or run from a medseg checkout '
                               f'with node_modules ({out.stderr.strip()[:300]})')
        dims = json.loads(out.stdout.strip().splitlines()[-1])
        return np.fromfile(y_path, dtype='<f4').reshape(dims), 'onnxruntime-node'


def export_fold(results_dir, fold, checkpoint_name, opset, tolerance, check_size):
    import onnx
    import torch
    from nnunetv2.inference.predict_from_raw_data import nnUNetPredictor

    fold_dir = os.path.join(results_dir, fold)
    checkpoint = os.path.join(fold_dir, checkpoint_name)
    if not os.path.isfile(checkpoint):
        raise FileNotFoundError(f'{checkpoint} is missing')
    predictor = nnUNetPredictor(device=torch.device('cpu'), perform_everything_on_device=False, verbose=False)
    fold_id = fold[len('fold_'):]
    predictor.initialize_from_trained_model_folder(results_dir, use_folds=(fold_id if fold_id == 'all' else int(fold_id),),
                                                   checkpoint_name=checkpoint_name)
    network = predictor.network.eval()
    plans = predictor.plans_manager
    cm = predictor.configuration_manager
    if len(cm.patch_size) != 3:
        raise SystemExit(f'configuration {cm.configuration.get("data_identifier", "?")} is 2D: medseg imports 3D configurations only')
    channels = len(predictor.dataset_json.get('channel_names', predictor.dataset_json.get('modality', {'0': ''})))

    torch.manual_seed(0)
    # one patch-sized input: fixed-size exports would also work, the dynamic axes let medseg pad odd sizes itself
    example = torch.randn(1, channels, *cm.patch_size)
    onnx_path = os.path.join(fold_dir, 'network.onnx')
    with torch.no_grad():
        torch.onnx.export(
            network, example, onnx_path, input_names=['input'], output_names=['logits'], opset_version=opset,
            dynamic_axes={'input': {0: 'n', 2: 'z', 3: 'y', 4: 'x'}, 'logits': {0: 'n', 2: 'z', 3: 'y', 4: 'x'}},
            do_constant_folding=True,
        )
    model = onnx.load(onnx_path)
    # the configuration the fold was trained with, as nnU-Net itself reads it (the checkpoint's init_args)
    try:
        saved = torch.load(checkpoint, map_location='cpu', weights_only=False)
    except TypeError:  # torch < 1.13 has no weights_only
        saved = torch.load(checkpoint, map_location='cpu')
    config_name = saved['init_args']['configuration']
    del saved
    meta = {
        'nnunet.trainer_name': predictor.trainer_name,
        'nnunet.plans_name': plans.plans_name,
        'nnunet.configuration': config_name,
        'nnunet.fold': fold_id,
        'nnunet.inference_allowed_mirroring_axes': json.dumps(
            None if predictor.allowed_mirroring_axes is None else [int(a) for a in predictor.allowed_mirroring_axes]),
        'nnunet.checkpoint_sha256': sha256_of(checkpoint),
        'nnunet.dataset_name': plans.dataset_name,
    }
    for k, v in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    onnx.checker.check_model(model)
    onnx.save(model, onnx_path)

    # the check: a random input of another size than the patch (the axes are dynamic), torch vs the ONNX runtime
    divisors = np.prod(np.array(cm.pool_op_kernel_sizes), axis=0)
    size = [int(max(d, (p // 2 // d) * d) if check_size == 'half' else p) for p, d in zip(cm.patch_size, divisors)]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, channels, *size)).astype(np.float32)
    with torch.no_grad():
        ref = network(torch.from_numpy(x)).numpy()
    got, runtime = run_onnx(onnx_path, x)
    if got.shape != ref.shape:
        raise SystemExit(f'{fold}: ONNX output shape {got.shape} differs from torch {ref.shape}')
    diff = float(np.max(np.abs(got - ref)))
    agree = float(np.mean(np.argmax(got, axis=1) == np.argmax(ref, axis=1)))
    print(f'{fold}: wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes, {meta["nnunet.configuration"]}); '
          f'{runtime} vs torch on {list(x.shape)}: max |difference| {diff:.3g}, argmax equal on {100 * agree:.3f} %')
    if not diff <= tolerance:
        raise SystemExit(f'{fold}: ONNX differs from torch by {diff:.3g} > --tolerance {tolerance}')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('results_dir', help="nnU-Net's trainer__plans__configuration folder")
    ap.add_argument('--folds', nargs='*', help='fold numbers (default: every fold_N folder)')
    ap.add_argument('--checkpoint', default='checkpoint_final.pth')
    ap.add_argument('--opset', type=int, default=17)
    ap.add_argument('--tolerance', type=float, default=1e-3, help='largest allowed |ONNX - torch| on the check input')
    ap.add_argument('--check-size', choices=['half', 'patch'], default='half',
                    help='check on half a patch (fast, tests the dynamic axes) or a whole patch')
    args = ap.parse_args()
    results_dir = os.path.abspath(args.results_dir)
    for name in ('dataset.json', 'plans.json'):
        if not os.path.isfile(os.path.join(results_dir, name)):
            sys.exit(f'{results_dir} has no {name}: give the trainer__plans__configuration folder')
    folds = fold_names(results_dir, args.folds)
    if not folds:
        sys.exit(f'{results_dir} has no fold_N folder')
    for fold in folds:
        export_fold(results_dir, fold, args.checkpoint, args.opset, args.tolerance, args.check_size)
    print(f'next: medseg models import {results_dir}')


if __name__ == '__main__':
    main()
