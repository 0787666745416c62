"""Worked examples (docs): scripts a newcomer runs as they are."""
