"""Report sections: one module per report family, each section a function returning a Section.

``annual`` (State of the Nation, end-of-year review), ``monitoring`` (quarterly integrated
finance and performance), ``money`` (value for money, programme evaluation) and ``survey``. The
notebooks call these; the run side never imports them.
"""
