"""Traces: the schema, building and combining datasets, netCDF storage, long tables, history,
and reading outcomes off traces (the survivors of each run by a named rule).

Imports only `lvdyn.core` (and numpy, pandas, xarray).
"""

from lvdyn.traces._io import open_traces as open_traces
from lvdyn.traces._io import save_traces as save_traces
from lvdyn.traces._make import combine_traces as combine_traces
from lvdyn.traces._make import make_traces as make_traces
from lvdyn.traces._rules import RULES as RULES
from lvdyn.traces._rules import SurvivalWarning as SurvivalWarning
from lvdyn.traces._rules import set_survival_rule as set_survival_rule
from lvdyn.traces._rules import survival_rule as survival_rule
from lvdyn.traces._schema import SCHEMA_VERSION as SCHEMA_VERSION
from lvdyn.traces._schema import validate_traces as validate_traces
from lvdyn.traces._survival import settle_step as settle_step
from lvdyn.traces._survival import survivors as survivors
from lvdyn.traces._symbols import symbol_mapping as symbol_mapping
from lvdyn.traces._symbols import symbol_names as symbol_names
from lvdyn.traces._tables import read_traces_table as read_traces_table
from lvdyn.traces._tables import traces_from_dataframe as traces_from_dataframe

__all__ = [
    "RULES",
    "SCHEMA_VERSION",
    "SurvivalWarning",
    "combine_traces",
    "make_traces",
    "open_traces",
    "read_traces_table",
    "save_traces",
    "symbol_mapping",
    "symbol_names",
    "set_survival_rule",
    "settle_step",
    "survival_rule",
    "survivors",
    "traces_from_dataframe",
    "validate_traces",
]
