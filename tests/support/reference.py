"""Paths of the seed fixture and of ../shared's reference reports, and the helpers that use them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SEED = SHARED / "seed" / "000_4a0f27b237e8d033.txt"
COMPARE = SHARED / "tools" / "report_compare.py"
FIXTURE = REPO / "fixtures" / "seed" / "Conversational_Task_v6.json"
def compare_score(reference: Path, candidate: Path) -> float:
    """The score report_compare.py prints on its last line."""
    out = subprocess.run([sys.executable, str(COMPARE), str(reference), str(candidate)],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"score: (\d\.\d{3}) \(\d+/\d+\)", out.strip().splitlines()[-1])
    assert m, out
    return float(m.group(1))


def snap(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "snap.cli", *args], capture_output=True,
                          text=True, cwd=REPO, env=env)
