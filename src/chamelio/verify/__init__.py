"""The verifier: proves a program safe and bounded for a profile without executing it.

See docs/design/0003-verifier.md for the modules and their seams::

    from chamelio.verify import verify, verify_object
    report = verify(insns, "xdp", maps=maps)      # Report(accepted, cost, error, ...)
    print(report.format())
"""

from chamelio.verify.api import verify, verify_object
from chamelio.verify.report import Rejection, Report, Stats

__all__ = ["Rejection", "Report", "Stats", "verify", "verify_object"]
