"""pathbench's report: medians of the repetitions in runs.jsonl, ratios, issue 11's targets, report.md, summary.json
and the SVG plots, all rebuilt from runs.jsonl alone (`pathbench report DIR`)."""
import json
import os
import shlex
import statistics

import svg

# issue 11's targets per path: goodput / TCP BBR (each direction), link bytes per goodput byte
GOODPUT_TARGET = {"rtt=100,rate=100,loss=1": 1.0, "rtt=100,rate=100,loss=5": 1.2, "rtt=200,rate=50,loss=10": 2.0,
                  "rtt=20,rate=500,loss=0": 0.8}
WIRE_TARGET = {"rtt=100,rate=100,loss=1": 1.15, "rtt=100,rate=100,loss=5": 1.3}
LUL_SLACK_MS = 30
COEX_RANGE = (0.35, 0.65)
INTEROP_TARGET = 1.5
IMPL_LABEL = {"ours": "ours", "go": "Go 20210922", "tcp-bbr": "TCP BBR", "tcp-cubic": "TCP CUBIC"}


def label(path):
    kv = dict(x.split("=", 1) for x in path.split(","))
    parts = []
    if "rtt" in kv:
        parts.append(f"{kv['rtt']} ms")
    if "rate" in kv:
        parts.append(f"{kv['rate']} Mbit/s")
    parts.append(f"{kv.get('loss', '0')}% loss")
    return ", ".join(parts)


def short(path):
    kv = dict(x.split("=", 1) for x in path.split(","))
    return f"{kv.get('rtt', '?')} ms {kv.get('rate', '?')}M\n{kv.get('loss', '0')}% loss"


def load(folder):
    meta, runs = {}, []
    with open(os.path.join(folder, "runs.jsonl")) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            if r.get("kind") == "meta":
                meta = r
            elif r.get("kind") == "run":
                runs.append(r)
            elif r.get("kind") == "end":
                meta["elapsed_s"] = r.get("elapsed_s")
    return meta, runs


class Cell:
    """The repetitions of one (scenario, path, impl, dir): medians of the successful ones."""

    def __init__(self, runs):
        self.runs = runs
        self.ok = [r for r in runs if r.get("ok")]
        self.errors = sorted({e for r in runs for e in r.get("errors", [])})

    def med(self, field):
        v = [r[field] for r in self.ok if isinstance(r.get(field), (int, float))]
        return statistics.median(v) if v else None

    def span(self, field):
        v = [r[field] for r in self.ok if isinstance(r.get(field), (int, float))]
        return (min(v), max(v)) if v else None

    def n(self):
        return f"{len(self.ok)}/{len(self.runs)}"


def cells(runs):
    groups = {}
    for r in runs:
        groups.setdefault((r["scenario"], r["path"], r["impl"], r["dir"]), []).append(r)
    return {k: Cell(v) for k, v in groups.items()}


def f1(v, nd=1):
    return "-" if v is None else f"{v:.{nd}f}"


def ratio(a, b):
    return None if a is None or not b else a / b


def with_range(c, field, nd=1, scale=1.0):
    if c is None or c.med(field) is None:
        return "FAILED" if c is not None and c.runs else "-"
    s = f1(c.med(field) * scale, nd)
    sp = c.span(field)
    if len(c.ok) > 1 and sp:
        s += f" [{f1(sp[0] * scale, nd)}-{f1(sp[1] * scale, nd)}]"
    if len(c.ok) < len(c.runs):
        s += f" ({c.n()} ok)"
    return s


def verdict(ok):
    return "-" if ok is None else ("met" if ok else "**not met**")


def ordered(values, order):
    return [x for x in order if x in values] + [x for x in values if x not in order]


