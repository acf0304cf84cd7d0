"""After a project opens: offer to resume an auto-label run that closing the app interrupted.

`offer_resume(parent, store)` is what the main window calls once the project is open. It asks
only when there is something to continue (the newest run did not complete, nobody is working
on it, assets are left) and its provider still exists; "Resume" opens the Auto-Label dialog
and continues the run with its own settings (`avala-desktop auto-label --resume`).
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from avala_desktop.core.store import ProjectStore, Run
from avala_desktop.inference.providers import ProviderError, ProviderRegistry
from avala_desktop.jobs.planning import describe_scope, effective_state, plan_run, run_is_active
from avala_desktop.views.autolabel_dialog import show_auto_label_dialog

RESUME_BOX_NAME = "resumeRunQuestion"


def interrupted_run(store: ProjectStore) -> tuple[Run, int, int] | None:
    """The run worth offering with (done, total), or None."""
    run = store.latest_resumable_run()
    if run is None or run_is_active(store, run):
        return None
    plan = plan_run(store, run)
    done = len(plan.earlier)
    if plan.total <= done:
        return None
    return run, done, plan.total


def offer_resume(
    parent: QWidget | None, store: ProjectStore, *, registry: ProviderRegistry | None = None
) -> bool:
    """Ask whether to resume the project's interrupted run; True when it was resumed."""
    found = interrupted_run(store)
    if found is None:
        return False
    run, done, total = found
    registry = registry or ProviderRegistry()
    try:
        registry.get(run.provider_id)
    except ProviderError:
        return False  # nothing to resume it with; `auto-label --resume` would refuse too
    state = effective_state(store, run).value
    box = QMessageBox(parent)
    box.setObjectName(RESUME_BOX_NAME)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Resume auto-label run?")
    box.setText(
        f"An auto-label run with {run.provider_name} was {state} after {done:,} of "
        f"{total:,} assets."
    )
    box.setInformativeText(
        f"Resume it with its own settings (threshold {run.threshold:g}, "
        f"scope {describe_scope(run.scope)})? What it already did is kept either way."
    )
    resume = box.addButton("Resume", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(resume)
    box.exec()
    if box.clickedButton() is not resume:
        return False
    dialog = show_auto_label_dialog(parent, store, [], registry=registry)
    return dialog.resume(run)
