"""Build the kit's ALFWorld suite from the hand-written rooms in ``suite_spec.py``.

    python -m agents.tasks.alfworld.build_suite            # rewrites alfworld_runs/data/suite
    python -m agents.tasks.alfworld.build_suite --check    # rebuilds in a temp dir, compares

For each game it writes what ALFRED's data pipeline would have: a PDDL problem
(``initial_state.pddl``, the goal taken from ALFWorld's own goal library) and a ``traj_data.json``
(task type and targets); then it does what ``alfworld-generate`` does, with ALFWorld's own
functions: the task sentence is drawn into the grammar (``add_task_to_grammar``) and the
hand-coded expert plays the game to prove it solvable and record its walkthrough. Only
``traj_data.json`` and ``game.tw-pddl`` are kept, as in the released dataset.

The generator's pitfalls are handled here rather than worked around by hand: the task sentence and
the expert both draw from the unseeded global ``random``, so each game seeds it with its scene
number (the same files on every rebuild, whatever order the games are built in); the generator's
CLI skips the last game (``--end -1`` is used as a slice) and asks y/n when writing in place, so
it is not used.

>>> from agents.tasks.alfworld.suite_spec import by_folder
>>> traj_data(by_folder("look_at_obj_in_light-CD-None-DeskLamp-903"))["pddl_params"]
{'object_target': 'CD', 'parent_target': '', 'toggle_target': 'DeskLamp', 'mrecep_target': '', 'object_sliced': False}
"""
from __future__ import annotations

import argparse
import filecmp
import json
import random
import sys
import tempfile
from pathlib import Path

from .env import _ENGINE, GAME_FILE, SUITE_ROOT, _quiet, import_alfworld
from .suite_spec import SUITE, GameSpec

OPENABLE = {"Cabinet", "Drawer", "Fridge", "Microwave", "Safe", "Box"}
LAMPS = {"DeskLamp", "FloorLamp"}          # fixtures: toggleable, never picked up
BASINS = {"SinkBasin": "Sink", "BathtubBasin": "Bathtub"}


def _constants():
    import_alfworld()
    from alfworld.gen import constants
    return constants


def _class_of(name: str, constants) -> str:
    """'sinkbasin 1' -> 'SinkBasin', using ALFRED's own class list."""
    word = name.rsplit(" ", 1)[0]
    if word not in constants.OBJECTS_LOWER_TO_UPPER:
        raise ValueError(f"{name!r}: {word!r} is not an ALFRED class; see alfworld.gen.constants.OBJECTS")
    return constants.OBJECTS_LOWER_TO_UPPER[word]


def _ids(names, scene: int, constants) -> dict:
    """A PDDL id per displayed name, chosen so that the engine shows that same name.

    ALFWorld numbers the instances of a class in *reverse* order of their sorted ids, so
    "cabinet 1" of 2 gets the larger index. A basin's id must read ``Sink|...|SinkBasin``: the
    engine names it after the part before the first ``|`` plus "basin".
    """
    counts: dict = {}
    for name in names:
        word = name.rsplit(" ", 1)[0]
        counts[word] = counts.get(word, 0) + 1
    ids = {}
    for name in names:
        word, number = name.rsplit(" ", 1)
        cls = _class_of(name, constants)
        rank = f"{counts[word] - int(number):02d}"
        raw = f"{BASINS[cls]}|{scene}|{rank}|{cls}" if cls in BASINS else f"{cls}|{scene}|{rank}"
        ids[name] = raw.replace("|", "_bar_")
    return ids


