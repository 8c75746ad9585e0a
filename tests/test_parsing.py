"""Action parsing never relies on stop sequences and never raises."""
import pytest

from agents.actors.parsing import Action, split_thought
from agents.tasks.hotpotqa.actors import parse_action


@pytest.mark.parametrize("reply, expected", [
    ("Search[Opry Mills]", Action("Search", "Opry Mills")),
    ("  search [ opry   mills ]  ", Action("Search", "opry mills")),             # case, spaces
    ("LOOKUP[born]\nObservation 2: made up", Action("Lookup", "born")),          # ignored stop
    ("Finish[Tybalt] Action 3: Search[x]", Action("Finish", "Tybalt")),          # several: the first
    ("Search[Dark Tower [series]] more", Action("Search", "Dark Tower [series]")),  # nested brackets
    ("Search[Blue Grass Airport\nThought: oops", Action("Search", "Blue Grass Airport")),  # unbalanced
    ("I will Finish[yes] now.", Action("Finish", "yes")),                         # surrounding chatter
    ("Search[] Finish[no]", Action("Finish", "no")),                              # empty one skipped
])
def test_first_well_formed_action(reply, expected):
    assert parse_action(reply) == expected


@pytest.mark.parametrize("reply", ["", "   ", "The answer is 1978.", "Search", "Finish[", "Ask[someone]",
                                   "]]][[[", "Search()", None])
def test_no_action_is_none_not_an_error(reply):
    assert parse_action(reply) is None


def test_split_thought_takes_the_first_action_label():
    thought, rest = split_thought(" I need X.\n action 4 : Search[X]\nAction 5: Finish[y]")
    assert thought == "I need X." and parse_action(rest) == Action("Search", "X")
