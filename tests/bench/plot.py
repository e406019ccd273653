#!/usr/bin/env python3
"""plot.py - the plots of `make bench`, drawn with gnuplot from results.json
and the CSVs the benchmarks leave in the same folder (build/bench/):

  swap_stages.png      native swap, share of each stage (load, verify, relink,
                       transfer, cleanup) per module, total under each bar
  swap_relocs.png      native swap time and load stage against relocations
                       (log-log), the receipt hash, the reference's 29.1 ms,
                       and the guest's swap total (bigswap_bench.py)
  push_vs_raw.png      theseusctl push (500 KiB and 4 MiB objects) beside raw
                       UDP echo, per NIC and CPU count (MiB/s)
  downtime_timeline.png  latency of every echo and invoke of the workload over
                       time, quiet then during 100 swaps (each swap a tick)

For each plot it writes NAME.dat and NAME.gp beside the PNG (rerun with
`gnuplot NAME.gp`).  A plot whose data is missing is skipped with a note;
without gnuplot (tools/setup installs gnuplot-nox) nothing is drawn.

  plot.py DIR
"""
import json
import os
import shutil
import subprocess
import sys

STAGES = ["load", "verify", "relink", "transfer", "cleanup"]
TERM = "set terminal pngcairo size 960,540 font 'sans,10'\n"


def metric(bench, suite, name):
    v = bench.get(suite, {}).get(name)
    return v["value"] if v and v["value"] is not None else None


def swap_labels(bench):
    sn = bench.get("swap_native", {})
    return [m[:-len("_total_us")] for m in sn if m.endswith("_total_us")]


def plot_swap_stages(bench, d):
    rows = []
    for lab in swap_labels(bench):
        st = [metric(bench, "swap_native", "%s_%s_us" % (lab, s)) or 0.0 for s in STAGES]
        total = metric(bench, "swap_native", lab + "_total_us")
        size = metric(bench, "swap_native", lab + "_object_bytes") or 0
        rel = metric(bench, "swap_native", lab + "_relocations")
        if not total:
            continue
        name = "%s\\n%.0f KB, %s relocs\\n%.1f us" % (lab, size / 1000,
                                                     "%d" % rel if rel is not None else "?", total)
        rows.append((name, size, st))
    if not rows:
        return None
    rows.sort(key=lambda r: r[1])
    with open(os.path.join(d, "swap_stages.dat"), "w") as f:
        f.write("# module " + " ".join(STAGES) + "  (us, native medians)\n")
        for name, _, st in rows:
            f.write('"%s" %s\n' % (name, " ".join("%.3f" % x for x in st)))
    gp = TERM + """set output 'swap_stages.png'
set title 'Native live swap (loader + swap engine on the host): share of each stage, by module size'
set style data histograms
set style histogram rowstacked
set style fill solid 0.8 border -1
set boxwidth 0.6
set ylabel 'share of the swap (%)'
set yrange [0:100]
set key outside right
set bmargin 5
plot """
    parts = ["'swap_stages.dat' u (100*$2/($2+$3+$4+$5+$6)):xtic(1) t 'load'"]
    for i, s in enumerate(STAGES[1:]):
        parts.append("'' u (100*$%d/($2+$3+$4+$5+$6)) t '%s'" % (i + 3, s))
    return "swap_stages", gp + ", ".join(parts) + "\n"


def plot_swap_relocs(bench, d):
    rows = []
    for lab in swap_labels(bench):
        rel = metric(bench, "swap_native", lab + "_relocations")
        total = metric(bench, "swap_native", lab + "_total_us")
        load = metric(bench, "swap_native", lab + "_load_us")
        hsh = metric(bench, "swap_native", lab + "_receipt_hash_us")
        if rel and total:
            rows.append((rel, total, load or total, hsh or 0, lab))
    if not rows:
        return None
    rows.sort()
    with open(os.path.join(d, "swap_relocs.dat"), "w") as f:
        f.write("# relocations total_us load_us receipt_hash_us module\n")
        for r in rows:
            f.write("%d %.3f %.3f %.3f %s\n" % r)
    # The same swaps in a TCG guest over the network (bigswap_bench.py), in us.
    guest = []
    for lab in ("hello", "big3k", "big"):
        rel = metric(bench, "bigswap", lab + "_relocations")
        total = metric(bench, "bigswap", lab + "_stage_total")
        if rel and total:
            guest.append((rel, total * 1e3, lab))
    with open(os.path.join(d, "swap_relocs_guest.dat"), "w") as f:
        f.write("# relocations stage_total_us module  (kernel stages in the guest)\n")
        for r in sorted(guest):
            f.write("%d %.3f %s\n" % r)
    guest_plot = (", \\\n     'swap_relocs_guest.dat' u 1:2 w lp pt 11 t "
                  "'swap total in the guest (TCG, kernel stages)'") if guest else ""
    gp = TERM + """set output 'swap_relocs.png'
set title 'Live swap against the relocations of the module (log-log): native, and in a TCG guest'
set logscale xy
set xlabel 'relocations applied by the loader'
set ylabel 'time (us)'
set key bottom right
set grid
plot 'swap_relocs.dat' u 1:2 w lp pt 7 t 'swap total', \\
     '' u 1:3 w lp pt 5 t 'load stage', \\
     '' u 1:4 w lp pt 9 t 'SHA-256 at receipt (staging, while chunks arrive)', \\
     '' u 1:2:5 w labels offset 0,1 notitle, \\
     29100 w l dt 2 lw 2 t 'reference system, one live swap on hardware (29.1 ms)'""" + guest_plot + "\n"
    return "swap_relocs", gp