def render_problem(spec: GameSpec) -> str:
    """The PDDL problem of one game, in the shape of ALFRED's ``initial_state.pddl``."""
    c = _constants()
    receps = list(spec.layout)
    objects = [o for held in spec.layout.values() for o in held]
    if len(set(receps + objects)) != len(receps + objects):
        raise ValueError(f"{spec.folder}: a name appears twice in the layout")
    rid, oid = _ids(receps, spec.scene, c), _ids(objects, spec.scene, c)
    rcls = {r: _class_of(r, c) for r in receps}
    ocls = {o: _class_of(o, c) for o in objects}
    loc = {r: f"loc_bar_{spec.scene}_bar_{i + 1}" for i, r in enumerate(receps)}
    start = f"loc_bar_{spec.scene}_bar_0"

    init = []
    for r in receps:
        init += [f"(receptacleType {rid[r]} {rcls[r]}Type)", f"(receptacleAtLocation {rid[r]} {loc[r]})"]
        if rcls[r] in OPENABLE:
            init.append(f"(openable {rid[r]})")
        for o in spec.layout[r]:
            if ocls[o] not in LAMPS and ocls[o] not in c.VAL_RECEPTACLE_OBJECTS[rcls[r]]:
                raise ValueError(f"{spec.folder}: ALFRED never puts a {ocls[o]} in a {rcls[r]} "
                                 f"(and its expert would not look there)")
            init += [f"(inReceptacle {oid[o]} {rid[r]})", f"(objectAtLocation {oid[o]} {loc[r]})"]
    for o in objects:
        init.append(f"(objectType {oid[o]} {ocls[o]}Type)")
        if ocls[o] in LAMPS:
            init.append(f"(toggleable {oid[o]})")
            continue
        init.append(f"(pickupable {oid[o]})")
        if ocls[o] in c.MOVABLE_RECEPTACLES_SET:
            init.append(f"(isReceptacleObject {oid[o]})")
        for prop, group in (("cleanable", "Cleanable"), ("heatable", "Heatable"), ("coolable", "Coolable")):
            if ocls[o] in c.VAL_ACTION_OBJECTS[group]:
                init.append(f"({prop} {oid[o]})")
    # The placing rule needs an explicit canContain for every (receptacle type, object type) pair.
    for rc in sorted(set(rcls.values())):
        for oc in sorted(set(ocls.values()) - LAMPS):
            if oc in c.VAL_RECEPTACLE_OBJECTS[rc]:
                init.append(f"(canContain {rc}Type {oc}Type)")
    init.append(f"(atLocation agent1 {start})")

    # Every type the domain's rules name (SinkBasinType, MicrowaveType, KnifeType...) must be
    # declared, so declare them all, as ALFRED's problems do.
    rtypes = sorted(c.RECEPTACLES - c.MOVABLE_RECEPTACLES_SET)
    otypes = sorted(set(c.OBJECTS) - set(rtypes))
    declared = (["agent1 - agent"] + [f"{t}Type - otype" for t in otypes] + [f"{t}Type - rtype" for t in rtypes]
                + [f"{oid[o]} - object" for o in objects] + [f"{rid[r]} - receptacle" for r in receps]
                + [f"{start} - location"] + [f"{loc[r]} - location" for r in receps])
    goal = goal_pddl(spec)
    pad = "\n        "
    return (f"(define (problem plan_{spec.trial})\n(:domain alfred)\n(:objects{pad}"
            + pad.join(declared) + "\n        )\n(:init" + pad + pad.join(init) + "\n        )\n" + goal)


def goal_pddl(spec: GameSpec) -> str:
    """The goal from ALFWorld's goal library for this task type (its ``#`` stands for PDDL's ``-``)."""
    import_alfworld()
    from alfworld.gen import goal_library
    template = goal_library.gdict[spec.task_type]["pddl"]
    return template.format(obj=spec.obj, recep=spec.recep, toggle=spec.toggle, mrecep="").replace("#", "-")


