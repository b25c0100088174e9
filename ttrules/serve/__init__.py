"""`ttrules serve`: the decision service (HTTP on uvicorn), its decision log and shadow rules."""
