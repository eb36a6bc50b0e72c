"""mgdm report on separations: the listening page holds every clip it names, decodable in a real browser, its
tables hold summary.json's numbers and sort by a clicked column, posterior draws show with their exact spread, and
nothing on it comes from the network."""

import json
import math
import re
import shutil
from html.parser import HTMLParser

import numpy as np
import pytest
import soundfile

from mgdm_audio.audio.corpora.kaldi import write_data_dir
from mgdm_audio.audio.evaluation.score import score_separation
from mgdm_audio.cli import main
from mgdm_audio.common.browser import check_page

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")

STEMS = ("bass", "drums", "guitar", "piano")
RATE = 8000
SECONDS = 3


class _Page(HTMLParser):
    """The page's media sources, its summary table's rows (data-value of each cell) and figure captions."""

    def __init__(self):
        super().__init__()
        self.sources, self.rows, self.captions, self._table, self._caption = [], [], [], None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("audio", "img", "script", "link") and attrs.get("src"):
            self.sources.append(attrs["src"])
        if tag == "table":
            self._table = attrs.get("class")
        if tag == "tr" and self._table == "summary" and (not self.rows or self.rows[-1]):
            self.rows.append([])  # the header's row stays empty and is reused
        if tag == "td" and self._table == "summary":
            self.rows[-1].append(attrs.get("data-value"))
        self._caption = tag == "figcaption"

    def handle_data(self, data):
        if self._caption:
            self.captions.append(data)
            self._caption = False

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None


def _scored_run(tmp_path, name, noise, draws=0, museval=False):
    """A data dir of 2 tracks and a separation whose stems are the references plus ``noise``, scored; with
    ``draws``, also that many draws per stem: the estimate ± a known deviation (so the estimate is their mean)."""
    rng = np.random.default_rng(0)
    data, separated = tmp_path / "data", tmp_path / name
    mixtures, sources = {}, [{} for _ in STEMS]
    for track in ("t1", "t2"):
        stems = rng.standard_normal((len(STEMS), SECONDS * RATE)) * 0.1
        mixtures[track] = str(tmp_path / f"{track}.wav")
        soundfile.write(mixtures[track], stems.sum(axis=0), RATE, subtype="FLOAT")
        folder = separated / track
        folder.mkdir(parents=True, exist_ok=True)
        for k, stem in enumerate(STEMS):
            path = tmp_path / f"{track}_{stem}.wav"
            soundfile.write(path, stems[k], RATE, subtype="FLOAT")
            sources[k][track] = str(path)
            estimate = stems[k] + noise * rng.standard_normal(stems.shape[1])
            soundfile.write(folder / f"{stem}.wav", estimate, RATE, subtype="FLOAT")
            deviation = 0.05 * rng.standard_normal(stems.shape[1])
            for j in range(draws):
                sign = 1 if j % 2 == 0 else -1
                soundfile.write(folder / f"{stem}_sample{j}.wav", estimate + sign * deviation, RATE, subtype="FLOAT")
        (folder / "separation.json").write_text(
            json.dumps(
                {
                    "seconds": 6.0,
                    "input_frames": SECONDS * RATE,
                    "input_sample_rate": RATE,
                    "denoiser_calls": {"forward": 10, "forward_backward": 2},
                    "settings": {"sampler": name, "num_samples": max(draws, 1)},
                }
            )
        )
    write_data_dir(data, mixtures, sources)
    score_separation(data, separated, tmp_path / f"score_{name}", stems=STEMS, museval=museval)
    return tmp_path / f"score_{name}" / "summary.json"


