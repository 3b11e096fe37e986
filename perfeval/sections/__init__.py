"""Report sections: one module per report family, each section a function returning a Section.

``annual`` (State of the Nation), ``review`` (end-of-year review), ``monitoring`` (quarterly
integrated finance and performance), ``vfm`` (value for money), ``programme`` (programme
evaluation), ``survey`` (resident survey), with ``common`` and ``appendix`` for the parts several
reports share (``money`` re-exports vfm and programme until 0.3). The notebooks call these; the
run side never imports them.
"""
