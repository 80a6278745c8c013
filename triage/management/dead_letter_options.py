"""The options the dead-letter commands share (list_dead_letters, replay_dead_letters,
purge_dead_letters): which dead letters, as a triage.stream.dead_letters.Selection."""

from django.core.management.base import CommandError

from triage.stream.dead_letters import STREAM_NAMES, Selection


def add_selection_arguments(parser, everything_flag: bool) -> None:
    parser.add_argument("--stream", choices=list(STREAM_NAMES), default="", help="one stream (default: all)")
    parser.add_argument("--id", action="append", default=[], help="a dead letter's id (repeatable)")
    parser.add_argument("--project", type=int, help="only this project's")
    parser.add_argument("--reason", default="", help="only those whose reason contains this text")
    if everything_flag:
        parser.add_argument("--all", action="store_true", help="every dead letter (needed when nothing else selects)")


def selection_from(options: dict, everything_flag: bool) -> Selection:
    """The Selection of the options; a change to every dead letter needs an explicit --all."""
    try:
        selection = Selection.parse(options["stream"], options["id"], options["project"], options["reason"])
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if everything_flag and selection.is_everything and not options["all"]:
        raise CommandError("select dead letters with --stream, --id, --project or --reason, or pass --all")
    return selection
