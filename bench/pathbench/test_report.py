"""Checks of pathbench's report on made-up runs (no root, no network): medians, ratios, target verdicts, failed runs,
well-formed SVG. Run: python3 -m unittest discover -s bench/pathbench"""
import json
import os
import tempfile
import unittest
import xml.etree.ElementTree as ET

import report
import svg

P1 = "rtt=100,rate=100,loss=1"


def run(scenario, impl, d, rep, ok=True, path=P1, **fields):
    return {"kind": "run", "scenario": scenario, "path": path, "impl": impl, "dir": d, "rep": rep, "ok": ok,
            "errors": [] if ok else ["boom"], **fields}


class ReportTest(unittest.TestCase):
    def build(self, runs):
        folder = tempfile.mkdtemp()
        with open(os.path.join(folder, "runs.jsonl"), "w") as f:
            f.write(json.dumps({"kind": "meta", "argv": ["pathbench"], "repeat": 3}) + "\n")
            for r in runs:
                f.write(json.dumps(r) + "\n")
        report.write(folder)
        with open(os.path.join(folder, "report.md")) as f:
            md = f.read()
        with open(os.path.join(folder, "summary.json")) as f:
            summ = json.load(f)
        return folder, md, summ

    def test_median_of_successful_runs_and_ratio_to_tcp_bbr(self):
        runs = [run("paths", "ours", "up", i, mbps=m, wire_ratio=1.1) for i, m in enumerate((50, 90, 70), 1)]
        runs += [run("paths", "tcp-bbr", "up", i, mbps=m) for i, m in enumerate((70, 60, 80), 1)]
        runs += [run("paths", "go", "up", 1, ok=False)]
        _, md, summ = self.build(runs)
        ours = next(s for s in summ if s["impl"] == "ours")
        self.assertEqual(ours["mbps"], 70)
        self.assertEqual(ours["n_ok"], 3)
        row = next(line for line in md.splitlines() if line.startswith("| 100 ms, 100 Mbit/s, 1% loss | up | 70.0"))
        self.assertIn("70.0 [50.0-90.0]", row)
        self.assertIn("| 1.00 | >= 1.0 met |", row)  # 70 / 70
        self.assertIn("FAILED", row)  # Go: its only run failed
        self.assertIn("## Failed runs", md)

    def test_targets_not_met_are_marked(self):
        runs = [run("paths", "ours", "down", 1, mbps=30, wire_ratio=1.4),
                run("paths", "tcp-bbr", "down", 1, mbps=60, wire_ratio=1.1)]
        _, md, _ = self.build(runs)
        self.assertIn("| 0.50 | >= 1.0 **not met** |", md)
        self.assertIn("<= 1.15 **not met**", md)

    def test_flood_verdict_compares_forward_queue_and_random_drops(self):
        runs = [run("windows", "ours-w4096", "up", 1, mbps=60, fwd_drop_loss=400, fwd_drop_queue=100),
                run("windows", "go-w4096", "up", 1, mbps=40, fwd_drop_loss=400, fwd_drop_queue=9000)]
        _, md, _ = self.build(runs)
        lines = md.splitlines()
        self.assertTrue(next(x for x in lines if "| ours-w4096 |" in x).endswith("| met |"))
        self.assertTrue(next(x for x in lines if "| go-w4096 |" in x).endswith("**not met** |"))

    def test_no_drops_at_all_is_no_flood(self):
        _, md, _ = self.build([run("windows", "ours-w4096", "up", 1, mbps=60, fwd_drop_loss=0, fwd_drop_queue=0)])
        self.assertTrue(next(x for x in md.splitlines() if "| ours-w4096 |" in x).endswith("| met |"))

    def test_latency_under_load_against_idle_minimum_plus_30_ms(self):
        runs = [run("lul", "ours", "down", 1, bulk_mbps=50, idle_min_us=100_000, idle_p50_us=101_000,
                    p50_us=110_000, p99_us=125_000, count=100),
                run("lul", "go", "down", 1, bulk_mbps=20, idle_min_us=100_000, idle_p50_us=101_000,
                    p50_us=150_000, p99_us=300_000, count=60)]
        _, md, _ = self.build(runs)
        ours = next(x for x in md.splitlines() if "| ours |" in x)
        go = next(x for x in md.splitlines() if "| Go 20210922 |" in x)
        self.assertIn("| 25.0 | met |", ours)
        self.assertIn("| 200.0 | **not met** |", go)

    def test_coexistence_share_range(self):
        runs = [run("coex", "ours", "up", 1, mbps=20, other_mbps=25, share=20 / 45, path="rtt=100,rate=50,loss=0"),
                run("coex", "go", "up", 1, mbps=3, other_mbps=42, share=3 / 45, path="rtt=100,rate=50,loss=0")]
        _, md, _ = self.build(runs)
        self.assertIn("| 44 % | met |", next(x for x in md.splitlines() if "| ours |" in x))
        self.assertIn("| 7 % | **not met** |", next(x for x in md.splitlines() if "| Go 20210922 |" in x))

    def test_interop_ratio_is_ours_sending_over_go_sending(self):
        runs = [run("interop", "go-go", "up", 1, mbps=7), run("interop", "ours-go", "up", 1, mbps=63),
                run("interop", "go-go", "down", 1, mbps=24), run("interop", "go-ours", "down", 1, mbps=30)]
        _, md, _ = self.build(runs)
        self.assertIn("| 9.00 | met |", next(x for x in md.splitlines() if x.startswith("| 20210922 | up |")))
        self.assertIn("| 1.25 | **not met** |", next(x for x in md.splitlines() if x.startswith("| 20210922 | down |")))

    def test_tcp_ratio_is_ours_over_go_and_rules_left_are_shown(self):
        runs = [run("tcp", "ours-tcp", "up", i, mbps=m, wire_ratio=1.1, fw_rules_left=0) for i, m in ((1, 40), (2, 60))]
        runs += [run("tcp", "go-tcp", "up", 1, mbps=20, wire_ratio=1.3, fw_rules_left=3),
                 run("tcp", "tcp-bbr", "up", 1, mbps=80, wire_ratio=1.02)]
        folder, md, summ = self.build(runs)
        row = next(x for x in md.splitlines() if x.startswith("| 100 ms, 100 Mbit/s, 1% loss | up |"))
        self.assertIn("| 50.0 [40.0-60.0] | 20.0 | 80.0 | 2.50 | 0.62 | 1.10 / 1.30 / 1.02 | 0 / 3 |", row)
        self.assertIn("tcp-goodput.svg", os.listdir(folder))
        self.assertEqual(next(s for s in summ if s["impl"] == "go-tcp")["fw_rules_left"], 3)

    def test_every_plot_is_well_formed_svg(self):
        runs = [run("paths", i, d, 1, mbps=m, wire_ratio=1.2) for i, m in (("ours", 60), ("tcp-bbr", 70))
                for d in ("up", "down")]
        runs += [run("coex", "ours", "up", 1, mbps=20, other_mbps=25, share=0.44)]
        folder, md, _ = self.build(runs)
        names = [n for n in os.listdir(folder) if n.endswith(".svg")]
        self.assertIn("paths-goodput-1.svg", names)
        self.assertIn("coexistence.svg", names)
        for n in names:
            self.assertIn(f"({n})", md)
            root = ET.parse(os.path.join(folder, n)).getroot()
            self.assertTrue(root.tag.endswith("svg"))


