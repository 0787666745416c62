"""``python -m workflow_scripts.store``: an alias of the ``trainscope`` command
(``workflow_scripts/cli``), kept for the commands written before it existed:

    python -m workflow_scripts.store ls [STUDY [KIND]] [KEY=VALUE ...]
    python -m workflow_scripts.store index [--configfile FILE ...]
"""

import sys

from ..cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m workflow_scripts.store"))
