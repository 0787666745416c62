"""The one script every rule runs: set up the job once, then call the rule's adapter.

Snakemake's ``script:`` directive executes this file outside of any package; the
adapter of rule ``<package>_<stage>`` is ``workflow_scripts.<package>.stages.<stage>``
(``workflow_scripts.entry``). Set-up happens here and nowhere else: the rule's log
file, torch threads and denormal flushing (torch jobs), the device (adapters that take
one), and the traceback of a failure in the log. Locally the job runs in a forked
child of a warm interpreter (``workflow_scripts/zygote.py``), which spares it the imports.
"""

import logging
import sys

from workflow_scripts.entry import adapter_arguments, entry_point
from workflow_scripts.runtime import configure_torch, pick_device, setup_logging

log = logging.getLogger("workflow_scripts.run")


def run(smk):
    setup_logging(smk.log[0] if smk.log else None)
    try:
        adapter = entry_point(smk.rule)
        kwargs = {}
        if adapter.trainscope_stage["torch"]:
            configure_torch(smk.threads)
        if "device" in adapter_arguments(adapter):
            kwargs["device"] = pick_device(smk.params.device)
        adapter(smk, **kwargs)
    except Exception:  # the rule's log gets the reason, not only Snakemake's stderr
        log.exception("rule %s failed", smk.rule)
        raise


def main(smk):
    """A local job runs in a child of the warm server (``zygote``: torch and the other
    heavy modules already imported); where that is off or unavailable, here."""
    from workflow_scripts import zygote

    status = zygote.run_job(smk) if zygote.enabled() else None
    if status is None:
        run(smk)
    elif status:
        sys.exit(status)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821 - injected by Snakemake's script directive
