"""ODE models as scikit-learn estimators: ``fit(X, y)`` with states X and derivatives y;
ODE integration in `lvdyn.models._integrate`.

This subpackage depends on numpy, scipy and scikit-learn only (never xarray, torch or sympy).
"""

from lvdyn.models._base import AbstractODEModel as AbstractODEModel
from lvdyn.models._integrate import Trajectory as Trajectory
from lvdyn.models._linear import LinearODE as LinearODE
from lvdyn.models._lotka_volterra import LotkaVolterra as LotkaVolterra
from lvdyn.models._mean_field import MeanFieldLV as MeanFieldLV
from lvdyn.models._sindy import SINDy as SINDy
