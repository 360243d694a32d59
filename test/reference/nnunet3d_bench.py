#!/usr/bin/env python3
"""Torch side of test/bench/nnunet3dBench.ts (run with Debian /usr/bin/python3 + python3-torch).

  model OUTDIR CLASSES FEATURES PATCH          an nnU-Net-format model (plans.json, dataset.json, fold_0/checkpoint_final.pth,
                                               fold_0/network.onnx) with nnU-Net's PlainConvUNet, fixed random weights
  tile OUTDIR PATCH REPEATS THREADS            median ms of one tile through the same network in torch eager (no grad)
  predict OUTDIR INPUT_I16 SHAPE SPACING MIRROR THREADS
                                               nnU-Net's own nnUNetPredictor on the raw int16 [z, y, x] image: seconds and
                                               peak RSS (needs nnU-Net snapshots on PYTHONPATH, see make-nnunet-reference.py)
Comma-separated lists for FEATURES, PATCH, SHAPE, SPACING. Prints one JSON line.
"""
import json
import os
import resource
import sys
import time

import numpy as np
import torch


def build(classes, features):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'fixtures'))
    from dynamic_network_architectures.architectures.unet import PlainConvUNet
    from dynamic_network_architectures.initialization.weight_init import InitWeights_He
    n = len(features)
    strides = [[1, 1, 1]] + [[2, 2, 2]] * (n - 1)
    net = PlainConvUNet(1, n, features, torch.nn.Conv3d, [[3, 3, 3]] * n, strides, [2] * n, classes, [2] * (n - 1),
                        conv_bias=True, norm_op=torch.nn.InstanceNorm3d, norm_op_kwargs={'eps': 1e-5, 'affine': True},
                        nonlin=torch.nn.LeakyReLU, nonlin_kwargs={'inplace': True}, deep_supervision=False)
    torch.manual_seed(0)
    net.apply(InitWeights_He(1e-2))
    return net.eval(), strides


def ints(s):
    return [int(x) for x in s.split(',')]


def floats(s):
    return [float(x) for x in s.split(',')]


def cmd_model(out, classes, features, patch):
    classes, features, patch = int(classes), ints(features), ints(patch)
    net, strides = build(classes, features)
    os.makedirs(os.path.join(out, 'fold_0'), exist_ok=True)
    torch.onnx.export(net, torch.zeros(1, 1, *patch), os.path.join(out, 'fold_0', 'network.onnx'), input_names=['input'],
                      output_names=['logits'], opset_version=17,
                      dynamic_axes={'input': {0: 'n', 2: 'z', 3: 'y', 4: 'x'}, 'logits': {0: 'n', 2: 'z', 3: 'y', 4: 'x'}})
    n = len(features)
    arch = {'network_class_name': 'dynamic_network_architectures.architectures.unet.PlainConvUNet',
            'arch_kwargs': {'n_stages': n, 'features_per_stage': features, 'conv_op': 'torch.nn.modules.conv.Conv3d',
                            'kernel_sizes': [[3, 3, 3]] * n, 'strides': strides, 'n_conv_per_stage': [2] * n,
                            'n_conv_per_stage_decoder': [2] * (n - 1), 'conv_bias': True,
                            'norm_op': 'torch.nn.modules.instancenorm.InstanceNorm3d',
                            'norm_op_kwargs': {'eps': 1e-05, 'affine': True}, 'dropout_op': None, 'dropout_op_kwargs': None,
                            'nonlin': 'torch.nn.LeakyReLU', 'nonlin_kwargs': {'inplace': True}},
            '_kw_requires_import': ['conv_op', 'norm_op', 'dropout_op', 'nonlin']}
    rs = {'is_seg': False, 'order': 3, 'order_z': 0, 'force_separate_z': None}
    rp = {'is_seg': False, 'order': 1, 'order_z': 0, 'force_separate_z': None}
    cfg = {'data_identifier': 'b', 'preprocessor_name': 'DefaultPreprocessor', 'batch_size': 2, 'patch_size': patch,
           'median_image_size_in_voxels': [300, 273, 273], 'spacing': [1.5, 1.5, 1.5], 'normalization_schemes': ['CTNormalization'],
           'use_mask_for_norm': [False], 'resampling_fn_data': 'resample_data_or_seg_to_shape', 'resampling_fn_seg': 'resample_data_or_seg_to_shape',
           'resampling_fn_data_kwargs': rs, 'resampling_fn_seg_kwargs': dict(rs, is_seg=True, order=1),
           'resampling_fn_probabilities': 'resample_data_or_seg_to_shape', 'resampling_fn_probabilities_kwargs': rp,
           'architecture': arch, 'batch_dice': False}
    props = {'mean': 40.0, 'std': 180.0, 'percentile_00_5': -950.0, 'percentile_99_5': 1300.0, 'median': 30.0, 'min': -1024.0, 'max': 3000.0}
    plans = {'dataset_name': 'Dataset999_Bench', 'plans_name': 'nnUNetPlans', 'original_median_spacing_after_transp': [1.5] * 3,
             'original_median_shape_after_transp': [300, 273, 273], 'image_reader_writer': 'NibabelIOWithReorient',
             'transpose_forward': [0, 1, 2], 'transpose_backward': [0, 1, 2], 'configurations': {'3d_fullres': cfg},
             'experiment_planner_used': 'ExperimentPlanner', 'label_manager': 'LabelManager',
             'foreground_intensity_properties_per_channel': {'0': props}}
    json.dump(plans, open(os.path.join(out, 'plans.json'), 'w'))
    labels = {'background': 0, **{f'class_{i}': i for i in range(1, classes)}}
    json.dump({'channel_names': {'0': 'CT'}, 'labels': labels, 'numTraining': 1, 'file_ending': '.nii.gz'}, open(os.path.join(out, 'dataset.json'), 'w'))
    torch.save({'network_weights': net.state_dict(), 'trainer_name': 'nnUNetTrainer', 'init_args': {'configuration': '3d_fullres', 'fold': 0},
                'inference_allowed_mirroring_axes': (0, 1, 2)}, os.path.join(out, 'fold_0', 'checkpoint_final.pth'))
    print(json.dumps({'params': sum(p.numel() for p in net.parameters())}))


