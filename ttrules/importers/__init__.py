"""Importers: platform API exports to history records (cases plus outcomes)."""
