"""mgdm report on image restorations: the page shows every system's restoration with scores.csv's numbers, the
means of summary.json in a table that sorts by a clicked column, and each system's draws with their exact spread."""

import csv
import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("diffusers")

from mgdm_audio.cli import main  # noqa: E402
from mgdm_audio.common.browser import check_page  # noqa: E402
from mgdm_audio.image.restoration.page import SPREAD_WHITE  # noqa: E402


class _Page(HTMLParser):
    """The page's picture sources and figure captions, in order."""

    def __init__(self):
        super().__init__()
        self.sources, self.captions, self._caption = [], [], False

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs)["src"])
        self._caption = tag == "figcaption"

    def handle_data(self, data):
        if self._caption:
            self.captions.append(data)
            self._caption = False


@pytest.fixture(scope="module")
def page(prior_dir, tmp_path_factory):
    """Two grey images inpainted (task half) by MGDM with three draws and by DPS with one, scored, on one page."""
    tmp_path = tmp_path_factory.mktemp("image_page")
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8), "L").save(tmp_path / f"{name}.png")
    summaries = []
    for sampler, extra in (("mgdm", ["--grad-steps", "1", "-n", "3"]), ("dps", [])):
        out = tmp_path / sampler
        command = ["restore", "--prior", str(prior_dir), "-o", str(out), "--task", "half", "--steps", "5"]
        assert main([*command, "--sampler", sampler, *extra, str(tmp_path / "a.png"), str(tmp_path / "b.png")]) == 0
        score = tmp_path / f"score_{sampler}"
        assert main(["restore-score", str(out / "tiny_faces" / "half"), str(score)]) == 0
        summaries.append(score / "summary.json")
    folder = tmp_path / "page"
    assert main(["report", str(folder), *map(str, summaries)]) == 0
    return folder / "index.html", summaries


def test_the_page_shows_each_restoration_with_its_scores(page):
    index, summaries = page
    parsed = _Page()
    parsed.feed(index.read_text())
    # per image: reference, observation, 2 restorations; MGDM's 3 draws and their spread
    assert len(parsed.sources) == 2 * (4 + 3 + 1)
    for source in parsed.sources:
        assert (index.parent / source).is_file(), source
    for summary in summaries:
        with open(summary.with_name("scores.csv"), newline="") as handle:
            for row in csv.DictReader(handle):
                caption = f"PSNR {float(row['psnr_db']):.2f} dB, SSIM {float(row['ssim']):.3f}"
                assert caption in parsed.captions
    record = json.loads(summaries[0].read_text())
    restored = Image.open(f"{record['restore_dir']}/a/restored.png")
    assert np.array_equal(np.asarray(Image.open(index.parent / "images/half/a/system0.png")), np.asarray(restored))


def test_the_spread_map_is_the_draws_standard_deviation(page):
    index, summaries = page
    folder = json.loads(summaries[0].read_text())["restore_dir"]
    draws = np.stack([np.asarray(Image.open(f"{folder}/b/sample_{k}.png"), dtype=np.float64) / 255 for k in range(3)])
    expected = draws.std(axis=0)
    shown = np.asarray(Image.open(index.parent / "images/half/b/system0_spread.png"), dtype=np.float64) / 255
    assert np.abs(shown - np.clip(expected / SPREAD_WHITE, 0, 1)).max() <= 0.5 / 255 + 1e-9
    means = [float(m) for c in _captions(index) for m in re.findall(r"standard deviation, mean ([\d.]+)", c)]
    assert means[1] == pytest.approx(expected.mean(), abs=5e-4)  # image b, after a


def test_in_a_browser_every_picture_loads_and_the_table_sorts(page, browser):
    index, summaries = page
    check = check_page(browser, index)
    assert check.problems == [] and len(check.media) == 2 * (4 + 3 + 1)
    values = "return Array.from(document.querySelectorAll('table.summary tbody tr')).map(r => r.cells[3].dataset.value)"
    expected = [f"{json.loads(path.read_text())['psnr_mean']:.6f}" for path in summaries]
    assert browser.execute_script(values) == expected
    browser.find_elements("css selector", "table.summary th")[3].click()  # PSNR
    assert browser.execute_script(values) == sorted(expected, key=float)
    browser.find_elements("css selector", "table.summary th")[3].click()
    assert browser.execute_script(values) == sorted(expected, key=float, reverse=True)


def _captions(index):
    parsed = _Page()
    parsed.feed(index.read_text())
    return parsed.captions
