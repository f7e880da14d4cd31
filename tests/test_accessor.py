"""ds.lvdyn forwards to the public functions."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import lvdyn
from lvdyn.producers import synthetic


def test_accessor_forwards(tmp_path) -> None:
    system = synthetic.stable_lotka_volterra(3, seed=0)
    ds = synthetic.lotka_volterra(r=system.r, A=system.A, x0=[[0.2, 0.3, 0.4]], steps=200, dt=0.1)
    assert ds.lvdyn.validate() is ds
    ds.lvdyn.save(tmp_path / "t.nc")
    assert lvdyn.open_traces(tmp_path / "t.nc").sizes == ds.sizes
    model = ds.lvdyn.fit(lvdyn.LotkaVolterra(), time="time")
    direct = lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds, time="time")
    np.testing.assert_array_equal(model.interaction_matrix_, direct.interaction_matrix_)
    with pytest.warns(lvdyn.SurvivalWarning, match="every component survives"):  # coexistence
        forwarded, direct_survivors = ds.lvdyn.survivors(), lvdyn.survivors(ds)
    xr.testing.assert_equal(forwarded, direct_survivors)
    assert len(ds.lvdyn.plot().axes[0].lines) == 3
