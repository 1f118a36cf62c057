#!/usr/bin/env python3
"""Latency distribution plots as SVG, pure python3 (no matplotlib).

  plot.py [--kind K] [--metric M] [--title T] OUT.svg INPUT...

One CDF line per input (log x axis in microseconds, fraction on y), each
labelled by the input's file name stem (a.samples.csv -> "a"; with its
directory's name in front when two inputs have the same stem):

  PREFIX.samples.csv   tlshub_bench --samples output ("kind,us" rows): the
                       empirical CDF of the rows of kind K (--kind,
                       default setup = connect + handshake; connect,
                       handshake, request; "all" = one line per kind).
  perf_metrics_*.json  tcsegd's perf_metrics file: the CDF of a histogram
                       known only at the bucket bounds (points at the
                       bounds, straight lines between them). --metric M
                       picks one histogram (e.g. key_fetch_openssl);
                       default: every histogram with samples, one line
                       each ("stem:metric"). Samples above the last bound
                       are counted in the legend, not drawn.

Exit status 0, or 1 with "plot.py: FILE:LINE: why" on bad input.
"""
import argparse
import csv
import json
import math
import os
import sys
import tempfile
from xml.sax.saxutils import escape

W, H = 760, 440                     # plot area, px
ML, MR, MT, MB = 70, 20, 40, 50      # margins around it
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
MAX_POINTS = 2000                   # per line; large sample sets are thinned


class InputError(Exception):
    pass


def stem(path):
    name = os.path.basename(path)
    for suf in (".samples.csv", ".csv", ".json"):
        if name.endswith(suf) and len(name) > len(suf):
            return name[: -len(suf)]
    return name


def read_samples(path, kind):
    """{kind: sorted [us]} of a tlshub_bench samples CSV."""
    out = {}
    with open(path, newline="") as f:
        rows = csv.reader(f)
        head = next(rows, None)
        if head != ["kind", "us"]:
            raise InputError("%s:1: expected the header 'kind,us' "
                             "(tlshub_bench --samples), got %r" % (path, head))
        for n, row in enumerate(rows, 2):
            if not row:
                continue
            if len(row) != 2:
                raise InputError("%s:%d: expected 2 fields, got %d"
                                 % (path, n, len(row)))
            try:
                v = float(row[1])
            except ValueError:
                raise InputError("%s:%d: bad latency %r" % (path, n, row[1]))
            if not math.isfinite(v) or v < 0:
                raise InputError("%s:%d: bad latency %r" % (path, n, row[1]))
            if kind in ("all", row[0]):
                out.setdefault(row[0], []).append(v)
    if not out:
        # e.g. handshake rows of a --tls none run: no line, say so
        print("plot.py: warning: %s: no samples of kind %r, not drawn"
              % (path, kind), file=sys.stderr)
    return {k: sorted(v) for k, v in out.items()}


