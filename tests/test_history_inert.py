"""`snap changes --format md` and `snap log --format md` keep registry values inert (#11, #12).

A model on the suite's MLflow server is captured, then given hostile tags and
descriptions (a mention, a link, an image, an issue reference, a bare URL) and
captured again. Both changelogs are rendered as CommonMark (as GitHub would) and
must show each value as typed while making nothing of it: no HTML from a value,
no link, no mention or issue reference outside a code span.
"""

from __future__ import annotations

import re
import time

import pytest
from markdown_it import MarkdownIt

from tests.support import history_registry as hr
from tests.support.commands import snap
from tests.support.inert_checks import markdown_problems
from tests.support.offline import without_mlflow

pytestmark = pytest.mark.server

MODEL = "InertHistory"
HOSTILE = "@channel [x](http://e) <img src=x>"
NOTE = "ping @ops-team about #123, see https://evil.example.com/x_y"
_RENDER = MarkdownIt("commonmark").enable("table")
_LIVE = re.compile(r"(?<!\w)@\w|#\d|https?://|www\.")


@pytest.fixture(scope="module")
def store(mlflow_server, tmp_path_factory):
    """The store after two captures of MODEL v1: plain, then with hostile tags and descriptions."""
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(mlflow_server)  # the run that logs the model
    root = tmp_path_factory.mktemp("inert-history") / "store"
    client = MlflowClient(mlflow_server, registry_uri=mlflow_server)
    experiment = client.create_experiment("inert-history")
    client.create_registered_model(MODEL, tags={"owner": "team"})
    run_id, info = hr._log_pyfunc(client, experiment, ["x"], "plain", {"accuracy": 0.5})
    client.create_model_version(MODEL, info.model_uri, run_id=run_id, model_id=info.model_id)
    capture = ("capture", f"models:/{MODEL}", "--tracking-uri", mlflow_server, "--store", str(root))
    snap(*capture)
    time.sleep(1.5)  # the second capture comes clearly after the first (--gap 1 below)
    client.set_registered_model_tag(MODEL, "owner", HOSTILE)
    client.update_registered_model(MODEL, description=NOTE)
    client.set_model_version_tag(MODEL, "1", "reviewer", HOSTILE)
    client.update_model_version(MODEL, "1", description=NOTE)
    snap(*capture)
    return str(root)


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    return without_mlflow(tmp_path_factory.mktemp("no-mlflow"))


def _live_outside_code(markdown: str) -> list[str]:
    """Mentions, issue references and URLs GitHub would act on: those in the HTML outside <code>."""
    html = re.sub(r"<code>.*?</code>", "", _RENDER.render(markdown), flags=re.S)
    return _LIVE.findall(html)


def _shown(markdown: str) -> str:
    """The text a reader sees: the rendered HTML without its tags, entities decoded."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", _RENDER.render(markdown)))


@pytest.mark.parametrize("command", [("changes", "--gap", "1"), ("log", f"{MODEL}/1")])
def test_markdown_shows_hostile_values_as_typed_and_makes_nothing_of_them(store, offline, command):
    proc = snap(*command, "--store", store, "--format", "md", env=offline, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    md = proc.stdout
    assert "`@channel`" in md and "`#123`" in md  # each in a code span of its own
    assert markdown_problems(md) == []  # no tag, image or link from a value
    assert _live_outside_code(md) == []
    shown = _shown(md)
    assert HOSTILE in shown  # as typed
    assert "ping @ops-team about #123, see https://evil.example.com/x_y" in shown.replace("\n", " ")
