"""mgdm report: the listening page of scored separations holds every clip it names, decodable, and the summary
table's numbers are summary.json's; nothing on it comes from the network."""

import json
import re
import shutil
from html.parser import HTMLParser

import numpy as np
import pytest
import soundfile

from mgdm_audio.audio.corpora.kaldi import write_data_dir
from mgdm_audio.audio.evaluation.score import score_separation
from mgdm_audio.cli import main

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")

STEMS = ("bass", "drums", "guitar", "piano")
RATE = 8000


class _Page(HTMLParser):
    """The page's audio and image sources, and its summary table's cells."""

    def __init__(self):
        super().__init__()
        self.sources, self.cells, self._table, self._cell = [], [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("audio", "img", "script", "link") and attrs.get("src"):
            self.sources.append(attrs["src"])
        if tag == "table":
            self._table = attrs.get("class")
        if tag == "td" and self._table == "summary":
            self._cell = attrs.get("data-value")
            self.cells.append(self._cell)

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None


def _scored_run(tmp_path, name, noise):
    """A data dir of 2 tracks and a separation whose stems are the references plus ``noise``, scored."""
    rng = np.random.default_rng(0)
    data, separated = tmp_path / "data", tmp_path / name
    mixtures, sources = {}, [{} for _ in STEMS]
    for track in ("t1", "t2"):
        stems = rng.standard_normal((len(STEMS), 3 * RATE)) * 0.1
        mixtures[track] = str(tmp_path / f"{track}.wav")
        soundfile.write(mixtures[track], stems.sum(axis=0), RATE, subtype="FLOAT")
        for k, stem in enumerate(STEMS):
            path = tmp_path / f"{track}_{stem}.wav"
            soundfile.write(path, stems[k], RATE, subtype="FLOAT")
            sources[k][track] = str(path)
            folder = separated / track
            folder.mkdir(parents=True, exist_ok=True)
            estimate = stems[k] + noise * rng.standard_normal(stems.shape[1])
            soundfile.write(folder / f"{stem}.wav", estimate, RATE, subtype="FLOAT")
        (separated / track / "separation.json").write_text(
            json.dumps(
                {"seconds": 6.0, "input_frames": 3 * RATE, "input_sample_rate": RATE, "settings": {"sampler": name}}
            )
        )
    write_data_dir(data, mixtures, sources)
    score_separation(data, separated, tmp_path / f"score_{name}", stems=STEMS, museval=False)
    return tmp_path / f"score_{name}" / "summary.json"


def test_the_page_plays_every_clip_and_shows_summary_json(tmp_path, capsys):
    summaries = [_scored_run(tmp_path, "good", 0.01), _scored_run(tmp_path, "poor", 0.1)]
    page = tmp_path / "page"
    assert main(["report", str(page), *map(str, summaries)]) == 0
    assert "wrote" in capsys.readouterr().out
    text = (page / "index.html").read_text()
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", text)  # nothing fetched from elsewhere
    parsed = _Page()
    parsed.feed(text)
    audio = [source for source in parsed.sources if source.endswith(".opus")]
    assert len(audio) == 2 * (1 + 4 + 2 * 4) and len(parsed.sources) == 2 * len(audio)
    for source in parsed.sources:
        assert (page / source).is_file(), source
    for source in audio:
        decoded, rate = soundfile.read(page / source)
        assert abs(len(decoded) / rate - 3.0) < 0.05 and np.abs(decoded).max() > 0.01
    expected = []
    for path, label in zip(summaries, ("good", "poor")):
        rows = {row["stem"]: row for row in json.loads(path.read_text())["summary"]}
        expected += [label, *(f"{rows[stem]['si_sdri_mean']:.6f}" for stem in (*STEMS, "All"))]
    assert parsed.cells == expected
    assert float(parsed.cells[5]) > float(parsed.cells[11]) + 10  # the less noisy estimate scores higher


def test_a_budget_shortens_the_excerpts(tmp_path):
    summary = _scored_run(tmp_path, "good", 0.01)
    page = tmp_path / "page"
    assert main(["report", str(page), str(summary), "--max-mb", "0.05"]) == 0
    decoded, rate = soundfile.read(page / "audio" / "t1" / "mixture.opus")
    assert len(decoded) / rate < 1.0  # 0.05 MB for 18 clips at 32 kb/s: under a second each
    assert "an excerpt where longer" in (page / "index.html").read_text()
