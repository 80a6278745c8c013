"""An event's tags (triage.digest.tags): the event's own, and those derived from its interfaces."""

from tests.factories import make_event
from triage.digest.tags import MAX_TAGS, event_tags, parse_browser, parse_os

CHROME_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0.0.0 Safari/537.36")
EDGE_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91")
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Version/17.1 Mobile/15E148 Safari/604.1")
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"


def tags_of(event, level="error", user_key="") -> dict:
    return dict(event_tags(event, level, user_key))


def test_browser_and_os_come_from_the_user_agent_when_contexts_lack_them():
    event = make_event(request={"url": "https://shop.example.com/cart?id=7#top", "headers": {"User-Agent": CHROME_MAC}})
    tags = tags_of(event)
    assert (tags["browser"], tags["browser.name"]) == ("Chrome 120", "Chrome")
    assert (tags["os"], tags["os.name"]) == ("Mac OS X 10.15.7", "Mac OS X")
    assert tags["url"] == "https://shop.example.com/cart"  # no query string, no fragment


def test_the_user_agent_header_is_found_in_any_case_and_as_pairs():
    event = make_event(request={"headers": [["user-agent", FIREFOX_LINUX]]})
    assert tags_of(event)["browser"] == "Firefox 121"


def test_contexts_win_over_the_user_agent():
    event = make_event(contexts={"browser": {"name": "Chrome", "version": "119.0.1"}, "os": {"name": "Windows", "version": "11"}},
                       request={"headers": {"User-Agent": FIREFOX_LINUX}})
    tags = tags_of(event)
    assert (tags["browser"], tags["os"]) == ("Chrome 119.0.1", "Windows 11")


def test_user_agents_name_the_right_browser_and_system():
    assert parse_browser(EDGE_WINDOWS) == {"name": "Edge", "version": "120"}  # says Chrome and Safari too
    assert parse_os(EDGE_WINDOWS) == {"name": "Windows", "version": "10"}
    assert parse_browser(SAFARI_IPHONE) == {"name": "Safari", "version": "17"}
    assert parse_os(SAFARI_IPHONE) == {"name": "iOS", "version": "17.1"}  # says Mac OS X too
    assert parse_browser("curl/8.4.0") == {} and parse_os("curl/8.4.0") == {}


def test_server_runtime_user_segment_level_and_mechanism():
    event = make_event(server_name="web-1", contexts={"runtime": {"name": "CPython", "version": "3.11.7"}},
                       user={"id": "u-1", "segment": "paid"}, transaction="/orders/{id}/", logger="shop.orders")
    tags = tags_of(event, level="error", user_key="id:u-1")
    assert tags["server_name"] == "web-1" and tags["runtime"] == "CPython 3.11.7" and tags["runtime.name"] == "CPython"
    assert (tags["user"], tags["user.segment"], tags["level"]) == ("id:u-1", "paid", "error")
    assert (tags["transaction"], tags["logger"]) == ("/orders/{id}/", "shop.orders")
    assert (tags["handled"], tags["mechanism"]) == ("yes", "generic")


def test_own_tags_as_dict_or_pairs_win_over_derived_ones():
    tags = tags_of(make_event(tags={"tenant": "acme", "server_name": "edge-7"}, server_name="web-1"))
    assert (tags["tenant"], tags["server_name"]) == ("acme", "edge-7")
    pairs = tags_of(make_event(tags=[["tenant", "acme"], ["plan", 3], ["odd"], "x"]))
    assert (pairs["tenant"], pairs["plan"]) == ("acme", "3") and "odd" not in pairs


def test_bad_keys_and_values_are_dropped_or_trimmed():
    tags = tags_of(make_event(tags={"has space": "x", "k" * 33: "x", "ok": "a\nb  c" + "v" * 300, "none": None, "nested": {"a": 1},
                                    "nul": "a\x00b", "lone": "\ud800"}))
    assert "has space" not in tags and "k" * 33 not in tags and "none" not in tags and "nested" not in tags
    assert tags["ok"].startswith("a b c") and len(tags["ok"]) == 200
    assert tags["nul"] == "ab" and tags["lone"] == "\ufffd"


def test_an_event_keeps_at_most_fifty_tags():
    assert len(event_tags(make_event(tags={f"t{i}": "v" for i in range(80)}))) == MAX_TAGS


def test_odd_events_yield_no_tags_rather_than_errors():
    for odd in [{}, {"tags": "x", "contexts": [], "request": "x", "user": 7, "exception": {"values": "x"}},
                {"request": {"headers": "x"}, "exception": [{"mechanism": None}]}]:
        assert isinstance(event_tags(odd), tuple)
