#!/usr/bin/env python3
"""Renders grafana-dashboard.json's panels as one HTML page, from a real
Prometheus: each panel's own PromQL (with `$__rate_interval` as 1m) is
evaluated through Prometheus's HTTP API and drawn as SVG, laid out on the
dashboard's grid. No Grafana is involved: it stands in for one where none
can be installed, and the page says so.

    python3 render.py http://127.0.0.1:9090 MINUTES > dashboard.html
    chromium --headless=new --screenshot=dashboard.png --window-size=1600,1400 dashboard.html
"""
import html
import json
import os
import re
import sys
import time
import urllib.parse
import urllib.request

COLORS = ["#73bf69", "#f2cc0c", "#5794f2", "#ff780a", "#f2495c", "#b877d9", "#8ab8ff", "#37872d", "#fade2a", "#c4162a"]
UNIT = 56  # px per grid row
COLUMN = 1560 / 24


def query(prometheus, path, **params):
    url = f"{prometheus}/api/v1/{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=30) as answer:
        body = json.load(answer)
    assert body["status"] == "success", body
    return body["data"]["result"]


def legend(template, labels):
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), template) or "value"


def number(value, unit):
    if value != value:  # NaN
        return "n/a"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "percentunit":
        return f"{value * 100:.1f}%"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def timeseries(panel, prometheus, start, end, step, width, height):
    series = []
    for target in panel["targets"]:
        expr = target["expr"].replace("$__rate_interval", "1m")
        for result in query(prometheus, "query_range", query=expr, start=start, end=end, step=step):
            points = [(float(t), float(v)) for t, v in result["values"] if v not in ("NaN", "+Inf", "-Inf")]
            if points:
                series.append((legend(target.get("legendFormat", ""), result["metric"]), points))
    unit = panel["fieldConfig"]["defaults"].get("unit", "short")
    top = max([v for _, points in series for _, v in points] + [0])
    top = top * 1.15 if top > 0 else 1
    left, bottom = 64, 22
    plot_w, plot_h = width - left - 12, height - bottom - 8
    x = lambda t: left + (t - start) / (end - start) * plot_w
    y = lambda v: 8 + plot_h - v / top * plot_h
    svg = [f'<svg width="{width}" height="{height}">']
    for i in range(5):
        value = top * i / 4
        svg.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#2c3235"/>')
        svg.append(f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{number(value, unit)}</text>')
    for minute in range(0, int((end - start) // 60) + 1, max(1, int((end - start) // 60 // 6))):
        t = start + minute * 60
        label = time.strftime("%H:%M", time.gmtime(t))
        svg.append(f'<text x="{x(t):.1f}" y="{height - 4}" text-anchor="middle">{label}</text>')
    for i, (_, points) in enumerate(series):
        path = " ".join(f"{'M' if j == 0 else 'L'}{x(t):.1f},{y(v):.1f}" for j, (t, v) in enumerate(points))
        svg.append(f'<path d="{path}" fill="none" stroke="{COLORS[i % len(COLORS)]}" stroke-width="1.6"/>')
    svg.append("</svg>")
    legends = "".join(
        f'<span><i style="background:{COLORS[i % len(COLORS)]}"></i>{html.escape(name)}</span>'
        for i, (name, _) in enumerate(series)
    ) or '<span class="none">no data</span>'
    return "".join(svg) + f'<div class="legend">{legends}</div>'


def stat(panel, prometheus, end):
    target = panel["targets"][0]
    expr = target["expr"].replace("$__rate_interval", "1m")
    results = query(prometheus, "query", query=expr, time=end)
    value = float(results[0]["value"][1]) if results else float("nan")
    defaults = panel["fieldConfig"]["defaults"]
    color = "#73bf69"
    for step in defaults["thresholds"]["steps"]:
        if step["value"] is not None and value == value and value >= step["value"]:
            color = step["color"] if step["color"] != "red" else "#f2495c"
    return f'<div class="stat" style="color:{color}">{number(value, defaults.get("unit", "short"))}</div>'


def main():
    prometheus, minutes = sys.argv[1], float(sys.argv[2])
    here = os.path.dirname(os.path.abspath(__file__))
    dashboard = json.load(open(os.path.join(here, "grafana-dashboard.json")))
    end = time.time()
    start = end - minutes * 60
    step = max(5, int(minutes * 60 / 240))
    boxes = []
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        width, height = grid["w"] * COLUMN - 8, grid["h"] * UNIT - 8
        if panel["type"] == "stat":
            body = stat(panel, prometheus, end)
        else:
            body = timeseries(panel, prometheus, start, end, step, int(width - 16), int(height - 62))
        boxes.append(
            f'<section style="left:{grid["x"] * COLUMN + 20:.0f}px;top:{grid["y"] * UNIT + 76}px;'
            f'width:{width:.0f}px;height:{height}px"><h2>{html.escape(panel["title"])}</h2>{body}</section>'
        )
    bottom = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in dashboard["panels"]) * UNIT + 90
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(end))
    print(f"""<!doctype html><html><head><meta charset="utf-8"><style>
body{{margin:0;background:#111217;color:#ccccdc;font:13px system-ui,sans-serif;height:{bottom}px;position:relative}}
header{{padding:14px 20px;font-size:18px;color:#fff}} header small{{color:#8e8e9e;font-size:12px;margin-left:12px}}
section{{position:absolute;background:#181b1f;border:1px solid #2c3235;border-radius:4px;padding:6px 8px;box-sizing:border-box;overflow:hidden}}
h2{{font-size:13px;font-weight:500;margin:0 0 6px;color:#ccccdc}}
svg text{{fill:#8e8e9e;font-size:10px}}
.stat{{font-size:40px;font-weight:600;text-align:center;margin-top:14px}}
.legend{{font-size:11px;display:flex;flex-wrap:wrap;gap:2px 12px;margin-top:2px}}
.legend i{{display:inline-block;width:12px;height:3px;margin-right:4px;vertical-align:middle}} .none{{color:#6e6e7e}}
</style></head><body><header>{html.escape(dashboard["title"])}<small>the panels of docs/observability/grafana-dashboard.json, evaluated by Prometheus
over the demo's /metrics ({minutes:.0f} min to {stamp}) and drawn by render.py: not a Grafana screenshot</small></header>
{"".join(boxes)}</body></html>""")


if __name__ == "__main__":
    main()
