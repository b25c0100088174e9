"""The file `spark-submit` runs for `ttrules` (it starts Python applications by a `.py` file):

    spark-submit … "$(python -m ttrules.distributed.launch)" simulate --engine spark …

It sits alone in its directory because Python puts a script's directory first on the path:
beside ttrules' own modules, `ast.py` would shadow the standard library's.
"""

from ttrules.cli import main

main()
