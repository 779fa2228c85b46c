"""A real S3 API server for the suite: moto's server mode, in its own process on 127.0.0.1.

snap reaches it the way it reaches AWS: through botocore's standard chain, here
environment variables (`AWS_ENDPOINT_URL`, planted access keys). The secret is
planted so tests can check that it never reaches a file snap writes.

`INITIAL_NO_AUTH_ACTION_COUNT` (moto's switch for checking signatures against its
IAM) makes a server that refuses unknown credentials, as AWS does.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass

PLANTED_KEY_ID = "AKIASNAPPLANTEDKEY01"
PLANTED_SECRET = "snapPlantedSecret/DoNotWrite+0123456789abcd"  # 40 characters, the shape of an AWS secret


@dataclass
class S3Server:
    endpoint: str
    env: dict  # what a client needs: endpoint, region and the planted credentials
    pid: int = 0  # the server's process (the benchmark reads its CPU time)

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"])

    def bucket(self, name: str) -> str:
        """Create a bucket (if needed); its s3:// URL."""
        client = self.client()
        if name not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}:
            client.create_bucket(Bucket=name)
        return f"s3://{name}"

    def keys(self, bucket: str) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def read(self, bucket: str, key: str) -> bytes:
        return self.client().get_object(Bucket=bucket, Key=key)["Body"].read()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client_env(endpoint: str) -> dict:
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": PLANTED_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": PLANTED_SECRET, "AWS_EC2_METADATA_DISABLED": "true"}


def _die_with_parent() -> None:
    """In the child: end when the test process ends, even killed outright (Linux's PR_SET_PDEATHSIG)."""
    import ctypes
    import signal

    ctypes.CDLL(None).prctl(1, signal.SIGTERM)


@contextmanager
def s3_server(refuse_unknown_credentials: bool = False):
    """Start moto's S3 server on a free loopback port; stop it on exit."""
    port = _free_port()
    env = {**os.environ, "MOTO_PORT": str(port)}
    if refuse_unknown_credentials:
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.1)
        yield S3Server(endpoint, client_env(endpoint), proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
