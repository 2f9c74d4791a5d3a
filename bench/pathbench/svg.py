"""Grouped bar charts as standalone SVG (stdlib only): one group per row label, one bar per series, optional
min-max whiskers and horizontal reference lines (targets)."""
import math
from xml.sax.saxutils import escape

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def _nice_max(v):
    """The smallest round number (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k) at or above v."""
    if v <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(v))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * mag >= v * 0.999:
            return float(m * mag)
    return float(v)


def _ticks(top):
    """Grid lines at a round step (1, 2, 2.5 or 5 x 10^k) that divides the axis into 4 to 8 parts."""
    for n in (5, 4, 6, 8):
        step = top / n
        mant = step / 10 ** math.floor(math.log10(step))
        if any(abs(mant - m) < 1e-9 for m in (1, 2, 2.5, 5)):
            return [step * i for i in range(n + 1)]
    return [top * i / 5 for i in range(6)]


def grouped_bars(title, y_label, groups, series, values, whiskers=None, hlines=(), width=None, height=360, ymax=None):
    """groups: list of group labels; series: list of series names; values[g][s] -> float or None;
    whiskers[g][s] -> (lo, hi) or None; hlines: [(y, label)]; ymax: fixed top of the axis. Returns the SVG text;
    a single series gets no legend."""
    n_g, n_s = len(groups), max(1, len(series))
    bar_w = 14
    group_w = n_s * bar_w + 18
    left, right, top, bottom = 64, 16, 36, 92
    width = width or max(480, left + right + n_g * max(group_w, 84) + 150, 7 * len(title) + 40)
    plot_w = width - left - right - 150
    group_w = plot_w / max(1, n_g)
    bar_w = min(22, (group_w - 12) / n_s)
    plot_h = height - top - bottom
    vmax = 0.0
    for g in range(n_g):
        for s in range(n_s):
            v = values[g][s]
            hi = whiskers[g][s][1] if whiskers and whiskers[g][s] else None
            for x in (v, hi):
                if x is not None:
                    vmax = max(vmax, x)
    for y, _ in hlines:
        vmax = max(vmax, y)
    ymax = ymax or _nice_max(vmax * 1.08)

    def py(v):
        return top + plot_h - plot_h * (v / ymax)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{width / 2:.0f}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>']
    for t in _ticks(ymax):
        y = py(t)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{t:g}</text>')
    out.append(f'<text transform="translate(16,{top + plot_h / 2:.0f}) rotate(-90)" text-anchor="middle">'
               f'{escape(y_label)}</text>')
    for g, label in enumerate(groups):
        gx = left + g * group_w + (group_w - n_s * bar_w) / 2
        for s in range(n_s):
            v = values[g][s]
            x = gx + s * bar_w
            if v is None:
                out.append(f'<text x="{x + bar_w / 2:.1f}" y="{py(0) - 3:.1f}" text-anchor="middle" '
                           f'fill="#999">-</text>')
                continue
            y = py(v)
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{py(0) - y:.1f}" '
                       f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(series[s])}: {v:.3g}</title></rect>')
            w = whiskers[g][s] if whiskers else None
            if w and w[0] is not None and w[1] is not None and w[1] > w[0]:
                cx = x + (bar_w - 2) / 2
                out.append(f'<line x1="{cx:.1f}" y1="{py(w[0]):.1f}" x2="{cx:.1f}" y2="{py(w[1]):.1f}" '
                           f'stroke="black"/>')
        lx = left + g * group_w + group_w / 2
        lines = label.split("\n")
        for i, part in enumerate(lines):
            out.append(f'<text x="{lx:.1f}" y="{top + plot_h + 16 + 13 * i}" text-anchor="middle">'
                       f'{escape(part)}</text>')
    for y, label in hlines:
        yy = py(y)
        out.append(f'<line x1="{left}" y1="{yy:.1f}" x2="{left + plot_w:.1f}" y2="{yy:.1f}" stroke="#d62728" '
                   f'stroke-dasharray="5,4"/>')
        out.append(f'<text x="{left + 4}" y="{yy - 3:.1f}" fill="#d62728">{escape(label)}</text>')
    out.append(f'<line x1="{left}" y1="{py(0):.1f}" x2="{left + plot_w:.1f}" y2="{py(0):.1f}" stroke="black"/>')
    lx = left + plot_w + 12
    for s, name in enumerate(series if n_s > 1 else []):
        y = top + 40 + 16 * s
        out.append(f'<rect x="{lx:.1f}" y="{y - 9}" width="10" height="10" fill="{PALETTE[s % len(PALETTE)]}"/>')
        out.append(f'<text x="{lx + 14:.1f}" y="{y}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
