"""Static files: hashed names, compressed copies (brotli and gzip), cached for good, and only the
plotly.js bundle the charts need (issue 10, item 7)."""

import re

import pytest
from django.templatetags.static import static

from tests.triage.helpers import spike

HASHED = re.compile(r"^/static/vendor/plotly/plotly-basic\.min\.[0-9a-f]{12}\.js$")


def test_the_chart_bundle_has_a_hashed_name():
    assert HASHED.match(static("vendor/plotly/plotly-basic.min.js"))


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_a_hashed_file_is_served_compressed_and_cached_for_good(client, encoding):
    response = client.get(static("vendor/plotly/plotly-basic.min.js"), HTTP_ACCEPT_ENCODING=f"{encoding}, identity")
    assert response.status_code == 200
    assert response["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response["Vary"]
    max_age = int(re.search(r"max-age=(\d+)", response["Cache-Control"])[1])
    assert max_age >= 365 * 24 * 3600 and "immutable" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert len(body) < 500_000  # the 1.1 MB bundle, compressed; the full 4.85 MB one would not fit


def test_a_client_without_compression_gets_the_plain_file(client):
    response = client.get(static("switchyard/spike-chart.js"), HTTP_ACCEPT_ENCODING="identity")
    assert response.status_code == 200 and "Content-Encoding" not in response
    assert b"Plotly.react" in b"".join(response.streaming_content)


@pytest.mark.django_db
def test_the_group_page_loads_the_hashed_basic_bundle_not_the_full_one(client, alice, project, redis_client):
    group = spike(project, redis_client, 3)
    client.force_login(alice)
    page = client.get(f"/groups/{group.id}/").content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert all(re.search(r"\.[0-9a-f]{12}\.(js|css)$", src) for src in scripts), scripts
    # The chart script loads plotly.js itself, from the URL it is given, in parallel with the figure.
    bundles = re.findall(r'data-plotly="([^"]+)"', page)
    assert len(bundles) == 1 and HASHED.match(bundles[0]), bundles
    assert "plotly.min" not in page
    # …and the page preloads that very URL, so its download starts with the page's other files.
    assert re.findall(r'<link rel="preload" as="script" href="([^"]+)"', page) == bundles