# ------------------------------------------------------------------ sections
def paths_section(cs, out_dir, svgs):
    paths = ordered({k[1] for k in cs if k[0] == "paths"}, list(GOODPUT_TARGET))
    if not paths:
        return []
    impls = ["ours", "go", "tcp-bbr", "tcp-cubic"]
    md = ["## Bulk goodput on the four paths (`--mode fast2` both ends; TCP through the same emulator)", "",
          "Mbit/s of goodput at the receiver, one stream, median [min-max]. Ratios are of medians.", "",
          "| path | dir | ours | Go 20210922 | TCP BBR | TCP CUBIC | ours / TCP BBR | target | ours / Go |",
          "|---|---|---:|---:|---:|---:|---:|---|---:|"]
    md2 = ["", "| path | dir | wire ratio ours / Go / TCP BBR | wire target | drops on the forward link, ours: random"
           " / queue | CPU s per GiB ours / Go | peak RSS MiB cli/srv ours / Go |", "|---|---|---|---|---|---|---|"]
    groups, vals, whisk, wvals = [], [], [], []
    for p in paths:
        for d in ("up", "down"):
            c = {i: cs.get(("paths", p, i, d)) for i in impls}
            m = {i: (c[i].med("mbps") if c[i] else None) for i in impls}
            r_bbr, r_go = ratio(m["ours"], m["tcp-bbr"]), ratio(m["ours"], m["go"])
            tgt = GOODPUT_TARGET.get(p)
            tgt_s = f">= {tgt} {verdict(None if r_bbr is None else r_bbr >= tgt)}" if tgt else "-"
            md.append(f"| {label(p)} | {d} | " + " | ".join(with_range(c[i], "mbps") for i in impls) +
                      f" | {f1(r_bbr, 2)} | {tgt_s} | {f1(r_go, 1)} |")
            w = {i: (c[i].med("wire_ratio") if c[i] else None) for i in impls}
            wt = WIRE_TARGET.get(p)
            o = c["ours"]
            rss = " / ".join(f"{f1(c[i].med('rss_client_kb') / 1024, 0)}/{f1(c[i].med('rss_server_kb') / 1024, 0)}"
                             if c[i] and c[i].med("rss_client_kb") else "-" for i in ("ours", "go"))
            md2.append(f"| {label(p)} | {d} | {f1(w['ours'], 2)} / {f1(w['go'], 2)} / {f1(w['tcp-bbr'], 2)} | "
                       + (f"<= {wt} {verdict(None if w['ours'] is None else w['ours'] <= wt)}" if wt else "-") +
                       f" | {f1(o.med('fwd_drop_loss') if o else None, 0)} / {f1(o.med('fwd_drop_queue') if o else None, 0)}"
                       f" | {f1(c['ours'].med('cpu_s_per_gib') if c['ours'] else None)} / "
                       f"{f1(c['go'].med('cpu_s_per_gib') if c['go'] else None)} | {rss} |")
            groups.append(f"{short(p)}\n{d}")
            vals.append([m[i] for i in impls])
            whisk.append([c[i].span("mbps") if c[i] else None for i in impls])
            wvals.append([w[i] for i in impls])
    names = [IMPL_LABEL[i] for i in impls]
    pics = []
    for k, p in enumerate(paths):  # one chart per path: 500 Mbit/s would flatten the others
        name = f"paths-goodput-{k + 1}.svg"
        svgs[name] = svg.grouped_bars(f"Bulk goodput, {label(p)} (median, min-max)", "Mbit/s", ["up", "down"],
                                      names, vals[2 * k:2 * k + 2], whisk[2 * k:2 * k + 2])
        pics.append(f"![goodput {label(p)}]({name})")
    svgs["paths-wire.svg"] = svg.grouped_bars("Link bytes per goodput byte (sending direction)", "wire ratio",
                                              groups, names, wvals, hlines=[(1.15, "1.15 (1%)"), (1.3, "1.3 (5%)")])
    return md + md2 + ["", " ".join(pics), "", "![wire ratio](paths-wire.svg)", ""]


def windows_section(cs, svgs):
    keys = sorted({(k[1], k[3]) for k in cs if k[0] == "windows"}, key=lambda x: (x[0], x[1] != "up"))
    if not keys:
        return []
    md = ["## The 1% path with `--sndwnd 4096 --rcvwnd 4096` set by hand (`--mode fast2` both ends)", "",
          "No flood means the bottleneck queue drops fewer datagrams than the emulator's random loss does, on the "
          "sending direction of the link during the measurement.", "",
          "| path | dir | impl | Mbit/s | / TCP BBR (paths run) | wire ratio | random drops | queue drops | no flood |",
          "|---|---|---|---:|---:|---:|---:|---:|---|"]
    groups, vals = [], []
    for p, d in keys:
        bbr = cs.get(("paths", p, "tcp-bbr", d))
        for impl in ("ours-w4096", "go-w4096"):
            c = cs.get(("windows", p, impl, d))
            if not c:
                continue
            dl, dq = c.med("fwd_drop_loss"), c.med("fwd_drop_queue")
            md.append(f"| {label(p)} | {d} | {impl} | {with_range(c, 'mbps')} | "
                      f"{f1(ratio(c.med('mbps'), bbr.med('mbps') if bbr else None), 2)} | {f1(c.med('wire_ratio'), 2)}"
                      f" | {f1(dl, 0)} | {f1(dq, 0)} | {verdict(None if dl is None or dq is None else dq == 0 or dq < dl)} |")
            groups.append(f"{impl}\n{d}")
            vals.append([dl, dq])
    svgs["windows-drops.svg"] = svg.grouped_bars("1% path, windows 4096: datagrams dropped, sending direction", "packets",
                                                 groups, ["random loss", "queue overflow"], vals)
    return md + ["", "![drops](windows-drops.svg)", ""]


