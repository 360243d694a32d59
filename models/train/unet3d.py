# A small 3D U-Net shaped like nnU-Net's PlainConvUNet (conv-instance norm-leaky ReLU twice per stage, stride-2
# convolutions for downsampling, transposed convolutions in the decoder, 1x1 head), and its ONNX export in the layout
# the medseg 3D engine runs (input `input` [N, 1, Z, Y, X] on the network grid, output `logits`, dynamic axes).
import torch
import torch.nn as nn


def stage(cin, cout, stride):
    return nn.Sequential(
        nn.Conv3d(cin, cout, 3, stride, 1),
        nn.InstanceNorm3d(cout, eps=1e-5, affine=True),
        nn.LeakyReLU(0.01, inplace=True),
        nn.Conv3d(cout, cout, 3, 1, 1),
        nn.InstanceNorm3d(cout, eps=1e-5, affine=True),
        nn.LeakyReLU(0.01, inplace=True),
    )


class PlainUNet3d(nn.Module):
    """Every spatial size must be a multiple of 2 ** (len(widths) - 1) (the engine's patch is)."""

    def __init__(self, classes, widths=(8, 16, 32, 64)):
        super().__init__()
        self.encoder = nn.ModuleList([stage(1 if s == 0 else widths[s - 1], widths[s], 1 if s == 0 else 2) for s in range(len(widths))])
        self.upsample = nn.ModuleList([nn.ConvTranspose3d(widths[s + 1], widths[s], 2, 2) for s in range(len(widths) - 1)])
        self.decoder = nn.ModuleList([stage(2 * widths[s], widths[s], 1) for s in range(len(widths) - 1)])
        self.head = nn.Conv3d(widths[0], classes, 1)

    def forward(self, x):
        skips = []
        for enc in self.encoder:
            x = enc(x)
            skips.append(x)
        x = skips.pop()
        for s in reversed(range(len(self.upsample))):
            x = self.decoder[s](torch.cat([self.upsample[s](x), skips.pop()], 1))
        return self.head(x)


def export_onnx3d(model, path, patch, opset=17):
    model.eval()
    dummy = torch.zeros(1, 1, *patch)
    axes = {0: 'batch', 2: 'z', 3: 'y', 4: 'x'}
    torch.onnx.export(model, dummy, path, opset_version=opset, input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': axes, 'logits': axes}, do_constant_folding=True)
