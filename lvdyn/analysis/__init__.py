"""Analysis of fitted models: equilibria, stability, survivors, interactions, keystones.

Everything here works through the model interface (``rhs``, ``jacobian``,
``n_features_in_``), with exact methods for linear and Lotka-Volterra models.
"""

from lvdyn.analysis._equilibria import find_equilibria as find_equilibria
from lvdyn.analysis._interactions import interaction_table as interaction_table
from lvdyn.analysis._interactions import keystoneness as keystoneness
from lvdyn.analysis._lcp import LCPSolution as LCPSolution
from lvdyn.analysis._lcp import solve_lcp as solve_lcp
from lvdyn.analysis._stability import classify_spectrum as classify_spectrum
from lvdyn.analysis._stability import stability as stability
from lvdyn.analysis._survivors import MultistabilityWarning as MultistabilityWarning
from lvdyn.analysis._tables import growth_rates as growth_rates
from lvdyn.analysis._tables import interaction_matrix as interaction_matrix
from lvdyn.analysis._tables import predict_survivors as predict_survivors
from lvdyn.traces._survival import settle_step as settle_step
from lvdyn.traces._survival import survivors as survivors

__all__ = [
    "LCPSolution",
    "MultistabilityWarning",
    "classify_spectrum",
    "find_equilibria",
    "growth_rates",
    "interaction_matrix",
    "interaction_table",
    "keystoneness",
    "predict_survivors",
    "settle_step",
    "solve_lcp",
    "stability",
    "survivors",
]
