"""End to end with real parts: sentry-sdk sends logs and an exception in one trace → uvicorn →
Redis → Celery worker → the database; the group page and the logs API show them together."""

import subprocess
import sys

import pytest

from projects.tokens import create_token
from tests.live import ROOT, wait_for
from triage.models import ErrorGroup, LogLine

pytestmark = [pytest.mark.integration]


def test_logs_and_an_exception_of_one_trace_show_together_on_the_group_page_and_in_the_api(live_stack, project, alice, client):
    out = subprocess.run([sys.executable, str(ROOT / "tests/apps/logging_app.py"), project.keys.first().dsn(live_stack.url)],
                         check=True, timeout=60, capture_output=True, text=True).stdout
    trace_id = out.strip().splitlines()[-1]
    group = wait_for(lambda: ErrorGroup.objects.filter(project=project).first(), what="the exception's group")
    wait_for(lambda: LogLine.objects.filter(project_id=project.id).count() == 4, what="four log lines")
    lines = {line.message: line for line in LogLine.objects.filter(project_id=project.id)}
    assert set(lines) == {"checkout started for order ord-9", "payment gateway slow: 950 ms",
                          "charging order ord-9 failed", "a line of another trace"}
    started, slow = lines["checkout started for order ord-9"], lines["payment gateway slow: 950 ms"]
    assert (started.template, started.attributes["sentry.message.parameter.order_id"]) == (
        "checkout started for order {order_id}", "ord-9")
    assert (slow.level, slow.logger, slow.template, slow.release, slow.environment, slow.service) == (
        "warn", "shop.payments", "payment gateway slow: %d ms", "shop@2.0.0", "production", "web-1")
    assert {line.trace_id for m, line in lines.items() if m != "a line of another trace"} == {trace_id}
    assert len(slow.span_id) == 16  # inside the transaction: its span

    client.force_login(alice)
    html = client.get(f"/groups/{group.id}/").content.decode()
    trace_part = html.split("trace-logs")[1].split("</table>")[0]
    assert all(m in trace_part for m in ("checkout started for order ord-9", "payment gateway slow: 950 ms",
                                          "charging order ord-9 failed"))
    assert "a line of another trace" not in trace_part
    assert '<a href="#logs">3 log lines</a> in its trace' in html

    body = client.get(f"/api/0/projects/{project.id}/logs/?trace_id={trace_id}",
                      HTTP_AUTHORIZATION=f"Bearer {create_token(alice)}").json()
    assert [r["message"] for r in body["results"]] == ["charging order ord-9 failed", "payment gateway slow: 950 ms",
                                                       "checkout started for order ord-9"]
    assert {tuple(r["group_ids"]) for r in body["results"]} == {(group.id,)}
