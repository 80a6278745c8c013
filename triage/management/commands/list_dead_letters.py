import datetime as dt

from django.core.management.base import BaseCommand

from config.redis_clients import redis_client
from triage.management.dead_letter_options import add_selection_arguments, selection_from
from triage.stream import dead_letters


class Command(BaseCommand):
    help = "Lists dead letters, newest first: id, stream, project, event, when, reason."

    def add_arguments(self, parser):
        add_selection_arguments(parser, everything_flag=False)
        parser.add_argument("--limit", type=int, default=50, help="per stream (default 50)")

    def handle(self, **options):
        client = redis_client()
        counts = dead_letters.count_dead_letters(client)
        self.stdout.write(" · ".join(f"{name}: {n}" for name, n in counts.items()))
        for d in dead_letters.list_dead_letters(client, selection_from(options, False), options["limit"], preview=0):
            when = dt.datetime.fromtimestamp(d.dead_at, tz=dt.UTC).isoformat(timespec="seconds") if d.dead_at else "?"
            self.stdout.write(f"{d.id}\t{d.stream}\tproject {d.project}\t{d.event_id}\t{when}\t{d.reason.splitlines()[0] if d.reason else ''}")
