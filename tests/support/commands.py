"""The snap command run as a user runs it: a subprocess with the test's environment."""

import os
import subprocess
import sys


def snap(*args, env=None, check=True):
    """Run the snap command as a user would; return the finished process."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "snap.cli", *args], capture_output=True, text=True,
                          env=full_env, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"snap {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return proc
