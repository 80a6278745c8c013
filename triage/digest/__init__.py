"""Digest: a batch of stream messages → events, groups and counts (events), log lines (logs)."""