def lul_section(cs, svgs):
    keys = sorted({(k[1], k[2], k[3]) for k in cs if k[0] == "lul"})
    if not keys:
        return []
    md = ["## Latency under load: 64-byte request/response while a bulk stream runs in the same tunnel", "",
          "Same client/server pair (one KCP session, two smux streams); for TCP a second connection on the same path. "
          "Idle: rr on the tunnel before the bulk starts (its minimum is the RTT as the tunnel sees it). "
          f"Target: loaded p99 <= idle minimum + {LUL_SLACK_MS} ms.", "",
          "| path | bulk dir | impl | bulk Mbit/s | idle min / p50 ms | loaded p50 ms | loaded p99 ms | round trips "
          "| p99 - min RTT ms | target |", "|---|---|---|---:|---:|---:|---:|---:|---:|---|"]
    groups, vals, lines = [], [], []
    order = ["ours", "go", "tcp-bbr"]
    for p, impl, d in sorted(keys, key=lambda k: (k[0], k[2], order.index(k[1]) if k[1] in order else 9)):
        c = cs[("lul", p, impl, d)]
        mn, p99 = c.med("idle_min_us"), c.med("p99_us")
        excess = None if mn is None or p99 is None else (p99 - mn) / 1000
        md.append(f"| {label(p)} | {d} | {IMPL_LABEL.get(impl, impl)} | {with_range(c, 'bulk_mbps')} | "
                  f"{f1(mn / 1000 if mn else None)} / {f1(c.med('idle_p50_us') / 1000 if c.med('idle_p50_us') else None)}"
                  f" | {with_range(c, 'p50_us', 1, 1e-3)} | {with_range(c, 'p99_us', 1, 1e-3)} | {f1(c.med('count'), 0)}"
                  f" | {f1(excess)} | {verdict(None if excess is None else excess <= LUL_SLACK_MS)} |")
        groups.append(f"{IMPL_LABEL.get(impl, impl)}\nbulk {d}")
        vals.append([v / 1000 if v else None for v in (c.med("idle_p50_us"), c.med("p50_us"), c.med("p99_us"))])
        if mn:
            lines.append(mn / 1000 + LUL_SLACK_MS)
    hl = [(min(lines), f"min RTT + {LUL_SLACK_MS}")] if lines else []
    svgs["latency-under-load.svg"] = svg.grouped_bars("Request/response latency with a bulk stream in the same "
                                                      "tunnel (1% loss)", "ms", groups,
                                                      ["idle p50", "loaded p50", "loaded p99"], vals, hlines=hl)
    return md + ["", "![latency under load](latency-under-load.svg)", ""]


def coex_section(cs, svgs):
    keys = sorted({(k[1], k[2], k[3]) for k in cs if k[0] == "coex"})
    if not keys:
        return []
    lo, hi = COEX_RANGE
    md = ["## Coexistence: one flow and one kernel TCP BBR flow through one bottleneck at the same time", "",
          "Both started together in the same direction; each one's goodput counted at its receiver over the same "
          f"window. Share = flow / (flow + TCP BBR). Target for the tunnel: {lo:.0%}-{hi:.0%}. The TCP BBR row "
          "(two TCP BBR flows) shows what the emulator and kernel give as fair.", "",
          "| path | dir | flow | flow Mbit/s | TCP BBR Mbit/s | share | target |", "|---|---|---|---:|---:|---:|---|"]
    groups, vals, whisk = [], [], []
    order = ["ours", "go", "tcp-bbr"]
    for p, impl, d in sorted(keys, key=lambda k: (k[0], k[2], order.index(k[1]) if k[1] in order else 9)):
        c = cs[("coex", p, impl, d)]
        sh = c.med("share")
        md.append(f"| {label(p)} | {d} | {IMPL_LABEL.get(impl, impl)} | {with_range(c, 'mbps')} | "
                  f"{with_range(c, 'other_mbps')} | {with_range(c, 'share', 0, 100)} % | "
                  f"{verdict(None if sh is None else lo <= sh <= hi) if impl != 'tcp-bbr' else '(reference)'} |")
        groups.append(f"{IMPL_LABEL.get(impl, impl)}\n{d}")
        vals.append([sh * 100 if sh is not None else None])
        sp = c.span("share")
        whisk.append([(sp[0] * 100, sp[1] * 100) if sp else None])
    svgs["coexistence.svg"] = svg.grouped_bars("Share of a shared bottleneck against one TCP BBR flow", "% of goodput",
                                               groups, ["share"], vals, whisk,
                                               hlines=[(lo * 100, f"{lo:.0%}"), (hi * 100, f"{hi:.0%}")], ymax=100)
    return md + ["", "![coexistence](coexistence.svg)", ""]


