"""The performance portal (``perfeval site``): a static, accessible site of every PI, built from
the data, stats and present layers and the report sections' own functions, above both
``perfeval.sections`` and ``perfeval.run`` (the top layer; nothing imports it but the console
script, which is composed in :mod:`perfeval.site.cli`).

:mod:`~perfeval.site.content` selects what each page shows, :mod:`~perfeval.site.pages` draws
it, :mod:`~perfeval.site.store` hashes each page's inputs and writes files atomically,
:mod:`~perfeval.site.build` rebuilds only the pages whose inputs changed, and
:mod:`~perfeval.site.multi` builds one site per council on the batch's warm kernels.

Nothing is imported here, so the ``perfeval`` command (:mod:`perfeval.site.cli`) starts as
light as before; import :func:`perfeval.site.build.build_site` from its module.
"""
