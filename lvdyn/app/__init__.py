"""The application layer: the demo, the HTML report, its sections and figures.

Imported only by `lvdyn.cli`; it may import every library layer below it.
"""
