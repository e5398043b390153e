"""Render-time benchmark of the contract DOCX: median of many runs of a 10-milestone contract.

Run: .venv/bin/python benchmarks/render_contract.py [runs]
Not part of the test suite (tests check behaviour; this measures speed).
"""

from __future__ import annotations

import statistics
import sys
import time

from contract_templates import render_contract
from contract_templates.samples import sample_contract


def main(runs: int = 50) -> None:
    data = sample_contract(milestones=10)
    render_contract(data)  # warm the cached library and base template
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        document = render_contract(data)
        timings.append(time.perf_counter() - start)
    print(
        f"10-milestone contract: median {statistics.median(timings) * 1000:.1f} ms, "
        f"p90 {sorted(timings)[int(runs * 0.9) - 1] * 1000:.1f} ms over {runs} runs; {len(document):,} bytes"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