def cmd_tile(out, patch, repeats, threads):
    torch.set_num_threads(int(threads))
    ck = torch.load(os.path.join(out, 'fold_0', 'checkpoint_final.pth'), map_location='cpu')
    plans = json.load(open(os.path.join(out, 'plans.json')))
    k = plans['configurations']['3d_fullres']['architecture']['arch_kwargs']
    classes = len(json.load(open(os.path.join(out, 'dataset.json')))['labels'])
    net, _ = build(classes, k['features_per_stage'])
    net.load_state_dict(ck['network_weights'])
    x = torch.randn(1, 1, *ints(patch))
    times = []
    with torch.no_grad():
        net(x)
        for _ in range(int(repeats)):
            t = time.perf_counter()
            net(x)
            times.append((time.perf_counter() - t) * 1000)
    print(json.dumps({'medianMs': float(np.median(times)), 'torch': torch.__version__}))


def cmd_predict(out, input_file, shape, spacing, mirror, threads):
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures')
    sys.argv = [sys.argv[0]]
    import importlib.util
    spec = importlib.util.spec_from_file_location('mkref', os.path.join(here, 'make-nnunet-reference.py'))
    mkref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mkref)  # its stand-ins and nnU-Net imports; its __main__ block does not run
    torch.set_num_threads(int(threads))
    img = np.fromfile(input_file, dtype='<i2').reshape(ints(shape))
    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # interpreter, torch and the int16 image
    t = time.perf_counter()
    pred = mkref.nnUNetPredictor(tile_step_size=0.5, use_gaussian=True, use_mirroring=mirror == '1', device=torch.device('cpu'),
                                 verbose=False, allow_tqdm=False)
    pred.initialize_from_trained_model_folder(out, use_folds=(0,))
    seg = pred.predict_single_npy_array(img[None].astype(np.float32), {'spacing': floats(spacing)}, None, None, False)
    secs = time.perf_counter() - t
    print(json.dumps({'seconds': secs, 'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'startRssMb': start_rss,
                      'labelsPresent': int(len(np.unique(seg)))}))


if __name__ == '__main__':
    {'model': cmd_model, 'tile': cmd_tile, 'predict': cmd_predict}[sys.argv[1]](*sys.argv[2:])
