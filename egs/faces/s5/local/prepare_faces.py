"""Stage 0 of the faces recipe: the 100 face crops of scikit-image's ``data.lfw_subset()`` (25x25 grey,
shipped inside the wheel, so no download) written as PNG at the prior's resolution, and the data dirs
<data>/{train,test}/images.scp ('<id> <path>') of a seeded split."""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from mgdm_audio.audio.corpora.kaldi import write_list

#: lfw_subset() holds 100 faces followed by 100 non-faces (scikit-image documentation).
NUM_FACES = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db", type=Path, help="folder for the PNG files")
    parser.add_argument("data", type=Path, help="folder for the train/ and test/ data dirs")
    parser.add_argument("--resolution", type=int, default=24, help="side in pixels (default: %(default)s)")
    parser.add_argument("--num-test", type=int, default=50, help="held-out faces (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="split seed (default: %(default)s)")
    args = parser.parse_args()
    from skimage import data

    faces = data.lfw_subset()[:NUM_FACES]
    order = np.random.default_rng(args.seed).permutation(NUM_FACES)
    args.db.mkdir(parents=True, exist_ok=True)
    paths = {}
    for index, face in enumerate(faces):
        image = Image.fromarray(np.round(face * 255.0).astype(np.uint8), "L")
        path = args.db / f"face{index:03d}.png"
        image.resize((args.resolution, args.resolution), Image.Resampling.BICUBIC).save(path)
        paths[f"face{index:03d}"] = path.resolve()
    splits = {"test": order[: args.num_test], "train": order[args.num_test :]}
    for name, indices in splits.items():
        (args.data / name).mkdir(parents=True, exist_ok=True)
        write_list(args.data / name / "images.scp", {f"face{i:03d}": paths[f"face{i:03d}"] for i in indices})
        print(f"{args.data / name}: {len(indices)} faces")


if __name__ == "__main__":
    main()
