from django.core.management.base import BaseCommand

from config.redis_clients import redis_client
from triage.management.dead_letter_options import add_selection_arguments, selection_from
from triage.stream.dead_letters import replay_dead_letters


class Command(BaseCommand):
    help = "Puts dead letters back on their streams as they were sent (after fixing their cause)."

    def add_arguments(self, parser):
        add_selection_arguments(parser, everything_flag=True)

    def handle(self, **options):
        count = replay_dead_letters(redis_client(), selection_from(options, True))
        self.stdout.write(f"Replayed {count} dead letter{'' if count == 1 else 's'}.")
