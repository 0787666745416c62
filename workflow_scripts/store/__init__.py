"""The artifact store: how results are named, written and read back safely."""
