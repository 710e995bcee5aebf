"""Charts drawn on the server as inline SVG: no external service, no script, no inline style (the CSP).

Every label is escaped (``format_html``); colours come from classes in static/css/app.css. Each chart is a
picture of the table printed beside it, so it is ``role="img"`` with a title, and the table carries the data
for screen readers and for copying.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 150
BAR_WIDTH = 300
VALUE_WIDTH = 90
WIDTH = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
MAX_LABEL = 14
TEXT_BASELINE = 16


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    # What is written after the bar (the value, or the value and a rate); the value when empty.
    note: str = ""
    tone: str = ""


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def bar_chart(title: str, bars: list[Bar]) -> SafeString:
    """A horizontal bar chart, bars scaled to the largest value."""
    top = max((bar.value for bar in bars), default=0) or 1
    height = max(1, len(bars)) * (BAR_HEIGHT + GAP) + GAP
    rows = []
    for index, bar in enumerate(bars):
        y = GAP + index * (BAR_HEIGHT + GAP)
        width = round(BAR_WIDTH * bar.value / top) if bar.value > 0 else 0
        rows.append(
            (
                y + TEXT_BASELINE,
                LABEL_WIDTH - 8,
                bar.label,
                _short(bar.label),
                LABEL_WIDTH,
                y,
                max(width, 1) if bar.value > 0 else 0,
                BAR_HEIGHT,
                f"chart__bar chart__bar--{bar.tone}" if bar.tone else "chart__bar",
                LABEL_WIDTH + width + 6,
                y + TEXT_BASELINE,
                bar.note or str(bar.value),
            )
        )
    body = format_html_join(
        "",
        '<text x="{1}" y="{0}" text-anchor="end" class="chart__label"><title>{2}</title>{3}</text>'
        '<rect x="{4}" y="{5}" width="{6}" height="{7}" class="{8}" rx="2"></rect>'
        '<text x="{9}" y="{10}" class="chart__value">{11}</text>',
        rows,
    )
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" width="{}" height="{}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        WIDTH,
        height,
        WIDTH,
        height,
        title,
        body,
    )
