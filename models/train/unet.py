# The small 2D U-Net shared by the bundled models, plus ONNX export and Dice/IoU helpers used by the training scripts.
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_block(cin, cout):
    # Instance norm instead of batch norm: batches are tiny (CPU training) and inference sees single tiles.
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.InstanceNorm2d(cout, affine=True),
        nn.LeakyReLU(0.01, inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.InstanceNorm2d(cout, affine=True),
        nn.LeakyReLU(0.01, inplace=True),
    )


class UNet2D(nn.Module):
    """Plain U-Net; H and W must be multiples of 2**levels (the engine pads tiles to that)."""

    def __init__(self, in_channels=1, classes=2, base=16, levels=3):
        super().__init__()
        self.levels = levels
        chans = [base * 2 ** i for i in range(levels + 1)]
        self.down = nn.ModuleList()
        c = in_channels
        for ch in chans:
            self.down.append(conv_block(c, ch))
            c = ch
        self.up = nn.ModuleList()
        self.upconv = nn.ModuleList()
        for ch in reversed(chans[:-1]):
            self.upconv.append(nn.ConvTranspose2d(c, ch, 2, stride=2))
            self.up.append(conv_block(ch * 2, ch))
            c = ch
        self.head = nn.Conv2d(c, classes, 1)

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.down):
            x = block(x)
            if i < self.levels:
                skips.append(x)
                x = F.max_pool2d(x, 2)
        for upconv, block in zip(self.upconv, self.up):
            x = upconv(x)
            x = block(torch.cat([x, skips.pop()], dim=1))
        return self.head(x)


def export_onnx(model, path, in_channels, opset=17):
    model.eval()
    dummy = torch.zeros(1, in_channels, 64, 64)
    torch.onnx.export(
        model, dummy, path, opset_version=opset,
        input_names=['image'], output_names=['logits'],
        dynamic_axes={'image': {0: 'batch', 2: 'height', 3: 'width'}, 'logits': {0: 'batch', 2: 'height', 3: 'width'}},
        do_constant_folding=True,
    )


def dice_iou(pred, truth):
    """Dice and IoU of two boolean numpy arrays; None when both are empty (undefined, not 1.0)."""
    inter = float((pred & truth).sum())
    a, b = float(pred.sum()), float(truth.sum())
    if a + b == 0:
        return None, None
    return 2 * inter / (a + b), inter / (a + b - inter)
