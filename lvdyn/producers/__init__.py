"""Producers of traces: each returns a dataset in the lvdyn traces schema.

Import a producer explicitly, for example ``from lvdyn.producers import synthetic``. Producers
that need PyTorch import it only when they are imported themselves.
"""
