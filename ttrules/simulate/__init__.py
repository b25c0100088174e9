"""The simulate stage: replay history under two stacks and report what would change."""
