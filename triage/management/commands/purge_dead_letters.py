from django.core.management.base import BaseCommand

from config.redis_clients import redis_client
from triage.management.dead_letter_options import add_selection_arguments, selection_from
from triage.stream.dead_letters import purge_dead_letters


class Command(BaseCommand):
    help = "Deletes dead letters for good."

    def add_arguments(self, parser):
        add_selection_arguments(parser, everything_flag=True)

    def handle(self, **options):
        count = purge_dead_letters(redis_client(), selection_from(options, True))
        self.stdout.write(f"Purged {count} dead letter{'' if count == 1 else 's'}.")
