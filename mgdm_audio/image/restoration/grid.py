"""Side-by-side picture grids: rows of equally sized images, enlarged, with a label above each column."""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

#: Grid cells are enlarged (nearest neighbour, so pixels stay visible) to at least this many pixels.
MIN_CELL = 96
GAP = 4
LABEL_HEIGHT = 14


def picture_grid(rows: Sequence[Sequence[Image.Image]], labels: Sequence[str]) -> Image.Image:
    """One RGB image: ``rows[r][c]`` in row r, column c, every cell the size of ``rows[0][0]`` enlarged by
    an integer factor to at least :data:`MIN_CELL` pixels, ``labels[c]`` written above column c."""
    if not rows or any(len(row) != len(labels) for row in rows):
        raise ValueError("need at least one row, each with one image per label")
    width, height = rows[0][0].size
    factor = max(1, -(-MIN_CELL // min(width, height)))
    cell_w, cell_h = width * factor, height * factor
    columns = len(labels)
    grid = Image.new(
        "RGB", (columns * cell_w + (columns + 1) * GAP, LABEL_HEIGHT + len(rows) * (cell_h + GAP) + GAP), "white"
    )
    draw = ImageDraw.Draw(grid)
    font = ImageFont.load_default()
    for c, label in enumerate(labels):
        draw.text((GAP + c * (cell_w + GAP), 1), label, fill="black", font=font)
    for r, row in enumerate(rows):
        for c, picture in enumerate(row):
            cell = picture.convert("RGB").resize((cell_w, cell_h), Image.Resampling.NEAREST)
            grid.paste(cell, (GAP + c * (cell_w + GAP), LABEL_HEIGHT + GAP + r * (cell_h + GAP)))
    return grid
