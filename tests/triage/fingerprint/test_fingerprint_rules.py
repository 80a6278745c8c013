"""Fingerprint rules (triage.fingerprint.fingerprint_rules): Sentry's syntax, its matchers, and the
fingerprint a matching rule gives an event."""

import pytest

from tests.factories import make_event, with_crash_site
from triage.fingerprint import fingerprint_event, parse_fingerprint_rules
from triage.fingerprint.fingerprint_rules import Matcher, match_rule


def rules(text: str):
    return tuple(parse_fingerprint_rules(text))


def crash(exc_type="ValueError", value="bad price 12 for order ord-1", module="shop.pricing", function="price", **extra):
    event = with_crash_site(make_event(**extra), module, function, exc_type)
    event["exception"]["values"][-1]["value"] = value
    return event


def test_the_issue_examples_parse():
    parsed = rules('error.type:ConnectionError -> connection-errors\nmessage:"*timeout*" -> timeouts')
    assert [(r.matchers, r.fingerprint, r.line) for r in parsed] == [
        ((Matcher("type", "ConnectionError"),), ("connection-errors",), 1),
        ((Matcher("message", "*timeout*"),), ("timeouts",), 2),
    ]


def test_full_syntax_comments_aliases_negation_variables_and_title():
    [rule] = rules('# payments\n\n  !"error.type":CardDeclined  stack.module:shop.pay*  tags.tenant:"acme west" -> '
                   'payments, {{ error.type }},"with space"  title="Payments: {{ error.value }}"  ')
    assert rule.matchers == (Matcher("type", "CardDeclined", True), Matcher("module", "shop.pay*"), Matcher("tags.tenant", "acme west"))
    assert rule.fingerprint == ("payments", "{{ error.type }}", "with space")
    assert (rule.title, rule.line) == ("Payments: {{ error.value }}", 3)
    assert rule.text == '!error.type:CardDeclined stack.module:shop.pay* tags.tenant:"acme west" -> payments, {{ error.type }}, "with space" title="Payments: {{ error.value }}"'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("error.type:X", "line 1 ('error.type:X'): expected -> and a fingerprint"),
        ("error.type:X ->", "expected a fingerprint after ->"),
        ("-> foo", "a rule needs at least one matcher"),
        ("colour:red -> x", "unknown matcher 'colour'"),
        ("thread.name:main -> x", "unknown matcher 'thread.name'"),
        ("[ function:a ] | function:b -> x", "caller and callee matchers"),
        ('message:"never closed -> x', "is never closed"),
        ("error.type: -> x", "needs a value"),
        ("app:maybe -> x", "app: takes yes or no"),
        ('error.type:X -> x colour="red"', "unknown attribute 'colour'"),
        ("ok:", "line 1"),
    ],
)
def test_bad_lines_say_which_and_what(text, message):
    with pytest.raises(ValueError) as raised:
        parse_fingerprint_rules(text)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("rule", "event", "matches"),
    [
        ("error.type:ConnectionError", crash("ConnectionError"), True),
        ("error.type:connectionerror", crash("ConnectionError"), False),  # types are case-sensitive
        ("error.type:*Error", crash("TimeoutError"), True),
        ("error.value:BAD*", crash(), True),  # values are not
        ('message:"*order ord-?"', crash(), True),  # message reads exception values too
        ("message:*timeout*", make_event(exception=None, message="Gateway timeout after 5000ms"), True),
        ("!error.type:ValueError", crash(), False),
        ("stack.function:price stack.module:shop.pricing", crash(), True),
        ("stack.function:price stack.module:shop.views", crash(), False),  # one frame must hold both
        ("stack.function:checkout stack.module:shop.views", crash(), True),  # the caller's frame
        ("stack.abs_path:**/pricing.py", crash(), True),
        ("stack.abs_path:shop/*.py", crash(), True),
        ("stack.abs_path:*.py", crash(), False),  # * does not cross /
        ("app:no", crash(), False),
        ("app:yes stack.function:price", crash(), True),
        ("tags.tenant:acme", crash(), True),
        ("tags.server_name:web-*", crash(server_name="web-1"), True),  # derived tags count too
        ("tags.tenant:globex", crash(), False),
        ("level:ERROR", crash(), True),
        ("logger:shop.*", crash(logger="shop.orders"), True),
        ("release:shop@1.*", crash(), True),
        ("family:javascript", crash(platform="node"), True),
        ("family:javascript,native", crash(), False),
        ("sdk:sentry.python", crash(sdk={"name": "sentry.python"}), True),
        ("error.type:ValueError error.value:*ord-1", crash(), True),
    ],
)
def test_matchers(rule, event, matches):
    assert (match_rule(rules(f"{rule} -> x"), event) is not None) is matches


def test_an_exception_matcher_pair_must_hold_for_one_exception():
    event = crash("RuntimeError", "checkout failed")
    cause = {"type": "PaymentDeclined", "value": "card declined", "stacktrace": {"frames": []}}
    event["exception"]["values"].insert(0, cause)
    assert match_rule(rules("error.type:PaymentDeclined error.value:*declined -> x"), event)
    assert not match_rule(rules("error.type:PaymentDeclined error.value:checkout* -> x"), event)


def test_the_first_matching_rule_wins():
    parsed = rules("error.type:Nope -> a\nerror.type:ValueError -> b\nerror.value:bad* -> c")
    assert match_rule(parsed, crash()).fingerprint == ("b",)


def test_a_rule_groups_events_that_would_group_apart():
    parsed = rules("error.type:ConnectionError -> connection-errors")
    a = fingerprint_event(crash("ConnectionError", function="charge"), fingerprint_rules=parsed)
    b = fingerprint_event(crash("ConnectionError", module="shop.mail", function="send"), fingerprint_rules=parsed)
    other = fingerprint_event(crash("ValueError"), fingerprint_rules=parsed)
    assert a.hash == b.hash != other.hash
    assert a.rule == "error.type:ConnectionError -> connection-errors" and other.rule == ""
    assert other.hash == fingerprint_event(crash("ValueError")).hash  # unmatched events group as without rules
    custom = [c for c in a.components if c.contributes]
    assert [(c.name, c.value) for c in custom] == [("custom", "connection-errors")]
    assert "fingerprint rule line 1" in custom[0].hint


def test_a_rule_replaces_the_sdks_own_fingerprint():
    parsed = rules("error.type:ValueError -> values")
    assert fingerprint_event(crash(fingerprint=["mine"]), fingerprint_rules=parsed).hash == fingerprint_event(crash(), fingerprint_rules=parsed).hash


def test_default_refines_and_variables_and_title_resolve():
    parsed = rules('error.type:ValueError -> {{ default }}, {{ tags.tenant }} title="{{ tags.tenant }}: {{ error.type }}"')
    acme = fingerprint_event(crash(function="price"), fingerprint_rules=parsed)
    globex = fingerprint_event(crash(function="price", tags={"tenant": "globex"}), fingerprint_rules=parsed)
    elsewhere = fingerprint_event(crash(function="tax"), fingerprint_rules=parsed)
    assert len({acme.hash, globex.hash, elsewhere.hash}) == 3  # the default still counts, the tenant too
    assert (acme.title, globex.title) == ("acme: ValueError", "globex: ValueError")


def test_odd_events_never_break_matching():
    parsed = rules("error.type:X stack.function:y tags.a:b message:m -> x")
    for odd in [{}, {"exception": "x", "tags": 3, "threads": []}, {"exception": {"values": [None, {"stacktrace": "x"}]}}]:
        assert match_rule(parsed, odd) is None
        assert fingerprint_event(odd, fingerprint_rules=parsed).hash
