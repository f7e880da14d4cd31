"""The ``lvdyn`` command line. ``main(argv)`` returns the exit status (2 for user errors)."""

from lvdyn.cli._app import app as app
from lvdyn.cli._app import main as main
