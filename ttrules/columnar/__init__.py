"""The duckdb engine of `simulate`: both stacks compiled into one SQL query over the history.

Pipeline stages, one module each: `staging` (history cells to case fields, and which rows
escape to the python engine), `terms` (expressions), `decisions` (settings, rules, vetoes,
the cascade), `query` (the stages assembled, shared between the stacks), `fold` (the report's
figures as aggregations), `run` (the engine, its fallbacks and the escaped rows).
"""
