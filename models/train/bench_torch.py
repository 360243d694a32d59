# Times the PyTorch (eager, Debian torch) twin of a bundled model on a given float32 input, for the ORT-node vs
# torch comparison in test/bench/inference-bench.ts. Prints JSON; writes the logits next to the input.
import json, sys, time
import numpy as np
import torch
from unet import UNet2D

ARCH = {'abdomen-ct': dict(classes=8, base=12, levels=4), 'lung-nodule-ct': dict(classes=2, base=16, levels=3)}

model_id, weights, input_path, h, w, repeats, threads = sys.argv[1:8]
torch.set_num_threads(int(threads))
a = ARCH[model_id]
model = UNet2D(1, a['classes'], base=a['base'], levels=a['levels'])
model.load_state_dict(torch.load(weights, map_location='cpu'))
model.eval()
x = torch.from_numpy(np.fromfile(input_path, dtype=np.float32).reshape(1, 1, int(h), int(w)))
times = []
with torch.no_grad():
    for _ in range(3):
        out = model(x)
    for _ in range(int(repeats)):
        t0 = time.perf_counter()
        out = model(x)
        times.append((time.perf_counter() - t0) * 1000)
out.numpy().astype(np.float32).tofile(input_path + '.torch-logits')
print(json.dumps({'medianMs': float(np.median(times)), 'threads': torch.get_num_threads(), 'torch': torch.__version__}))
