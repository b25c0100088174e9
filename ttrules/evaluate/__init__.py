"""The evaluate stage: the reference interpreter, the platform-override cascade, explanations."""
