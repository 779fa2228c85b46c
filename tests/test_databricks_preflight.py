"""Databricks fast fail (#13): a bad certificate, a refused token or a host that does not
answer fails `snap capture --tracking-uri databricks` within seconds, with one line.

The workspace is a real TLS server on 127.0.0.1 with a self-signed certificate (made
here with `cryptography`), standing for a host whose certificate this machine does not
trust; trusting that certificate (REQUESTS_CA_BUNDLE) makes it a workspace that refuses
the token.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.commands import snap
from tests.support.servers import free_port

TOKEN = "dapi0123456789abcdef0123456789abcdef"


def _self_signed(folder):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


class _RefusesTokens(BaseHTTPRequestHandler):
    """What a workspace answers to a token it does not accept."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        body = b'{"error_code": "UNAUTHENTICATED", "message": "Invalid access token."}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """{"host": "https://127.0.0.1:PORT", "cert": path of its self-signed certificate}."""
    cert, key = _self_signed(tmp_path_factory.mktemp("tls"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RefusesTokens)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"host": f"https://127.0.0.1:{server.server_address[1]}", "cert": str(cert)}
    server.shutdown()
    server.server_close()


def _capture(host: str, **env):
    return snap("capture", "models:/Churn/1", "--tracking-uri", "databricks", check=False,
                env={"DATABRICKS_HOST": host, "DATABRICKS_TOKEN": TOKEN, **env})


def _one_error_line(proc) -> str:
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert TOKEN not in proc.stderr and "Traceback" not in proc.stderr
    return proc.stderr.strip()


def test_untrusted_certificate_fails_at_once(workspace):
    proc = _capture(workspace["host"])
    assert proc.returncode == 4
    assert _one_error_line(proc) == (
        f"Error: the TLS connection to the Databricks workspace {workspace['host']} failed (certificate verify "
        "failed: self-signed certificate); check DATABRICKS_HOST (or the host of the profile in ~/.databrickscfg), "
        "or point REQUESTS_CA_BUNDLE at the CA bundle that signs its certificate")


def test_refused_token_fails_at_once(workspace):
    proc = _capture(workspace["host"], REQUESTS_CA_BUNDLE=workspace["cert"])
    assert proc.returncode == 5
    assert _one_error_line(proc) == (
        f"Error: the Databricks workspace at {workspace['host']} refused the credentials (HTTP 401); "
        "check DATABRICKS_TOKEN (or the token of the profile in ~/.databrickscfg)")


def test_host_that_does_not_answer_fails_at_once():
    host = f"https://127.0.0.1:{free_port()}"  # nothing listens there
    proc = _capture(host, MLFLOW_TRACKING_URI="databricks")
    assert proc.returncode == 4
    assert _one_error_line(proc).startswith(f"Error: cannot reach the Databricks workspace at {host} (ConnectionError)")


def test_profile_from_databrickscfg(workspace, tmp_path):
    config = tmp_path / "databrickscfg"
    config.write_text(f"[ml]\nhost = {workspace['host']}/\ntoken = {TOKEN}\n")
    proc = snap("capture", "models:/Churn/1", "--tracking-uri", "databricks://ml", check=False,
                env={"DATABRICKS_CONFIG_FILE": str(config), "REQUESTS_CA_BUNDLE": workspace["cert"]})
    assert proc.returncode == 5
    assert "refused the credentials (HTTP 401)" in _one_error_line(proc)
