"""Run one command as a child; print its wall time (process start to exit) and peak RSS as JSON.

    python bench/peak.py -- CMD ARGS...
"""

import json
import resource
import subprocess
import sys
import time

if __name__ == "__main__":
    cmd = sys.argv[sys.argv.index("--") + 1:]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Linux: KiB, this one child only
    print(json.dumps({"returncode": proc.returncode, "seconds": seconds, "peak_mb": peak_kb / 1024,
                      "stdout": proc.stdout[-4000:], "stderr": proc.stderr[-4000:]}))
