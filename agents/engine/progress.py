"""The run's progress bar: tqdm's, in a terminal and in a notebook, and one that survives an export.

In a notebook tqdm draws an ipywidgets bar. A widget is live state in the browser: a notebook saved
and exported to HTML (JupyterLab's "Export as HTML", ``jupyter nbconvert --to html``), or opened
where no widget manager runs (GitHub, an offline machine: the export loads its widget script from
a CDN), shows the bar as nothing, or as the text it had when it was *created* (``0/12``). So when a
notebook bar closes, its output is replaced by a static one, the finished bar as HTML (a
``<progress>`` element and tqdm's text) with the same text as plain text: what every viewer can
draw, and the numbers the run ended with.

In a terminal, or with ``enabled=False``, this is plain ``tqdm``:

>>> from tqdm.notebook import tqdm_notebook
>>> bar = progress_bar(3, "attempts", enabled=False)
>>> bar.update(3); bar.close()
>>> isinstance(bar, tqdm_notebook)
False
>>> static_bundle(3, 3, "attempts: 100%|##########| 3/3")["text/plain"]
'attempts: 100%|##########| 3/3'
"""
from __future__ import annotations

import html
from typing import Any


def _notebook_tqdm() -> Any:
    """tqdm's notebook class when ``tqdm.auto`` picked it (a Jupyter kernel with ipywidgets), else None."""
    from tqdm.auto import tqdm as auto

    try:
        from tqdm.notebook import tqdm_notebook
    except ImportError:
        return None
    return tqdm_notebook if issubclass(auto, tqdm_notebook) else None


def static_bundle(n: float, total: float | None, text: str) -> dict[str, str]:
    """The finished bar as a display bundle: HTML (a ``<progress>`` element and tqdm's text) and
    the same text as plain text, for viewers without HTML."""
    value = f' value="{n:g}" max="{total:g}"' if total else ""
    return {"text/html": f'<div class="reinagent-progress"><progress{value} style="width:16em"></progress> '
                         f"<code>{html.escape(text)}</code></div>",
            "text/plain": text}


def progress_bar(total: int, label: str, enabled: bool = True) -> Any:
    """A tqdm bar of ``total`` steps named ``label``; in a notebook, one whose output becomes
    :func:`static_bundle` when it closes (see the module doc)."""
    from tqdm.auto import tqdm

    notebook = _notebook_tqdm() if enabled else None
    if notebook is None:
        return tqdm(total=total, desc=label, disable=not enabled, leave=True)
    return _exportable(notebook)(total=total, desc=label, leave=True)


def _exportable(notebook: Any) -> Any:
    """A subclass of tqdm's notebook bar that displays itself under a display id, so that closing
    it can replace the widget with the static bar in place."""
    from IPython.display import display

    class ExportableBar(notebook):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["display"] = False  # displayed below, under an id we can update
            super().__init__(*args, **kwargs)
            self._handle = display(self.container, display_id=True)
            self.displayed = True

        def close(self) -> None:
            if getattr(self, "_static", False) or self.disable:
                return super().close()
            self._static = True
            super().close()
            meter = self.format_meter(**{**self.format_dict, "ascii": False})
            self._handle.update(static_bundle(self.n, self.total, meter), raw=True)

    return ExportableBar
