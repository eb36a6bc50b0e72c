"""Open a results page in a real headless browser: its console errors, whether every audio clip and picture it
names loads and decodes, and a screenshot.

The browser is Debian's ``chromium`` driven through its ``chromedriver`` by Selenium (``pip install selenium``;
``tools/install_system_packages.sh`` installs both Debian packages). Pages are opened from the file system, as a
user opens them; ``--allow-file-access-from-files`` lets the page's own script read its audio files to decode them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The browser and its driver, as Debian installs them.
CHROMIUM = ("chromium", "chromedriver")


def missing_browser() -> str | None:
    """Why :func:`headless_chromium` cannot start (a one-line reason), or None when it can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the Python package selenium is not installed (pip install selenium)"
    absent = [program for program in CHROMIUM if shutil.which(program) is None]
    if absent:
        return f"{' and '.join(absent)} not found (Debian: apt-get install chromium chromium-driver)"
    return None


@contextmanager
def headless_chromium(width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A headless Chromium (a Selenium WebDriver) with a ``width`` × ``height`` pixel window, quit on exit.

    Raises:
        RuntimeError: the browser, its driver or Selenium is missing (the message says which).
    """
    reason = missing_browser()
    if reason:
        raise RuntimeError(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which(CHROMIUM[0])
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in containers and CI
        "--disable-gpu",
        "--allow-file-access-from-files",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(shutil.which(CHROMIUM[1])))
    try:
        yield driver
    finally:
        driver.quit()


@dataclass(frozen=True)
class Media:
    """One <audio> or <img> of a page: ``ok`` when it loaded and decoded; ``detail``: its duration in seconds
    and channels (audio), its pixel size (pictures), or the browser's error."""

    kind: str
    source: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class PageCheck:
    """What a browser saw on a page: console messages at error level, and every audio clip and picture."""

    console_errors: tuple[str, ...]
    media: tuple[Media, ...]

    @property
    def problems(self) -> list[str]:
        """One line per console error or media that failed; empty for a sound page."""
        return [f"console: {line}" for line in self.console_errors] + [
            f"{item.kind} {item.source}: {item.detail}" for item in self.media if not item.ok
        ]


def check_page(driver: Any, page: Path) -> PageCheck:
    """Open ``page`` in ``driver`` (from :func:`headless_chromium`), decode every audio source with the Web Audio
    API and check that every picture has pixels."""
    driver.get(page.resolve().as_uri())
    driver.set_script_timeout(120)
    results = driver.execute_async_script(_DECODE_EVERY_MEDIUM)
    errors = tuple(entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE")
    return PageCheck(errors, tuple(Media(**result) for result in results))


def screenshot(driver: Any, page: Path, png: Path, width: int = 1280, max_height: int = 6000) -> Path:
    """Save a PNG of ``page`` as a ``width``-pixel-wide window shows it, as tall as the page (at most
    ``max_height`` pixels)."""
    driver.get(page.resolve().as_uri())
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(int(height) + 20, max_height))
    png.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(png))
    return png


# Runs in the page: waits for every picture, decodes every clip, and reports each as a Media's fields.
_DECODE_EVERY_MEDIUM = """
const done = arguments[arguments.length - 1];
const pictures = Array.from(document.images).map(img => new Promise(resolve => {
  const report = () => resolve({kind: "picture", source: img.getAttribute("src"), ok: img.naturalWidth > 0,
    detail: img.naturalWidth > 0 ? img.naturalWidth + "x" + img.naturalHeight : "did not load"});
  if (img.complete) { report(); } else { img.onload = report; img.onerror = report; }
}));
const clips = Array.from(document.querySelectorAll("audio")).map(audio => {
  const source = audio.getAttribute("src");
  return fetch(audio.src).then(response => response.arrayBuffer())
    .then(bytes => new OfflineAudioContext(1, 1, 48000).decodeAudioData(bytes))
    .then(buffer => ({kind: "audio", source: source, ok: buffer.duration > 0,
      detail: buffer.duration.toFixed(3) + " s, " + buffer.numberOfChannels + " channel(s)"}))
    .catch(error => ({kind: "audio", source: source, ok: false, detail: String(error)}));
});
Promise.all(pictures.concat(clips)).then(done);
"""
