"""The run side: parameters and their checks, running notebooks, kernels, manifests, verify,
publication, batches, workspaces and the command line.

Imports :mod:`perfeval.core`, :mod:`perfeval.data` and :mod:`perfeval.present` (for the page
furniture it publishes) but never :mod:`perfeval.sections`: a report's content comes only from
running its notebook.
"""
