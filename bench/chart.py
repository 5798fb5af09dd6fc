"""Draw dispatch throughput against worker count (bench/results/scaleout.json) as an SVG."""
import json
import sys

from harness import RESULTS, ROOT

OUT = ROOT / "bench" / "dispatch_scaling.svg"


def bar_chart(points, target, title):
    width, height, left, bottom, top = 520, 300, 70, 50, 40
    plot_w, plot_h = width - left - 20, height - top - bottom
    peak = max([p[1] for p in points] + [target]) * 1.15
    bar_w = plot_w / (len(points) * 2)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="Helvetica,Arial,sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="#fff"/>',
             f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">{title}</text>']
    for tick in range(0, int(peak) + 1, max(1000, int(peak / 5) // 1000 * 1000)):
        y = top + plot_h - tick / peak * plot_h
        parts.append(f'<line x1="{left}" x2="{width - 20}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#57606a">{tick:,}</text>')
    target_y = top + plot_h - target / peak * plot_h
    parts.append(f'<line x1="{left}" x2="{width - 20}" y1="{target_y:.1f}" y2="{target_y:.1f}" stroke="#cf222e" '
                 f'stroke-dasharray="6 4"/><text x="{width - 22}" y="{target_y - 6:.1f}" text-anchor="end" '
                 f'fill="#cf222e">target {target:,}/s</text>')
    for i, (label, value) in enumerate(points):
        x = left + bar_w / 2 + i * 2 * bar_w
        h = value / peak * plot_h
        parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="#0969da"/>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - h - 6:.1f}" text-anchor="middle">{value:,}</text>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 18:.1f}" text-anchor="middle">{label}</text>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 10}" text-anchor="middle" fill="#57606a">'
                 f'huey_consumer processes (4 threads each)</text>')
    parts.append(f'<text x="16" y="{top + plot_h / 2}" transform="rotate(-90 16 {top + plot_h / 2})" '
                 f'text-anchor="middle" fill="#57606a">emails accepted per second</text></svg>')
    return "\n".join(parts)


def main():
    source = RESULTS / (sys.argv[1] if len(sys.argv) > 1 else "scaleout.json")
    data = json.loads(source.read_text())
    points = [(str(row["workers"]), int(row["median_emails_per_second"])) for row in data["summary"]]
    OUT.write_text(bar_chart(points, 5000, f"Dispatch of {data['members']:,} prompts, 50 ms per API call"))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