def load_driver():
    import importlib.machinery
    import importlib.util
    loader = importlib.machinery.SourceFileLoader("pathbench", os.path.join(os.path.dirname(__file__), "pathbench"))
    mod = importlib.util.module_from_spec(importlib.util.spec_from_loader("pathbench", loader))
    loader.exec_module(mod)
    return mod


class PlanTest(unittest.TestCase):
    def test_plan_covers_every_scenario_with_rotated_order(self):
        pb = load_driver()
        plan = dict(pb.build_plan(pb.parse(["plan", "--ours", "/o", "--go", "/g"])))
        self.assertEqual(set(plan), set(pb.PATHS) | {pb.COEX_PATH})
        first = [j for j in plan[P1] if j["scenario"] == "paths" and j["dir"] == "up"]
        self.assertEqual(len(first), 4 * 3)  # ours, go, tcp-bbr, tcp-cubic x 3 repetitions
        self.assertNotEqual(first[0]["impl"].name, first[4]["impl"].name)  # rep 2 starts with another impl
        self.assertEqual({j["scenario"] for j in plan[P1]}, {"paths", "windows", "lul", "interop"})

    def test_interop_runs_at_go_defaults_except_the_smux_version_debian_needs(self):
        pb = load_driver()
        plan = dict(pb.build_plan(pb.parse(["plan", "--only", "interop", "--ours", "/o", "--go", "/g"])))
        impls = {j["impl"].name: j["impl"] for j in plan[P1]}
        self.assertEqual(impls["ours-go"].client, "/o/kcptun-client -l {local} -r {remote} --smuxver 1 --quiet")
        self.assertEqual(impls["ours-go"].server, "/g/kcptun-server -l {listen} -t {target} --quiet")
        self.assertEqual(impls["go-ours"].server, "/o/kcptun-server -l {listen} -t {target} --quiet")
        self.assertEqual(impls["go-go"].client, "/g/kcptun-client -l {local} -r {remote} --quiet")


    def test_tcp_scenario_is_asked_for_and_runs_both_ends_with_tcp(self):
        pb = load_driver()
        self.assertNotIn("tcp", {j["scenario"] for _, jobs in pb.build_plan(pb.parse(["plan", "--ours", "/o", "--go", "/g"]))
                                 for j in jobs})
        plan = dict(pb.build_plan(pb.parse(["plan", "--only", "tcp", "--ours", "/o", "--go", "/g"])))
        self.assertEqual(set(plan), set(pb.TCP_PATHS))
        impls = {j["impl"].name: j["impl"] for j in plan[P1]}
        self.assertEqual(set(impls), {"ours-tcp", "go-tcp", "tcp-bbr"})
        self.assertEqual(impls["ours-tcp"].client, "/o/kcptun-client -l {local} -r {remote} --mode fast2 --tcp --quiet")
        self.assertEqual(impls["go-tcp"].server, "/g/kcptun-server -l {listen} -t {target} --mode fast2 --tcp --quiet")
        self.assertEqual({j["dir"] for j in plan[P1]}, {"up", "down"})


class SvgTest(unittest.TestCase):
    def test_axis_top_is_round_and_above_the_data(self):
        self.assertEqual(svg._nice_max(465), 500)
        self.assertEqual(svg._nice_max(627), 800)
        self.assertEqual(svg._nice_max(0.9), 1)

    def test_grid_steps_are_round(self):
        self.assertEqual(svg._ticks(80), [0, 20, 40, 60, 80])
        self.assertEqual(svg._ticks(500), [0, 100, 200, 300, 400, 500])
        self.assertEqual(svg._ticks(1.5), [0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5])

    def test_missing_value_draws_no_bar(self):
        text = svg.grouped_bars("t", "y", ["a"], ["s1", "s2"], [[5.0, None]])
        self.assertEqual(text.count("<rect x="), 1 + 2)  # one bar and two legend swatches


if __name__ == "__main__":
    unittest.main()
