"""Cut the shipped example mixtures from a rendered synth4 test split (how examples/ was made).

Picks, from each of the first test tracks, the 4-second window (a multiple of 4,096 samples at
22,050 Hz) where all four stems are loudest together, and writes `examples/<track>.wav` (the
mixture) and `examples/<track>/<stem>.wav` (references), 16-bit PCM; mixture = sum of the
written stems exactly (the int16 stems are summed, then written as float32). Also writes the data
dir `examples/data/` (wav.scp, spk1.scp … spk4.scp, paths relative to the repository root) that
`make demo` scores against.

    python examples/make_examples.py /data/synth4/data/test [--count 3]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import soundfile

from mgdm_audio.audio.corpora.kaldi import read_list, speaker_file, write_data_dir
from mgdm_audio.common.atomic import atomic_path

STEMS = ("bass", "drums", "guitar", "piano")
LENGTH = 22 * 4096  # 90,112 samples ≈ 4.09 s at 22,050 Hz
HOP = 4096


def loudest_window(stems: np.ndarray) -> int:
    """Start of the window maximising the quietest stem's energy (stems [S, N])."""
    energy = np.stack([np.convolve(s**2, np.ones(LENGTH), mode="valid")[::HOP] for s in stems])
    return int(energy.min(axis=0).argmax()) * HOP


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    references = [read_list(args.data_dir / speaker_file(i + 1)) for i in range(len(STEMS))]
    utts = sorted(references[0])[: args.count]
    for utt in utts:
        signals = [soundfile.read(ref[utt], dtype="float32")[0] for ref in references]
        rate = soundfile.info(references[0][utt]).samplerate
        stems = np.stack(signals)
        start = loudest_window(stems)
        quantised = np.round(stems[:, start : start + LENGTH] * 32767).astype(np.int16)
        (args.out / utt).mkdir(parents=True, exist_ok=True)
        for name, stem in zip(STEMS, quantised):
            with atomic_path(args.out / utt / f"{name}.wav") as temporary:
                soundfile.write(temporary, stem, rate, subtype="PCM_16")
        mixture = quantised.astype(np.float32).sum(0) / 32767
        with atomic_path(args.out / f"{utt}.wav") as temporary:
            soundfile.write(temporary, mixture, rate, subtype="FLOAT")
        print(f"{utt}: {start / rate:.2f}-{(start + LENGTH) / rate:.2f} s")
    relative = Path("examples")
    write_data_dir(
        args.out / "data",
        {utt: f"{relative / utt}.wav" for utt in utts},
        [{utt: str(relative / utt / f"{stem}.wav") for utt in utts} for stem in STEMS],
    )


if __name__ == "__main__":
    main()