def traj_data(spec: GameSpec) -> dict:
    """The fields of ALFRED's ``traj_data.json`` that ALFWorld reads (task type, targets, the
    human wording used when ``goal_desc_human_anns_prob`` > 0), plus where the room came from."""
    return {
        "task_id": f"reinagent_{spec.scene}",
        "task_type": spec.task_type,
        "pddl_params": {"object_target": spec.obj, "parent_target": spec.recep,
                        "toggle_target": spec.toggle, "mrecep_target": "", "object_sliced": False},
        "scene": {"scene_num": spec.scene, "room": spec.room,
                  "source": "hand-written for reinAgent (agents/tasks/alfworld/suite_spec.py)"},
        "turk_annotations": {"anns": [{"task_desc": spec.human_goal, "high_descs": []}]},
    }


def build_game(spec: GameSpec, root: Path) -> Path:
    """Write one game under ``root`` (``json_2.1.1/<split>/<task>/<trial>/``); returns its game file."""
    import_alfworld()
    import textworld
    from textworld.envs import PddlEnv
    from alfworld.agents.environment.alfred_tw_env import AlfredDemangler, AlfredExpert, AlfredInfos
    from alfworld.agents.utils.misc import add_task_to_grammar
    from alfworld.info import ALFRED_PDDL_PATH, ALFRED_TWL2_PATH

    out = root / Path(spec.relpath).parent
    out.mkdir(parents=True, exist_ok=True)
    data = traj_data(spec)
    (out / "traj_data.json").write_text(json.dumps(data, indent=2) + "\n")
    game_file = out / GAME_FILE
    problem = render_problem(spec)         # first: a layout error is not the expert's

    saved = random.getstate()
    random.seed(spec.scene)
    try:
        grammar = add_task_to_grammar(Path(ALFRED_TWL2_PATH).read_text(), data, 0.0, random.Random(spec.scene))
        game = {"pddl_domain": Path(ALFRED_PDDL_PATH).read_text(), "grammar": grammar,
                "pddl_problem": problem, "solvable": None, "walkthrough": None}
        game_file.write_text(json.dumps(game))
        # The generator's solvability check: ALFWorld's hand-coded expert plays until it wins.
        env = AlfredExpert(AlfredInfos(AlfredDemangler(PddlEnv(textworld.EnvInfos(
            admissible_commands=True, extras=["gamefile"])), shuffle=False)), expert_type="handcoded")
        walkthrough, done = [], False
        with _ENGINE, _quiet():
            env.load(str(game_file))
            state = env.reset()
            while not done and len(walkthrough) < 100:
                command = state["extra.expert_plan"][0]
                state, _, done = env.step(command)    # done = won: PddlEnv never loses
                walkthrough.append(command)
            env.close()
    except Exception as exc:           # the expert gives up by raising a bare Exception("Timeout")
        raise RuntimeError(f"{spec.folder}: ALFWorld's expert failed ({exc!r}); check the layout "
                           f"against the goal in suite_spec.py") from exc
    finally:
        random.setstate(saved)
    if not done:
        raise RuntimeError(f"{spec.folder}: ALFWorld's expert could not solve it in 100 steps; "
                           f"check the layout against the goal in suite_spec.py")
    game.update(solvable=True, walkthrough=walkthrough)
    game_file.write_text(json.dumps(game))
    return game_file


def build_suite(root: Path = SUITE_ROOT, specs=SUITE) -> list:
    """Build every game; returns their game files."""
    return [build_game(spec, Path(root)) for spec in specs]


def compare(built: Path, reference: Path = SUITE_ROOT, specs=SUITE) -> list:
    """Files that differ between two builds (relative paths); empty when identical."""
    differ = []
    for spec in specs:
        for name in (GAME_FILE, "traj_data.json"):
            rel = Path(spec.relpath).parent / name
            a, b = Path(built) / rel, Path(reference) / rel
            if not (a.is_file() and b.is_file() and filecmp.cmp(a, b, shallow=False)):
                differ.append(rel.as_posix())
    return differ


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=SUITE_ROOT, help="data root to write (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="rebuild in a temp dir and compare with --out")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            build_suite(Path(tmp))
            differ = compare(Path(tmp), args.out)
        print("identical" if not differ else "differ: " + ", ".join(differ))
        return 1 if differ else 0
    for path in build_suite(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