def interop_section(cs, svgs):
    gens = sorted({k[2].split("-")[0] for k in cs if k[0] == "interop" and k[2].split("-")[0] != "ours"})
    if not gens:
        return []
    md = ["## Ours sending to a Go receiver, at Go's default flags", "",
          "No flags on either end, except `--smuxver 1` on our client against Debian's server (its default; ours "
          "defaults to 2 like the newest Go). "
          "Up: our client sends to a Go server; down: our server sends to a Go client. Ratio = ours->Go / Go->Go "
          f"(target >= {INTEROP_TARGET}).", "",
          "| Go generation | dir | path | Go -> Go Mbit/s | ours -> Go Mbit/s | ratio | target |",
          "|---|---|---|---:|---:|---:|---|"]
    groups, vals = [], []
    for g in gens:
        gname = "20210922" if g == "go" else "20260314" if g == "gonew" else g
        for d, mixed in (("up", f"ours-{g}"), ("down", f"{g}-ours")):
            for p in sorted({k[1] for k in cs if k[0] == "interop" and k[2] == mixed and k[3] == d}):
                base, ours = cs.get(("interop", p, f"{g}-{g}", d)), cs.get(("interop", p, mixed, d))
                r = ratio(ours.med("mbps") if ours else None, base.med("mbps") if base else None)
                md.append(f"| {gname} | {d} | {label(p)} | {with_range(base, 'mbps')} | {with_range(ours, 'mbps')} | "
                          f"{f1(r, 2)} | {verdict(None if r is None else r >= INTEROP_TARGET)} |")
                groups.append(f"Go {gname}\n{d}")
                vals.append([base.med("mbps") if base else None, ours.med("mbps") if ours else None])
    svgs["interop.svg"] = svg.grouped_bars("Go receiver at Go's defaults, 1% loss: who sends", "Mbit/s", groups,
                                           ["Go sends", "ours sends"], vals)
    return md + ["", "![interop](interop.svg)", ""]


def tcp_section(cs, svgs):
    """--tcp (fake TCP): ours vs Go 20210922, both ends the same implementation, kernel TCP BBR as the reference."""
    keys = sorted({(k[1], k[3]) for k in cs if k[0] == "tcp"}, key=lambda x: (x[0], x[1] != "up"))
    if not keys:
        return []
    impls = ["ours-tcp", "go-tcp", "tcp-bbr"]
    md = ["## `--tcp` (fake TCP): ours vs Go 20210922, `--mode fast2 --tcp` both ends", "",
          "Both ends the same implementation (the 20260314 Go client drops every --tcp packet, docs/fake-tcp.md); "
          "kernel TCP BBR through the same emulator as the reference. Mbit/s of goodput, median [min-max]; wire ratio "
          "= link bytes (IP) per goodput byte in the sending direction. Rules: firewall rules left in the two "
          "namespaces after the run (ours must leave none; Debian's Go leaves its own, deleted by the harness).", "",
          "| path | dir | ours --tcp | Go --tcp | TCP BBR | ours / Go | ours / TCP BBR | wire ratio ours / Go / TCP BBR "
          "| rules left ours / Go |", "|---|---|---:|---:|---:|---:|---:|---|---|"]
    groups, vals, whisk = [], [], []
    for p, d in keys:
        c = {i: cs.get(("tcp", p, i, d)) for i in impls}
        m = {i: (c[i].med("mbps") if c[i] else None) for i in impls}
        w = {i: (c[i].med("wire_ratio") if c[i] else None) for i in impls}
        left = " / ".join(f1(c[i].med("fw_rules_left") if c[i] else None, 0) for i in ("ours-tcp", "go-tcp"))
        md.append(f"| {label(p)} | {d} | " + " | ".join(with_range(c[i], "mbps") for i in impls) +
                  f" | {f1(ratio(m['ours-tcp'], m['go-tcp']), 2)} | {f1(ratio(m['ours-tcp'], m['tcp-bbr']), 2)} | "
                  f"{f1(w['ours-tcp'], 2)} / {f1(w['go-tcp'], 2)} / {f1(w['tcp-bbr'], 2)} | {left} |")
        groups.append(f"{short(p)}\n{d}")
        vals.append([m[i] for i in impls])
        whisk.append([c[i].span("mbps") if c[i] else None for i in impls])
    svgs["tcp-goodput.svg"] = svg.grouped_bars("--tcp goodput (median, min-max)", "Mbit/s", groups,
                                               ["ours --tcp", "Go 20210922 --tcp", "TCP BBR"], vals, whisk)
    return md + ["", "![--tcp goodput](tcp-goodput.svg)", ""]