def ecdf_points(vals):
    """Step CDF of sorted values, thinned to MAX_POINTS."""
    n = len(vals)
    step = max(1, n // MAX_POINTS)
    pts = []
    for i in range(0, n, step):
        pts.append((vals[i], i / n))
        pts.append((vals[i], (i + 1) / n))
    pts.append((vals[-1], 1.0))
    return pts


def read_perf_json(path, metric):
    """[(name, points, above_last_bound, count)] of a perf_metrics file."""
    try:
        with open(path) as f:
            j = json.load(f)
    except ValueError as e:
        raise InputError("%s: not JSON: %s" % (path, e))
    hists = j.get("histograms") if isinstance(j, dict) else None
    if not isinstance(hists, dict):
        raise InputError("%s: no \"histograms\" object (not a tcsegd "
                         "perf_metrics file?)" % path)
    names = [metric] if metric else sorted(hists)
    out = []
    for name in names:
        h = hists.get(name)
        if not isinstance(h, dict):
            raise InputError("%s: no histogram %r (have: %s)"
                             % (path, name, ", ".join(sorted(hists))))
        pts, above, count = bucket_points(path, name, h)
        if count or metric:
            out.append((name, pts, above, count))
    if not out:
        raise InputError("%s: every histogram is empty" % path)
    return out


def bucket_points(path, name, h):
    try:
        bk = [(b["le_us"], int(b["n"])) for b in h["buckets"]]
    except (KeyError, TypeError, ValueError):
        raise InputError("%s: histogram %s: bad buckets" % (path, name))
    count = sum(n for _, n in bk)
    finite = [(float(le), n) for le, n in bk if le != "+Inf"]
    if any(n < 0 for _, n in bk) or any(
            b[0] <= a[0] for a, b in zip(finite, finite[1:])):
        raise InputError("%s: histogram %s: bounds not ascending or "
                         "negative counts" % (path, name))
    above = count - sum(n for _, n in finite)
    if not count or not finite:
        return [], above, count
    # from the lower edge of the first non-empty bucket
    first = next(i for i, (_, n) in enumerate(finite + [(0, 1)]) if n)
    if first >= len(finite):
        return [], above, count
    lo = finite[first - 1][0] if first else finite[0][0] / 2
    pts, cum = [(lo, 0.0)], 0
    for le, n in finite[first:]:
        cum += n
        pts.append((le, cum / count))
        if cum == count:
            break
    return pts, above, count


def fmt_us(v):
    for unit, scale in (("s", 1e6), ("ms", 1e3), ("µs", 1)):
        if v >= scale:
            x = v / scale
            return ("%g" % x) + " " + unit
    return "%g µs" % v


class Plot:
    def __init__(self, lines, title):
        self.lines = lines  # [(label, points, note)]
        xs = [x for _, pts, _ in lines for x, _ in pts if x > 0]
        if not xs:
            raise InputError("nothing to plot (no positive latency)")
        self.lo = math.floor(math.log10(min(xs)))
        self.hi = math.ceil(math.log10(max(xs)))
        if self.hi <= self.lo:
            self.hi = self.lo + 1
        self.floor = 10.0 ** self.lo
        self.title = title

    def px(self, x):
        x = max(x, self.floor)
        return ML + (math.log10(x) - self.lo) / (self.hi - self.lo) * W

    def py(self, y):
        return MT + (1 - y) * H

    def axes(self):
        o = []
        for d in range(self.lo, self.hi + 1):
            x = self.px(10.0 ** d)
            o.append('<line class="grid" x1="%.1f" y1="%d" x2="%.1f" '
                     'y2="%d"/>' % (x, MT, x, MT + H))
            o.append('<line class="tick" x1="%.1f" y1="%d" x2="%.1f" '
                     'y2="%d"/>' % (x, MT + H, x, MT + H + 6))
            o.append('<text class="xt" x="%.1f" y="%d">%s</text>'
                     % (x, MT + H + 20, escape(fmt_us(10.0 ** d))))
            if d < self.hi:
                for m in range(2, 10):
                    x = self.px(m * 10.0 ** d)
                    o.append('<line class="tick" x1="%.1f" y1="%d" '
                             'x2="%.1f" y2="%d"/>' % (x, MT + H, x,
                                                      MT + H + 3))
                    # few decades: label 2 and 5 too
                    if self.hi - self.lo <= 2 and m in (2, 5):
                        o.append('<text class="xt minor" x="%.1f" y="%d">'
                                 '%s</text>' % (x, MT + H + 20,
                                                escape(fmt_us(m * 10.0 ** d))))
        for i in range(5):
            y = self.py(i / 4)
            o.append('<line class="grid" x1="%d" y1="%.1f" x2="%d" '
                     'y2="%.1f"/>' % (ML, y, ML + W, y))
            o.append('<line class="tick" x1="%d" y1="%.1f" x2="%d" '
                     'y2="%.1f"/>' % (ML - 6, y, ML, y))
            o.append('<text class="yt" x="%d" y="%.1f">%g</text>'
                     % (ML - 9, y + 4, i / 4))
        o.append('<rect class="frame" x="%d" y="%d" width="%d" '
                 'height="%d"/>' % (ML, MT, W, H))
        o.append('<text class="label" x="%d" y="%d">latency (µs, log '
                 'scale)</text>' % (ML + W // 2, MT + H + 40))
        o.append('<text class="label" transform="translate(18,%d) '
                 'rotate(-90)">cumulative fraction</text>' % (MT + H // 2))
        if self.title:
            o.append('<text class="title" x="%d" y="%d">%s</text>'
                     % (ML + W // 2, MT - 15, escape(self.title)))
        return o

    def paths(self):
        o = []
        for i, (label, pts, _) in enumerate(self.lines):
            d = " ".join("%s%.1f %.1f" % ("M" if k == 0 else "L",
                                           self.px(x), self.py(y))
                         for k, (x, y) in enumerate(pts))
            o.append('<path class="cdf" d="%s" stroke="%s"><title>%s'
                     '</title></path>' % (d, COLORS[i % len(COLORS)],
                                          escape(label)))
        return o

    def legend(self):
        o = []
        x0 = ML + W + 20
        for i, (label, _, note) in enumerate(self.lines):
            y = MT + 10 + 20 * i
            o.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" '
                     'stroke-width="2"/>' % (x0, y, x0 + 24, y,
                                             COLORS[i % len(COLORS)]))
            o.append('<text class="leg" x="%d" y="%d">%s</text>'
                     % (x0 + 30, y + 4, escape(label + note)))
        return o

    def svg(self):
        width = ML + W + MR + 40 + 7 * max(
            len(lbl + note) for lbl, _, note in self.lines)
        height = max(MT + H + MB, MT + 20 * len(self.lines) + 20)
        style = ("text{font-family:sans-serif;font-size:12px}"
                 ".xt,.label,.title{text-anchor:middle}.yt{text-anchor:end}"
                 ".minor{fill:#555;font-size:10px}"
                 ".title{font-size:14px;font-weight:bold}"
                 ".grid{stroke:#ddd;stroke-width:1}"
                 ".tick{stroke:#000;stroke-width:1}"
                 ".frame{fill:none;stroke:#000;stroke-width:1}"
                 ".cdf{fill:none;stroke-width:2}")
        return "\n".join(
            ['<?xml version="1.0" encoding="UTF-8"?>',
             '<svg xmlns="http://www.w3.org/2000/svg" width="%d" '
             'height="%d" viewBox="0 0 %d %d">' % (width, height, width,
                                                   height),
             '<style>%s</style>' % style,
             '<rect width="100%" height="100%" fill="#fff"/>']
            + self.axes() + self.paths() + self.legend() + ["</svg>", ""])


def labels(paths):
    """File name stems; with the parent directory where two would clash."""
    stems = [stem(p) for p in paths]
    return [os.path.join(os.path.basename(os.path.dirname(
                os.path.abspath(p))), s) if stems.count(s) > 1 else s
            for p, s in zip(paths, stems)]


def collect(args):
    lines = []
    for path, s in zip(args.inputs, labels(args.inputs)):
        if not os.path.isfile(path):
            raise InputError("%s: no such file" % path)
        try:
            lines += lines_of(args, path, s)
        except (ValueError, TypeError) as e:  # not UTF-8, odd JSON values
            raise InputError("%s: %s" % (path, e))
    if not lines:
        raise InputError("nothing to plot")
    return lines


def lines_of(args, path, s):
    """The (label, points, legend note) lines of one input file."""
    lines = []
    if path.endswith(".json"):
        for name, pts, above, count in read_perf_json(path, args.metric):
            note = " (n=%d%s)" % (count, ", %d above %s" % (
                above, fmt_us(pts[-1][0])) if above and pts else "")
            if pts:
                lines.append(("%s:%s" % (s, name), pts, note))
        return lines
    for kind, vals in sorted(read_samples(path, args.kind).items()):
        label = s if args.kind != "all" else "%s:%s" % (s, kind)
        lines.append((label, ecdf_points(vals), " (n=%d)" % len(vals)))
    return lines


def main(argv):
    ap = argparse.ArgumentParser(
        prog="plot.py", description="Latency CDF plots as SVG.")
    ap.add_argument("--kind", default="setup",
                    help="samples CSV: connect|handshake|setup|request|all "
                         "(default setup)")
    ap.add_argument("--metric", default=None,
                    help="perf_metrics JSON: one histogram (default: all "
                         "non-empty)")
    ap.add_argument("--title", default="")
    ap.add_argument("out")
    ap.add_argument("inputs", nargs="+")
    args = ap.parse_args(argv)
    if not args.out.endswith(".svg"):
        print("plot.py: %s: the output must be an .svg file" % args.out,
              file=sys.stderr)
        return 1
    try:
        text = Plot(collect(args), args.title).svg()
    except (InputError, OSError) as e:
        print("plot.py: %s" % e, file=sys.stderr)
        return 1
    d = os.path.dirname(os.path.abspath(args.out))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".plot.", suffix=".svg")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
