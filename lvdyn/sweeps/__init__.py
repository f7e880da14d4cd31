"""Sweeps over producers' settings and seeds on dask.distributed, and fits at scale.

``import lvdyn`` does not import this subpackage, and this subpackage imports
dask.distributed only when a sweep or a parallel fit runs.
"""

from lvdyn.sweeps._config import SweepConfig as SweepConfig
from lvdyn.sweeps._config import SweepTask as SweepTask
from lvdyn.sweeps._config import load_config as load_config
from lvdyn.sweeps._engine import open_client as open_client
from lvdyn.sweeps._fit import fit_runs as fit_runs
from lvdyn.sweeps._run import SweepError as SweepError
from lvdyn.sweeps._run import run_sweep as run_sweep

__all__ = [
    "SweepConfig",
    "SweepError",
    "SweepTask",
    "fit_runs",
    "load_config",
    "open_client",
    "run_sweep",
]
