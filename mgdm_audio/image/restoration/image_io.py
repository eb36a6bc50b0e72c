"""Image files ↔ tensors: reading PNG/JPEG, fitting them to a prior's resolution, writing PNG atomically.

Inside the toolkit an image is a float tensor [C, H, W] in [−1, 1] (docs/method.md#data-ranges); files hold 8-bit
values in [0, 255] (pixel p ↔ 2 p / 255 − 1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from mgdm_audio.common.atomic import atomic_path

#: PIL modes by channel count.
MODES = {1: "L", 3: "RGB"}


class ImageInputError(ValueError):
    """An input that cannot be restored; the message names the file and says why."""


def read_image(path: Path, shape: tuple[int, int, int]) -> tuple[torch.Tensor, list[str]]:
    """The image at ``path`` as [C, H, W] in [−1, 1] fitted to ``shape`` = (C, H, W), and notices.

    Fitting: colour converted to the prior's channels (RGB → grey by ITU-R 601-2 luma, grey → RGB
    by copying), then scaled so the image covers H × W (bicubic, aspect kept) and centre-cropped;
    each change that happens is described by one notice line.

    Raises:
        ImageInputError: missing, unreadable or not an image (message names the file).
    """
    channels, height, width = shape
    if channels not in MODES:
        raise ValueError(f"images of {channels} channels are not supported (1 or 3)")
    try:
        with Image.open(path) as opened:
            # Camera JPEGs store their rotation as an EXIF tag: apply it, as image viewers do.
            image = ImageOps.exif_transpose(opened)
    except FileNotFoundError:
        raise ImageInputError(f"{path}: no such file") from None
    except UnidentifiedImageError:
        raise ImageInputError(f"{path}: not an image Pillow can read (PNG or JPEG expected)") from None
    except OSError as error:
        raise ImageInputError(f"{path}: unreadable image ({error})") from None
    notices = []
    mode = MODES[channels]
    if image.mode != mode:
        if len(image.getbands()) != channels:
            notices.append(f"{path}: {image.mode} converted to {mode} ({channels} channel(s), as the prior)")
        image = image.convert(mode)
    if image.size != (width, height):
        notices.append(f"{path}: {image.width}x{image.height} resized to cover {width}x{height} and centre-cropped")
        image = _cover(image, width, height)
    array = np.asarray(image, dtype=np.float32).reshape(height, width, channels)
    return torch.from_numpy(array).permute(2, 0, 1) / 127.5 - 1.0, notices


def read_saved(path: Path) -> torch.Tensor:
    """An image file as it is (no fitting): [C, H, W] in [−1, 1], C = 1 for grey, 3 otherwise."""
    with Image.open(path) as image:
        mode = "L" if image.mode in ("L", "I;16", "I") else "RGB"
        array = np.asarray(image.convert(mode), dtype=np.float32)
    return torch.from_numpy(array.reshape(*array.shape[:2], -1)).permute(2, 0, 1) / 127.5 - 1.0


def _cover(image: Image.Image, width: int, height: int) -> Image.Image:
    """Bicubic scaling so that the image covers width × height, then a centre crop to exactly that."""
    scale = max(width / image.width, height / image.height)
    size = (max(width, round(image.width * scale)), max(height, round(image.height * scale)))
    image = image.resize(size, Image.Resampling.BICUBIC)
    left, top = (size[0] - width) // 2, (size[1] - height) // 2
    return image.crop((left, top, left + width, top + height))


def to_pil(image: torch.Tensor) -> Image.Image:
    """[C, H, W] in [−1, 1] (values outside are clipped) → an 8-bit grey or RGB PIL image."""
    array = ((image.detach().cpu().float().clamp(-1.0, 1.0) + 1.0) * 127.5).round().to(torch.uint8)
    array = array.permute(1, 2, 0).numpy()
    return Image.fromarray(array[..., 0] if array.shape[2] == 1 else array, MODES[array.shape[2]])


def write_png(image: torch.Tensor | Image.Image, path: Path) -> Path:
    """Save an image ([C, H, W] in [−1, 1], or a PIL image) as PNG at ``path``, atomically."""
    picture = image if isinstance(image, Image.Image) else to_pil(image)
    with atomic_path(path) as temporary:
        picture.save(temporary, format="PNG")
    return path