def plot_push(bench, d):
    rows = []
    for nic in ("e1000", "e1000_1cpu", "e1000_2cpu", "virtio", "virtio_1cpu", "virtio_2cpu"):
        push = metric(bench, "push", nic + "_throughput")
        big = metric(bench, "push", nic + "_throughput_big") or 0.0
        raw = metric(bench, "raw_udp", nic + "_throughput")
        if push and raw:
            rows.append((nic, push / 1024, big / 1024, raw / 1024))
    if not rows:
        return None
    with open(os.path.join(d, "push_vs_raw.dat"), "w") as f:
        f.write("# nic push_MiB_s push_big_MiB_s raw_udp_MiB_s\n")
        for nic, p, b, r in rows:
            f.write('"%s\\npush/raw %.2f, big %.2f" %.3f %.3f %.3f\n' % (nic, p / r, b / r, p, b, r))
    gp = TERM + """set output 'push_vs_raw.png'
set title 'theseusctl push beside raw UDP echo to the same guest (one run, TCG)'
set xtics noenhanced
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel 'MiB/s'
set yrange [0:*]
set offsets 0, 0, graph 0.1, 0
set bmargin 4
set key outside top center horizontal
plot 'push_vs_raw.dat' u 2:xtic(1) t 'push, 500 KiB objects', '' u 3 t 'push, 4 MiB objects', '' u 4 t 'raw UDP (1 KiB datagrams echoed)'
"""
    return "push_vs_raw", gp


def plot_downtime(bench, d):
    src = os.path.join(d, "downtime.csv")
    swaps = os.path.join(d, "downtime_swaps.csv")
    if not os.path.exists(src) or not os.path.exists(swaps):
        return None
    gp = TERM + """set output 'downtime_timeline.png'
set title 'Workload latency over time: quiet, then during 100 live swaps of hello (a tick per swap)'
set logscale y
set xlabel 'time since the workload started (s)'
set ylabel 'request latency (ms)'
set key below horizontal
set grid
plot 'downtime.csv' u 1:(strcol(3) eq 'echo' && $5 > 0 ? $4 : 1/0) w p pt 7 ps 0.4 t 'echo', \\
     '' u 1:(strcol(3) eq 'invoke' && $5 > 0 ? $4 : 1/0) w p pt 5 ps 0.4 t 'invoke hello', \\
     '' u 1:($5 == 0 ? 1000 : 1/0) w p pt 2 ps 1.5 lc rgb 'red' t 'failed (no answer in 1 s)', \\
     'downtime_swaps.csv' u 1:(0.02) w p pt 11 ps 0.6 lc rgb 'black' t 'a swap starts', \\
     '' u 1:2 w l lc rgb 'gray' t 'swap round trip (ms)'
"""
    return "downtime_timeline", gp


def main():
    if len(sys.argv) != 2:
        print("usage: plot.py DIR", file=sys.stderr)
        return 2
    d = sys.argv[1]
    try:
        with open(os.path.join(d, "results.json")) as f:
            bench = json.load(f)["bench"]
    except (OSError, ValueError, KeyError) as e:
        print("plot: no usable %s/results.json (%s): no plots" % (d, e))
        return 0
    if not shutil.which("gnuplot"):
        print("plot: gnuplot not found (tools/setup installs gnuplot-nox): no plots")
        return 0
    for fn in (plot_swap_stages, plot_swap_relocs, plot_push, plot_downtime):
        r = fn(bench, d)
        if r is None:
            print("plot: %s skipped (its benchmark left no data)" % fn.__name__[5:])
            continue
        name, gp = r
        with open(os.path.join(d, name + ".gp"), "w") as f:
            f.write(gp)
        p = subprocess.run(["gnuplot", name + ".gp"], cwd=d, capture_output=True, text=True)
        if p.returncode != 0:
            print("plot: %s: gnuplot failed: %s" % (name, p.stderr.strip()[-300:]))
        else:
            print("plot: %s" % os.path.join(d, name + ".png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
