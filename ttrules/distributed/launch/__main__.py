"""`python -m ttrules.distributed.launch`: the path of the file for `spark-submit`."""

from pathlib import Path

print(Path(__file__).with_name("ttrules_submit.py").resolve())
