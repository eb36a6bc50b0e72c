"""Stage 0 of the photos recipe: grey square patches of the natural photos that ship inside the scikit-image
and scikit-learn wheels (no download), written as PNG, and the data dirs <data>/{train,valid,test}/images.scp
('<id> <path>').

Whole photos are held out: a seeded permutation of :data:`PHOTOS` gives the test photos, then the validation
photos, the rest train, so no held-out patch shares a photo with a training patch. Each photo is converted to
grey (ITU-R 601-2 luma), resized (bicubic, antialiased) so its shorter side is ``--short-side`` pixels, and
cut into ``--resolution``-pixel patches: every ``--train-stride`` pixels for training, non-overlapping for
valid/test; patches whose pixel standard deviation is below ``--min-std`` (on [0, 1]: flat sky, black
background) are dropped, and a seeded subset of at most ``--num-valid`` / ``--num-test`` patches is kept.
Each data dir also lists its photos in ``photos`` ('<name> <patches>').
"""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from mgdm_audio.common.lists import write_list

#: Natural photos offline in scikit-image's wheel (skimage.data.<name>) and scikit-learn's (load_sample_images).
#: Left out: synthetic images (colorwheel, logo, checkerboard, ...), data.cat (the same photo as chelsea),
#: the right view of stereo_motorcycle, and the images scikit-image fetches with pooch.
SKIMAGE_PHOTOS = (
    "astronaut",
    "brick",
    "camera",
    "cell",
    "chelsea",
    "clock",
    "coffee",
    "coins",
    "grass",
    "gravel",
    "hubble_deep_field",
    "immunohistochemistry",
    "moon",
    "page",
    "retina",
    "rocket",
    "stereo_motorcycle",
    "text",
)
SKLEARN_PHOTOS = ("china", "flower")
PHOTOS = SKIMAGE_PHOTOS + SKLEARN_PHOTOS


def load_photo(name: str) -> Image.Image:
    """Photo ``name`` of :data:`PHOTOS` as a grey PIL image."""
    if name in SKLEARN_PHOTOS:
        from sklearn.datasets import load_sample_image

        array = load_sample_image(f"{name}.jpg")
    else:
        from skimage import data

        array = getattr(data, name)()
        if name == "stereo_motorcycle":
            array = array[0]  # (left, right, disparity): the left view
    return Image.fromarray(np.asarray(array, dtype=np.uint8)).convert("L")


def patches(photo: Image.Image, short_side: int, size: int, stride: int, min_std: float) -> dict[str, np.ndarray]:
    """'y<row>x<col>' -> [size, size] uint8 patch of ``photo`` resized to a ``short_side`` shorter side."""
    scale = short_side / min(photo.size)
    resized = photo.resize((round(photo.width * scale), round(photo.height * scale)), Image.Resampling.BICUBIC)
    array = np.asarray(resized)
    found = {}
    for row in range(0, array.shape[0] - size + 1, stride):
        for col in range(0, array.shape[1] - size + 1, stride):
            patch = array[row : row + size, col : col + size]
            if patch.std() / 255.0 >= min_std:
                found[f"y{row:03d}x{col:03d}"] = patch
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db", type=Path, help="folder for the PNG files (<db>/<split>/<photo>_y<row>x<col>.png)")
    parser.add_argument("data", type=Path, help="folder for the train/, valid/ and test/ data dirs")
    parser.add_argument("--resolution", type=int, default=32, help="patch side in pixels (default: %(default)s)")
    parser.add_argument(
        "--short-side", type=int, default=192, help="photos resized to this shorter side (default: %(default)s)"
    )
    parser.add_argument("--train-stride", type=int, default=8, help="training patch stride (default: %(default)s)")
    parser.add_argument("--min-std", type=float, default=0.02, help="drop flatter patches (default: %(default)s)")
    parser.add_argument("--test-photos", type=int, default=3, help="photos held out for test (default: %(default)s)")
    parser.add_argument(
        "--valid-photos", type=int, default=2, help="photos held out for validation (default: %(default)s)"
    )
    parser.add_argument("--num-test", type=int, default=50, help="test patches at most (default: %(default)s)")
    parser.add_argument("--num-valid", type=int, default=200, help="validation patches at most (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="split and subset seed (default: %(default)s)")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    order = [PHOTOS[i] for i in rng.permutation(len(PHOTOS))]
    held = args.test_photos + args.valid_photos
    splits = {
        "test": (order[: args.test_photos], args.resolution, args.num_test),
        "valid": (order[args.test_photos : held], args.resolution, args.num_valid),
        "train": (order[held:], args.train_stride, 0),
    }
    for split, (names, stride, limit) in splits.items():
        found = {
            f"{name}_{key}": (name, patch)
            for name in names
            for key, patch in patches(load_photo(name), args.short_side, args.resolution, stride, args.min_std).items()
        }
        keys = sorted(found)
        if limit and len(keys) > limit:
            keys = sorted(keys[i] for i in rng.choice(len(keys), limit, replace=False))
        if not keys:
            raise SystemExit(f"{__file__}: no {split} patch passes --min-std {args.min_std}")
        folder = args.db / split
        folder.mkdir(parents=True, exist_ok=True)
        paths, counts = {}, dict.fromkeys(names, 0)
        for key in keys:
            name, patch = found[key]
            paths[key] = (folder / f"{key}.png").resolve()
            Image.fromarray(patch, "L").save(paths[key])
            counts[name] += 1
        (args.data / split).mkdir(parents=True, exist_ok=True)
        write_list(args.data / split / "images.scp", paths)
        write_list(args.data / split / "photos", {name: str(count) for name, count in counts.items()})
        print(f"{args.data / split}: {len(keys)} patches of {len(names)} photos ({', '.join(names)})")


if __name__ == "__main__":
    main()
