"""Small inline-SVG charts for dashboard widgets: no JavaScript, print-friendly, safe to embed.

    from core import bar_chart, line_chart
    html = bar_chart([("一月", 12), ("二月", 9)], title="工单数")

Both return ``markupsafe.Markup`` (labels and titles are escaped) ready for a widget's ``html``.
"""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup, escape

PALETTE = "#b7312c"


def _num(value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, Decimal | int | float):
        return float(value)
    raise TypeError(f"chart values must be numbers, got {type(value).__name__}")


def _fmt(value) -> str:
    f = _num(value)
    return f"{f:,.0f}" if f == int(f) else f"{f:,.2f}"


def _frame(width, height, title, body) -> Markup:
    label = escape(title or "")
    return Markup(
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{label}" style="max-width:{width}px">'
        f'{f"<title>{label}</title>" if title else ""}{body}</svg>'
    )


def bar_chart(data, *, title: str = "", width: int = 360, height: int = 180, color: str = PALETTE) -> Markup:
    """Vertical bars for ``data``, a list of ``(label, value)`` pairs (values ≥ 0; numbers or Decimals)."""
    data = [(str(label), _num(value)) for label, value in data]
    if not data:
        return _frame(width, height, title, f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" '
                                            f'fill="#616e7c" font-size="12">—</text>')
    top, bottom, left = 16, 28, 8
    plot_h = height - top - bottom
    peak = max(max(v for _l, v in data), 0) or 1
    slot = (width - 2 * left) / len(data)
    bar_w = max(slot * 0.7, 1)
    parts = [f'<line x1="{left}" y1="{top + plot_h}" x2="{width - left}" y2="{top + plot_h}" stroke="#d9e2ec"/>']
    for i, (label, value) in enumerate(data):
        h = max(value, 0) / peak * plot_h
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{escape(color)}">'
                     f'<title>{escape(label)}: {_fmt(value)}</title></rect>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="10">'
                     f'{_fmt(value)}</text>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - 10}" text-anchor="middle" font-size="10" '
                     f'fill="#616e7c">{escape(label[:8])}</text>')
    return _frame(width, height, title, "".join(parts))


def line_chart(data, *, title: str = "", width: int = 360, height: int = 180, color: str = PALETTE) -> Markup:
    """A line through ``data``, a list of ``(label, value)`` pairs in order (e.g. by month)."""
    data = [(str(label), _num(value)) for label, value in data]
    if not data:
        return bar_chart([], title=title, width=width, height=height)
    top, bottom, left = 16, 28, 16
    plot_h, plot_w = height - top - bottom, width - 2 * left
    lo, hi = min(0.0, *(v for _l, v in data)), max(v for _l, v in data)
    span = (hi - lo) or 1
    step = plot_w / max(len(data) - 1, 1)
    points = [(left + i * step, top + plot_h - (v - lo) / span * plot_h) for i, (_l, v) in enumerate(data)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    parts = [f'<line x1="{left}" y1="{top + plot_h}" x2="{width - left}" y2="{top + plot_h}" stroke="#d9e2ec"/>',
             f'<polyline points="{path}" fill="none" stroke="{escape(color)}" stroke-width="2"/>']
    for (x, y), (label, value) in zip(points, data, strict=True):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{escape(color)}">'
                     f'<title>{escape(label)}: {_fmt(value)}</title></circle>')
        parts.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" font-size="10" '
                     f'fill="#616e7c">{escape(label[:8])}</text>')
    return _frame(width, height, title, "".join(parts))
