"""``python -m lvdyn`` runs the command line."""

import sys

from lvdyn.cli import main

sys.exit(main())
