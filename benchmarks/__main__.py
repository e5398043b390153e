"""``python -m benchmarks run [--quick] [--only SCENARIO ...]``: measure jointip beside its references."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from benchmarks.run import RESULTS, run

#: The goals each ratio is read against (benchmarks/README.md explains them).
GOALS: dict[str, tuple[str, float]] = {
    "get_vs_plaintext": (">=", 0.4),
    "get_vs_fastapi": (">=", 1.5),
    "write_vs_pgbench": (">=", 0.5),
    "transition_vs_pgbench": (">=", 0.5),
    "list_latency_growth": ("<=", 1.3),
    "docx_vs_docxtpl_speedup": (">=", 3.0),
    "docx_workers_2_vs_1": (">=", 1.6),
    "get_p99_with_render_vs_without": ("<=", 1.5),
    "workers_2_vs_1": (">=", 1.6),
}


def table(result: dict[str, Any]) -> str:
    lines = ["| ratio | measured | goal | met |", "| --- | --- | --- | --- |"]
    for name, value in result["ratios"].items():
        op, goal = GOALS.get(name, ("", 0.0))
        met = (
            ""
            if value is None or not op
            else ("yes" if (value >= goal if op == ">=" else value <= goal) else "no")
        )
        lines.append(f"| `{name}` | {value} | {op} {goal} | {met} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    go = sub.add_parser("run", help="run every scenario and write benchmarks/results/latest.json")
    go.add_argument("--quick", action="store_true", help="short loads and smaller sizes (under 3 minutes)")
    go.add_argument("--only", nargs="*", help="run only these steps (by method name, for development)")
    args = parser.parse_args(argv)
    result = run(args.quick, args.only)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(result))
    print(f"\nwrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
