"""What the flags app tells the rest of the product, without knowing who listens.

`flag_changed` is sent once per audit row, after the change's transaction commits, whatever
its source (dashboard, API, admin, trigger URL, command, automation). Triage listens to redraw
its charts with the change's marker (triage.flagstate).
"""

from django.dispatch import Signal

# Keyword arguments: change (the FlagChange row just committed).
flag_changed = Signal()
