"""Shared test settings: hypothesis profile (bounded, no deadline: sympy can be slow to import)."""

from hypothesis import settings

settings.register_profile("project", max_examples=40, deadline=None)
settings.load_profile("project")
