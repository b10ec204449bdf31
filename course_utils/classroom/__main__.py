"""``python -m course_utils.classroom``: see :mod:`course_utils.classroom.cli`."""
import sys

from .cli import main

sys.exit(main())