def failures(runs):
    bad = [r for r in runs if not r.get("ok")]
    if not bad:
        return []
    md = ["## Failed runs", "", "| scenario | path | impl | dir | rep | errors |", "|---|---|---|---|---|---|"]
    for r in bad:
        md.append(f"| {r['scenario']} | {r['path']} | {r['impl']} | {r['dir']} | {r['rep']} | "
                  f"{'; '.join(r.get('errors', []))[:300]} |")
    return md + [""]


def summary(cs):
    out = []
    for (scen, path, impl, d), c in sorted(cs.items()):
        s = {"scenario": scen, "path": path, "impl": impl, "dir": d, "n": len(c.runs), "n_ok": len(c.ok)}
        for f in ("mbps", "other_mbps", "share", "bulk_mbps", "idle_min_us", "idle_p50_us", "p50_us", "p99_us",
                  "wire_ratio", "drop_loss", "drop_queue", "fwd_drop_loss", "fwd_drop_queue", "cpu_s_per_gib",
                  "cpu_client_s", "cpu_server_s", "rss_client_kb", "rss_server_kb", "fw_rules_left"):
            if c.med(f) is not None:
                s[f] = round(c.med(f), 4)
                if f in ("mbps", "share", "p99_us"):
                    s[f + "_all"] = [r.get(f) for r in c.ok]
        out.append(s)
    return out


def write(folder):
    meta, runs = load(folder)
    cs = cells(runs)
    svgs = {}
    argv = meta.get("argv") or []
    head = [f"# pathbench: issue 11's figures, {meta.get('start', '?')[:10]}", "",
            f"{meta.get('note') or ''}".strip(), "",
            f"Command: `{shlex.join(argv)}` (commit {meta.get('ours_commit')}; rebuild this report with "
            f"`bench/pathbench/pathbench report <this folder>`).",
            f"Repetitions: {meta.get('repeat')} (medians), bulk window {meta.get('seconds')} s, latency-under-load rr "
            f"{meta.get('rr_seconds')} s, coexistence {meta.get('coex_seconds')} s, warm-up {meta.get('warmup_mib')} MiB "
            f"each way on every fresh tunnel. Machine: {meta.get('nproc')} cores, kernel {meta.get('kernel')}, "
            f"load average at start {' '.join(meta.get('loadavg_start') or [])}. Took "
            f"{f1((meta.get('elapsed_s') or 0) / 60)} min (estimate {f1((meta.get('estimate_s') or 0) / 60)}).",
            "Paths: tunbench's network namespaces and userspace emulator netemu (IP level, so the tunnel's UDP and "
            "kernel TCP cross the same emulated link); loss is random, each way; bottleneck queue 100 ms, tail drop. "
            "Raw: `runs.jsonl` (every run), `summary.json` (medians).", ""]
    body = (paths_section(cs, folder, svgs) + windows_section(cs, svgs) + lul_section(cs, svgs) +
            coex_section(cs, svgs) + interop_section(cs, svgs) + tcp_section(cs, svgs) + failures(runs))
    for name, text in svgs.items():
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)
    with open(os.path.join(folder, "report.md"), "w") as f:
        f.write("\n".join(head + body).replace("\n\n\n", "\n\n"))
    with open(os.path.join(folder, "summary.json"), "w") as f:
        json.dump(summary(cs), f, indent=1)
        f.write("\n")
