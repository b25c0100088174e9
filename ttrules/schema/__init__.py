"""The schema stage: the case model, its field table and types, and the reason-code table."""
