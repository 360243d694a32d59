# The small 2D/3D U-Net shared by the bundled models, plus ONNX export and Dice/IoU helpers used by the training scripts.
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_block(cin, cout, dims=2):
    # Instance norm instead of batch norm: batches are tiny (CPU training) and inference sees single tiles or patches.
    conv, norm = (nn.Conv2d, nn.InstanceNorm2d) if dims == 2 else (nn.Conv3d, nn.InstanceNorm3d)
    return nn.Sequential(
        conv(cin, cout, 3, padding=1, bias=False),
        norm(cout, affine=True),
        nn.LeakyReLU(0.01, inplace=True),
        conv(cout, cout, 3, padding=1, bias=False),
        norm(cout, affine=True),
        nn.LeakyReLU(0.01, inplace=True),
    )


class UNet(nn.Module):
    """Plain U-Net in 2 or 3 dimensions; every spatial size must be a multiple of 2**levels (the engines pad tiles and
    choose patches so). Module names (down, upconv, up, head) are those of the committed .pt weights: keep them."""

    def __init__(self, dims, in_channels, classes, base, levels):
        super().__init__()
        assert dims in (2, 3)
        self.levels = levels
        self.pool = F.max_pool2d if dims == 2 else F.max_pool3d
        up_conv = nn.ConvTranspose2d if dims == 2 else nn.ConvTranspose3d
        head_conv = nn.Conv2d if dims == 2 else nn.Conv3d
        chans = [base * 2 ** i for i in range(levels + 1)]
        self.down = nn.ModuleList()
        c = in_channels
        for ch in chans:
            self.down.append(conv_block(c, ch, dims))
            c = ch
        self.up = nn.ModuleList()
        self.upconv = nn.ModuleList()
        for ch in reversed(chans[:-1]):
            self.upconv.append(up_conv(c, ch, 2, stride=2))
            self.up.append(conv_block(ch * 2, ch, dims))
            c = ch
        self.head = head_conv(c, classes, 1)

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.down):
            x = block(x)
            if i < self.levels:
                skips.append(x)
                x = self.pool(x, 2)
        for upconv, block in zip(self.upconv, self.up):
            x = block(torch.cat([upconv(x), skips.pop()], dim=1))
        return self.head(x)


class UNet2D(UNet):
    """The 2D U-Net of the tile models (abdomen-ct, lung-nodule-ct)."""

    def __init__(self, in_channels=1, classes=2, base=16, levels=3):
        super().__init__(2, in_channels, classes, base, levels)


class UNet3D(UNet):
    """The one-channel 3D U-Net of the patch models (mr-demo, bodycomp-ct)."""

    def __init__(self, classes, base=8, levels=3):
        super().__init__(3, 1, classes, base, levels)


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
