#!/usr/bin/env python3
"""Where an HS256 verification spends its instructions, step by step, counted by callgrind.

Usage: python3 bench/profile_hs256.py [--build-dir DIR] [--callgrind-file FILE]

Runs jwtfort_bench's jwtfort_verify/HS256 under `valgrind --tool=callgrind`, collecting only inside
that benchmark, and prints a Markdown table of instructions per verify for each step. Instruction
counts do not move with the machine's load, unlike times, so two builds compare exactly; SHA-256
itself is counted as valgrind runs it (without SHA-NI), so its share is larger than its share of
the time. Steps are read from the inclusive cost of the functions that carry them; a build with
other function names (an older one) is read the same way, since each step lists the names it may
have. --callgrind-file reads an existing output instead of running valgrind.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import subprocess
import sys

from harness import ROOT, run

# Step, and the functions whose inclusive costs add up to it (a name a build lacks counts 0; a
# leading `-` subtracts).
STEPS: list[tuple[str, list[str]]] = [
    ("split: one scan for the alphabet and the dots", ["jwtfort::compact::split("]),
    ("header: the per-thread verdict on identical header bytes", ["verifier::accept_header("]),
    ("base64url: signature and payload",
     ["jwtfort::base64url::decode_into(", "jwtfort::base64url::decode_into_padded("]),
    ("HMAC-SHA256 from the key's midstates, tag compare", ["jwtfort::crypto::verify("]),
    ("claims: JSON (strictness, duplicates, limits), then required, iss, aud, exp/nbf/iat "
     "with the clock", ["jwtfort::json::parse_object(", "check_claims(", "read_claims("]),
]


def inclusive_costs(path: pathlib.Path) -> dict[str, int]:
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(path)],
                         capture_output=True, text=True, check=True).stdout
    costs: dict[str, int] = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+\S*?:(.*) \[", line)
        if m:
            costs.setdefault(m.group(2), int(m.group(1).replace(",", "")))
    return costs


def verify_calls(path: pathlib.Path) -> int:
    out = subprocess.run(["callgrind_annotate", "--tree=caller", "--threshold=100", str(path)],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"< .*?jwtfort_verify\(benchmark::State&.*?\((\d[\d,]*)x\).*\n.*\*\s+\S*"
                  r"jwtfort::verifier::verify\(", out)
    if not m:
        raise SystemExit("no jwtfort::verifier::verify calls from jwtfort_verify in " + str(path))
    return int(m.group(1).replace(",", ""))


def cost_of(costs: dict[str, int], name: str) -> int:
    return next((v for k, v in costs.items() if name in k), 0)


def table(path: pathlib.Path) -> str:
    costs, calls = inclusive_costs(path), verify_calls(path)
    total = cost_of(costs, "jwtfort::verifier::verify(") / calls
    lines = ["| step | instructions per verify |", "|---|---:|"]
    counted = 0.0
    for step, names in STEPS:
        value = 0.0
        for name in names:
            sign = -1 if name.startswith("-") else 1
            value += sign * cost_of(costs, name.lstrip("-")) / calls
        counted += value
        lines.append(f"| {step} | {value:,.0f} |")
    lines.append(f"| the rest: verified_token (one allocation, copies), results | "
                 f"{total - counted:,.0f} |")
    lines.append(f"| **verifier::verify, all** | **{total:,.0f}** |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", type=pathlib.Path, default=ROOT / "build-bench")
    parser.add_argument("--callgrind-file", type=pathlib.Path)
    args = parser.parse_args()
    path = args.callgrind_file
    if path is None:
        build_dir = args.build_dir.resolve()
        fixtures = build_dir / "bench-fixtures"
        run([sys.executable, str(ROOT / "bench" / "make_fixtures.py"), str(fixtures)])
        path = build_dir / "bench-results" / "hs256.callgrind"
        path.parent.mkdir(exist_ok=True)
        run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={path}",
             "--toggle-collect=*jwtfort_verify*", str(build_dir / "bench" / "jwtfort_bench"),
             "--benchmark_filter=jwtfort_verify/HS256$", "--benchmark_min_time=0.05"],
            env=dict(os.environ, JWTFORT_BENCH_FIXTURES=str(fixtures)))
    print(table(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
