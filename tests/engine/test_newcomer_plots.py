"""Issue 21, closing pass: what `python -m agents run --task alfworld --games 2 --trials 2` drew in
its run folder. The run's own figure carries the original's two 134-game reference curves; their
long labels sat inside a 6.4-inch axes, covered the y label and half the plot, matplotlib warned
"Tight layout not applied"."""
import warnings

import pandas as pd
import pytest

from agents.engine.plots import paper_label, plot_success_rate
from agents.tasks import get_task


def _alfworld_run(n_games: int = 2, trials: int = 2) -> pd.DataFrame:
    """A run frame as `run` hands it to the plot: every game halted at every trial (what the 270M
    model did), with the manifest the runner writes."""
    ids = [f"game{i}" for i in range(n_games)]
    frame = pd.DataFrame([{"sample_id": sid, "trial": t, "correct": False, "halted": True, "agent": "react",
                           "strategy": "reinagent", "feedback_source": "oracle"}
                          for t in range(1, trials + 1) for sid in ids])
    frame.attrs["manifest"] = {"task": "alfworld", "agent": "react", "strategy": "reinagent",
                               "feedback_source": "oracle", "dataset_ids": ids, "n_trials": trials,
                               "model_id": "local:gemma-3-270m-q4_k_m.gguf"}
    return frame


@pytest.fixture
def figure():
    task = get_task("alfworld")
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # "Tight layout not applied" is a UserWarning
        fig = plot_success_rate(_alfworld_run(), paper=task.paper_curves("react"), paper_agent=task.paper_agent)
    fig.canvas.draw()
    return fig


def test_a_run_beside_long_reference_labels_keeps_its_legend_off_the_axes(figure):
    ax = figure.axes[0]
    renderer = figure.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    axes = ax.get_window_extent(renderer)
    ylabel = ax.yaxis.label.get_window_extent(renderer)
    assert not legend.overlaps(axes), "the legend covers the curves"
    assert not legend.overlaps(ylabel), "the legend covers the y label"


def test_each_curve_says_its_n(figure):
    """Item 4, on the run's own figure: the run's n and the references' 134, each in its entry."""
    labels = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert labels[0].endswith("(n = 2 games)")
    assert labels[1:] and all(label.endswith("(n = 134 games)") for label in labels[1:]), labels
