"""Random aligned multi-stem chunks of a Kaldi data directory, read from disk at random offsets."""

from __future__ import annotations

import os

import numpy as np
import soundfile

from ..corpora.kaldi import DataDirError, read_data_dir, validate_data_dir


class StemChunks:
    """Aligned chunks [S, L] of the sources ``spk1.scp`` … ``spkS.scp`` of a data directory.

    Only the requested chunks are read (soundfile seeks), so the corpus never sits in memory.
    Every chunk position (utterance, offset) is equally likely; utterances shorter than L are
    skipped.

    Args:
        data_dir: a data directory (see :mod:`mgdm_audio.audio.corpora.kaldi`) with exactly S sources.
        num_stems: S.
        segment_length: L, samples per chunk.
        sample_rate: Hz every file must have.
        stems: the model's stem names, for the error message of a directory with another number of sources.

    Raises:
        DataDirError: malformed directory, unreadable audio, another sample rate, a file that is not
            mono, or no utterance of at least L samples (the message names the file or directory).
    """

    def __init__(
        self,
        data_dir: str | os.PathLike,
        num_stems: int,
        segment_length: int,
        sample_rate: int,
        stems: tuple[str, ...] | None = None,
    ):
        found = len(read_data_dir(data_dir).sources)
        if found != num_stems:
            names = f" ({', '.join(stems)})" if stems else ""
            raise DataDirError(
                f"{data_dir}: {found} stems (spk1.scp … spk{found}.scp) but the model has {num_stems}"
                f"{names}; give one stem name per spk file (--stems) or use another data dir"
            )
        data = validate_data_dir(data_dir, num_speakers=num_stems, sample_rate=sample_rate)
        self.segment_length = segment_length
        self.paths: list[list[str]] = []
        lengths = []
        for utt_id in data.utt_ids:
            paths = [source[utt_id] for source in data.sources]
            infos = [soundfile.info(path) for path in paths]
            for path, info in zip(paths, infos):
                if info.channels != 1:
                    raise DataDirError(f"{path}: {info.channels} channels; prior training reads mono stems")
            if infos[0].frames >= segment_length:  # validate_data_dir checked that an utterance's files agree
                self.paths.append(paths)
                lengths.append(infos[0].frames)
        if not self.paths:
            raise DataDirError(f"{data_dir}: no utterance has the segment length of {segment_length} samples")
        self.hours = sum(lengths) / sample_rate / 3600
        self._positions = np.asarray(lengths, dtype=np.int64) - segment_length + 1
        self._utterance_weights = self._positions / self._positions.sum()

    @property
    def num_utterances(self) -> int:
        """Utterances long enough to give a chunk (:attr:`hours` is their total duration)."""
        return len(self.paths)

    def batch(
        self, batch_size: int, rng: np.random.Generator, gain_range: tuple[float, float] = (0.5, 1.5)
    ) -> np.ndarray:
        """Chunks [batch_size, S, L] (float32), each example's stems scaled by one gain ~ U(gain_range).

        One gain per example keeps the stems' balance (and so their mixture) intact while varying
        the level (docs/method.md#embedded-prior). The draws come from ``rng`` only, in a fixed order.
        """
        utterances = rng.choice(len(self.paths), size=batch_size, p=self._utterance_weights)
        offsets = rng.integers(0, self._positions[utterances])
        gains = rng.uniform(*gain_range, size=batch_size).astype(np.float32)
        chunks = np.stack([self.read(int(u), int(o)) for u, o in zip(utterances, offsets)])
        return chunks * gains[:, None, None]

    def remixed_batch(
        self,
        batch_size: int,
        rng: np.random.Generator,
        gain_range: tuple[float, float] = (0.5, 1.5),
        probability: float = 0.5,
    ) -> np.ndarray:
        """Like :meth:`batch`, but with ``probability`` an example is a remix: each of its stems comes from its
        own random chunk (utterance and offset) with its own gain (the augmentation Demucs trains with: new
        mixtures, so a separator cannot learn one corpus's pairings of parts). The draws come from ``rng`` only.
        """
        examples = self.batch(batch_size, rng, gain_range)
        remix = rng.uniform(size=batch_size) < probability
        for example in np.flatnonzero(remix):
            for stem in range(examples.shape[1]):
                utterance = int(rng.choice(len(self.paths), p=self._utterance_weights))
                offset = int(rng.integers(0, self._positions[utterance]))
                path = self.paths[utterance][stem]
                audio = soundfile.read(path, frames=self.segment_length, start=offset, dtype="float32")[0]
                examples[example, stem] = audio * np.float32(rng.uniform(*gain_range))
        return examples

    def standard_deviation(self, num_chunks: int = 256, seed: int = 0) -> float:
        """Root mean square of the stems' samples over ``num_chunks`` random chunks (no gain): the data standard
        deviation σ_data of EDM's preconditioning (the stems are zero-mean audio). Silent stems count, as they
        do in training."""
        rng = np.random.default_rng(seed)
        return float(np.sqrt(np.mean(self.batch(num_chunks, rng, gain_range=(1.0, 1.0)).astype(np.float64) ** 2)))

    def read(self, utterance: int, offset: int) -> np.ndarray:
        """Stems [S, L] (float32) of utterance ``utterance`` (index into :attr:`paths`) from sample ``offset``."""
        return np.stack(
            [
                soundfile.read(path, frames=self.segment_length, start=offset, dtype="float32")[0]
                for path in self.paths[utterance]
            ]
        )
