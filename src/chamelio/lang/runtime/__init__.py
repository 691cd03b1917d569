"""Plain-Python execution of ``chamelio.lang``: the reference semantics.

``ints`` (``u8 .. i64``), ``structs`` (``@struct``, ``Ptr``, ``Array``), ``maps``
(``HashMap``, ``ArrayMap``), ``packet`` (the packet view), ``context`` (``XdpCtx`` ...) and
``helpers`` (the ABI helpers). A handler runs by calling it.
"""