def _summary_rows(path, label):
    """summary.json's rows as the page's table holds them (data-value per column)."""
    number = lambda value: "" if value is None or math.isnan(value) else f"{value:.6f}"  # noqa: E731
    columns = ("si_sdri_mean", "num_windows", "museval_sdr_median", "museval_sdr_mean", "num_tracks")
    return [
        [label, row["stem"], *(number(row[column]) for column in columns)]
        for row in json.loads(path.read_text())["summary"]
    ]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The page of two systems, the first scored with museval and saved with two draws per stem."""
    tmp_path = tmp_path_factory.mktemp("report")
    summaries = [_scored_run(tmp_path, "good", 0.01, draws=2, museval=True), _scored_run(tmp_path, "poor", 0.1)]
    folder = tmp_path / "page"
    assert main(["report", str(folder), *map(str, summaries)]) == 0
    return folder / "index.html", summaries


def test_the_page_holds_every_clip_and_summary_json(page):
    index, summaries = page
    text = index.read_text()
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", text)  # nothing fetched from elsewhere
    parsed = _Page()
    parsed.feed(text)
    audio = [source for source in parsed.sources if source.endswith(".opus")]
    # per track: mixture, 4 references, 4 estimates per system, 2 draws per stem of the first system
    assert len(audio) == 2 * (1 + 4 + 2 * 4 + 2 * 4)
    assert len(parsed.sources) == 2 * len(audio) + 2 * 4  # a spectrogram per clip, a spread per stem with draws
    for source in parsed.sources:
        assert (index.parent / source).is_file(), source
    for source in audio:
        decoded, rate = soundfile.read(index.parent / source)
        assert abs(len(decoded) / rate - SECONDS) < 0.05 and np.abs(decoded).max() > 0.01
    assert parsed.rows == _summary_rows(summaries[0], "good") + _summary_rows(summaries[1], "poor")
    good, poor = (json.loads(path.read_text())["summary"][-1]["si_sdri_mean"] for path in summaries)
    assert good > poor + 10  # the less noisy estimate scores higher
    assert "SDR median" in text and not math.isnan(
        json.loads(summaries[0].read_text())["summary"][0]["museval_sdr_mean"]
    )


def test_the_spread_of_the_draws_is_their_deviation_from_their_mean(page):
    """Two draws estimate ± d: their mean is the estimate and each deviates by d, so the spread is ‖d‖² / ‖mean‖²."""
    index, summaries = page
    folder = json.loads(summaries[0].read_text())["separation_dir"]
    estimate, rate = soundfile.read(f"{folder}/t1/bass.wav")
    deviation = soundfile.read(f"{folder}/t1/bass_sample0.wav")[0] - estimate
    expected = 10 * math.log10(np.sum(deviation**2) / np.sum(estimate**2))
    parsed = _Page()
    parsed.feed(index.read_text())
    spreads = [float(m) for c in parsed.captions for m in re.findall(r"mean, ([-+][\d.]+) dB", c)]
    assert len(spreads) == 2 * 4  # one per track and stem of the system with draws
    assert spreads[0] == pytest.approx(expected, abs=0.05)  # t1's bass is the first
    assert "good: 2 posterior draws per stem" in index.read_text()


def test_a_budget_shortens_the_excerpts(tmp_path):
    summary = _scored_run(tmp_path, "good", 0.01)
    folder = tmp_path / "page"
    assert main(["report", str(folder), str(summary), "--max-mb", "0.05"]) == 0
    decoded, rate = soundfile.read(folder / "audio" / "t1" / "mixture.opus")
    assert len(decoded) / rate < 1.0  # 0.05 MB for 18 clips at 32 kb/s: under a second each
    assert "an excerpt where longer" in (folder / "index.html").read_text()


def test_in_a_browser_the_page_loads_every_clip_and_sorts_by_a_clicked_column(page, browser):
    index, summaries = page
    check = check_page(browser, index)
    assert check.problems == []
    clips = [item for item in check.media if item.kind == "audio"]
    assert len(clips) == 2 * (1 + 4 + 2 * 4 + 2 * 4)
    assert all(abs(float(item.detail.split()[0]) - SECONDS) < 0.05 for item in clips)
    shown = browser.execute_script(_TABLE_VALUES)
    assert shown == [row[2] for row in _summary_rows(summaries[0], "good") + _summary_rows(summaries[1], "poor")]
    header = browser.find_elements("css selector", "table.summary th")[2]  # SI-SDRi
    header.click()
    ascending = [float(value) for value in browser.execute_script(_TABLE_VALUES)]
    assert ascending == sorted(ascending) and ascending != [float(value) for value in shown]
    header.click()
    assert [float(value) for value in browser.execute_script(_TABLE_VALUES)] == sorted(ascending, reverse=True)


def test_report_check_opens_the_page_in_a_browser(page, browser, tmp_path, capsys):
    _, summaries = page
    shot = tmp_path / "shot.png"
    assert main(["report", str(tmp_path / "p"), str(summaries[1]), "--check", "--screenshot", str(shot)]) == 0
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (tmp_path / "p" / "audio" / "t1" / "mixture.opus").write_bytes(b"not audio")
    from mgdm_audio.common.browser import check_page as check

    problems = check(browser, tmp_path / "p" / "index.html").problems
    assert len(problems) == 1 and "mixture.opus" in problems[0]


def test_separations_and_restorations_are_not_mixed(page, tmp_path, capsys):
    _, summaries = page
    other = tmp_path / "summary.json"
    other.write_text(json.dumps({"restore_dir": str(tmp_path), "task": "sr4"}))
    assert main(["report", str(tmp_path / "p"), str(summaries[0]), str(other)]) == 1
    assert "mix image restorations and separations" in capsys.readouterr().err


# The SI-SDRi column of the summary table, top to bottom, as the browser shows it now.
_TABLE_VALUES = (
    "return Array.from(document.querySelectorAll('table.summary tbody tr')).map(r => r.cells[2].dataset.value)"
)
