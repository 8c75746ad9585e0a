"""The kit's ALFWorld suite, written by hand: 12 small rooms, two per task type, each with a
winning plan and a wrong plan.

Every game is a :class:`GameSpec`: what stands in the room (receptacle -> what is on or in it, in
the engine's own names, ``"cabinet 2"``), the goal (object class, receptacle or lamp class), and two
plans in the 0.4 engine's verbs. ``build_suite.py`` turns each spec into the PDDL problem and
``traj_data.json`` of the ALFWorld dataset and runs ALFWorld's own generator over them; the tests
play both plans on the real engine. The rooms are not ALFRED floor plans: scene numbers 901-912
mark them as the kit's own.

>>> len(SUITE), sorted({spec.task_type for spec in SUITE}) == sorted(TASK_TYPES)
(12, True)
>>> spec = by_folder("pick_clean_then_place_in_recep-Mug-None-CoffeeMachine-905")
>>> spec.room, spec.win[-1], spec.wrong_why
('kitchen', 'move mug 1 to coffeemachine 1', 'skips the cleaning')
"""
from __future__ import annotations

from dataclasses import dataclass

from .env import DEFAULT_SPLIT as SPLIT
from .env import DATA_DIR, TASK_TYPES


@dataclass(frozen=True)
class GameSpec:
    """One hand-written game. ``layout`` maps each receptacle to what it holds (the engine lists
    receptacles in its own order, not this one); openable ones (cabinet, drawer, fridge,
    microwave, safe) start closed; lamps stand on a receptacle and are switched on with ``use``.
    ``obj``/``recep``/``toggle`` are ALFRED class names, as ALFWorld's goal library spells them."""
    scene: int
    task_type: str
    room: str
    obj: str
    recep: str          # "" for look_at_obj_in_light
    toggle: str         # the lamp, only for look_at_obj_in_light
    layout: dict
    win: tuple
    wrong: tuple
    wrong_why: str
    human_goal: str     # a human-style wording, kept in traj_data.json like ALFRED's annotations

    @property
    def folder(self) -> str:
        """The dataset's task folder name: ``<task type>-<object>-<movable recep>-<target>-<scene>``."""
        return f"{self.task_type}-{self.obj}-None-{self.recep or self.toggle}-{self.scene}"

    @property
    def trial(self) -> str:
        return f"trial_R{self.scene}"

    @property
    def relpath(self) -> str:
        """Where the game lies under a data root, as the real dataset lays it out."""
        return f"{DATA_DIR}/{SPLIT}/{self.folder}/{self.trial}/game.tw-pddl"


SUITE = (
    GameSpec(
        scene=901, task_type="pick_and_place_simple", room="bedroom", obj="KeyChain", recep="Dresser",
        toggle="",
        layout={"bed 1": ["pillow 1", "cellphone 1"], "sidetable 1": ["alarmclock 1", "keychain 1"],
                "drawer 1": ["creditcard 1"], "dresser 1": [], "garbagecan 1": []},
        win=("go to sidetable 1", "take keychain 1 from sidetable 1", "go to dresser 1",
             "move keychain 1 to dresser 1"),
        wrong=("go to sidetable 1", "take keychain 1 from sidetable 1", "go to drawer 1",
               "open drawer 1", "move keychain 1 to drawer 1"),
        wrong_why="puts it in the drawer, not on the dresser",
        human_goal="Put the keys on the dresser."),
    GameSpec(
        scene=902, task_type="pick_and_place_simple", room="bathroom", obj="SoapBottle", recep="Toilet",
        toggle="",
        layout={"countertop 1": ["candle 1", "soapbottle 1"], "cabinet 1": ["toiletpaper 1"],
                "toilet 1": ["spraybottle 1"], "towelholder 1": ["towel 1"], "garbagecan 1": []},
        win=("go to countertop 1", "take soapbottle 1 from countertop 1", "go to toilet 1",
             "move soapbottle 1 to toilet 1"),
        wrong=("go to countertop 1", "take soapbottle 1 from countertop 1", "go to cabinet 1",
               "open cabinet 1", "move soapbottle 1 to cabinet 1"),
        wrong_why="puts it in the cabinet, not on the toilet",
        human_goal="Move the soap bottle to the top of the toilet."),
    GameSpec(
        scene=903, task_type="look_at_obj_in_light", room="bedroom", obj="CD", recep="",
        toggle="DeskLamp",
        layout={"bed 1": ["laptop 1"], "desk 1": ["desklamp 1", "pen 1"], "shelf 1": ["book 1"],
                "shelf 2": ["cd 1", "vase 1"], "drawer 1": []},
        win=("go to shelf 2", "take cd 1 from shelf 2", "go to desk 1", "use desklamp 1"),
        wrong=("go to shelf 1", "take book 1 from shelf 1", "go to desk 1", "use desklamp 1"),
        wrong_why="looks at the book instead of the cd",
        human_goal="Look at the disc under the desk lamp."),
    GameSpec(
        scene=904, task_type="look_at_obj_in_light", room="living room", obj="Statue", recep="",
        toggle="FloorLamp",
        layout={"sofa 1": ["pillow 1", "remotecontrol 1"], "coffeetable 1": ["newspaper 1", "statue 1"],
                "sidetable 1": ["desklamp 1"], "sidetable 2": ["floorlamp 1"], "shelf 1": ["vase 1"]},
        win=("go to coffeetable 1", "take statue 1 from coffeetable 1", "go to sidetable 2",
             "use floorlamp 1"),
        wrong=("go to coffeetable 1", "take statue 1 from coffeetable 1", "go to sidetable 1",
               "use desklamp 1"),
        wrong_why="uses the desk lamp, not the floor lamp",
        human_goal="Hold the statue up to the standing lamp and switch it on."),
    GameSpec(
        scene=905, task_type="pick_clean_then_place_in_recep", room="kitchen", obj="Mug",
        recep="CoffeeMachine", toggle="",
        layout={"countertop 1": ["bread 1", "mug 1"], "cabinet 1": ["bowl 1"], "coffeemachine 1": [],
                "sinkbasin 1": ["spoon 1"], "fridge 1": ["egg 1"], "garbagecan 1": []},
        win=("go to countertop 1", "take mug 1 from countertop 1", "go to sinkbasin 1",
             "clean mug 1 with sinkbasin 1", "go to coffeemachine 1", "move mug 1 to coffeemachine 1"),
        wrong=("go to countertop 1", "take mug 1 from countertop 1", "go to coffeemachine 1",
               "move mug 1 to coffeemachine 1"),
        wrong_why="skips the cleaning",
        human_goal="Rinse the mug and set it in the coffee maker."),
    GameSpec(
        scene=906, task_type="pick_clean_then_place_in_recep", room="bathroom", obj="Cloth",
        recep="Cabinet", toggle="",
        layout={"toilet 1": ["toiletpaper 1"], "countertop 1": ["cloth 1", "soapbar 1"],
                "sinkbasin 1": [], "cabinet 1": ["spraybottle 1"], "cabinet 2": [],
                "garbagecan 1": []},
        win=("go to countertop 1", "take cloth 1 from countertop 1", "go to sinkbasin 1",
             "clean cloth 1 with sinkbasin 1", "go to cabinet 2", "open cabinet 2",
             "move cloth 1 to cabinet 2"),
        wrong=("go to countertop 1", "take cloth 1 from countertop 1", "go to sinkbasin 1",
               "clean cloth 1 with sinkbasin 1", "go to countertop 1", "move cloth 1 to countertop 1"),
        wrong_why="cleans it but leaves it on the countertop",
        human_goal="Wash the rag and put it away in a cupboard."),
    GameSpec(
        scene=907, task_type="pick_heat_then_place_in_recep", room="kitchen", obj="Potato",
        recep="DiningTable", toggle="",
        layout={"countertop 1": ["apple 1", "saltshaker 1"], "diningtable 1": ["plate 1"],
                "fridge 1": ["lettuce 1", "potato 1"], "microwave 1": [], "stoveburner 1": ["pan 1"],
                "garbagecan 1": []},
        win=("go to fridge 1", "open fridge 1", "take potato 1 from fridge 1", "go to microwave 1",
             "heat potato 1 with microwave 1", "go to diningtable 1", "move potato 1 to diningtable 1"),
        wrong=("go to fridge 1", "open fridge 1", "take potato 1 from fridge 1", "go to diningtable 1",
               "move potato 1 to diningtable 1"),
        wrong_why="skips the heating",
        human_goal="Warm up the potato and leave it on the table."),
    GameSpec(
        scene=908, task_type="pick_heat_then_place_in_recep", room="kitchen", obj="Cup",
        recep="Cabinet", toggle="",
        layout={"countertop 1": ["bread 1"], "countertop 2": ["mug 1"], "cabinet 1": [],
                "cabinet 2": ["plate 1"], "microwave 1": [], "sinkbasin 1": ["cup 1"],
                "toaster 1": []},
        win=("go to sinkbasin 1", "take cup 1 from sinkbasin 1", "go to microwave 1",
             "heat cup 1 with microwave 1", "go to cabinet 1", "open cabinet 1",
             "move cup 1 to cabinet 1"),
        wrong=("go to countertop 2", "take mug 1 from countertop 2", "go to microwave 1",
               "heat mug 1 with microwave 1", "go to cabinet 1", "open cabinet 1",
               "move mug 1 to cabinet 1"),
        wrong_why="heats the mug instead of the cup",
        human_goal="Heat the cup and store it in a cabinet."),
    GameSpec(
        scene=909, task_type="pick_cool_then_place_in_recep", room="kitchen", obj="Lettuce",
        recep="DiningTable", toggle="",
        layout={"countertop 1": ["lettuce 1", "saltshaker 1"], "diningtable 1": ["bowl 1"],
                "fridge 1": ["egg 1"], "microwave 1": [], "cabinet 1": ["plate 1"],
                "garbagecan 1": []},
        win=("go to countertop 1", "take lettuce 1 from countertop 1", "go to fridge 1",
             "cool lettuce 1 with fridge 1", "go to diningtable 1", "move lettuce 1 to diningtable 1"),
        wrong=("go to countertop 1", "take lettuce 1 from countertop 1", "go to fridge 1",
               "open fridge 1", "move lettuce 1 to fridge 1"),
        wrong_why="leaves it in the fridge instead of cooling it and bringing it to the table",
        human_goal="Chill the lettuce and then put it on the dining table."),
    GameSpec(
        scene=910, task_type="pick_cool_then_place_in_recep", room="kitchen", obj="Pan",
        recep="StoveBurner", toggle="",
        layout={"stoveburner 1": ["pan 1"], "stoveburner 2": ["pot 1"], "countertop 1": ["spatula 1"],
                "drawer 1": [], "fridge 1": ["winebottle 1"], "sinkbasin 1": []},
        win=("go to stoveburner 1", "take pan 1 from stoveburner 1", "go to fridge 1",
             "cool pan 1 with fridge 1", "go to stoveburner 1", "move pan 1 to stoveburner 1"),
        wrong=("go to stoveburner 2", "take pot 1 from stoveburner 2", "go to fridge 1",
               "cool pot 1 with fridge 1", "go to stoveburner 2", "move pot 1 to stoveburner 2"),
        wrong_why="cools the pot instead of the pan",
        human_goal="Cool down the frying pan and put it back on the stove."),
    GameSpec(
        scene=911, task_type="pick_two_obj_and_place", room="living room", obj="RemoteControl",
        recep="ArmChair", toggle="",
        layout={"sofa 1": ["pillow 1", "remotecontrol 1"], "armchair 1": [], "armchair 2": [],
                "coffeetable 1": ["keychain 1", "remotecontrol 2"], "drawer 1": ["creditcard 1"],
                "garbagecan 1": []},
        win=("go to sofa 1", "take remotecontrol 1 from sofa 1", "go to armchair 1",
             "move remotecontrol 1 to armchair 1", "go to coffeetable 1",
             "take remotecontrol 2 from coffeetable 1", "go to armchair 1",
             "move remotecontrol 2 to armchair 1"),
        wrong=("go to sofa 1", "take remotecontrol 1 from sofa 1", "go to armchair 1",
               "move remotecontrol 1 to armchair 1", "go to coffeetable 1",
               "take remotecontrol 2 from coffeetable 1", "go to armchair 2",
               "move remotecontrol 2 to armchair 2"),
        wrong_why="puts the two remotes on two different armchairs",
        human_goal="Put both remotes on one armchair."),
    GameSpec(
        scene=912, task_type="pick_two_obj_and_place", room="bedroom", obj="Pencil", recep="Drawer",
        toggle="",
        layout={"desk 1": ["laptop 1", "pen 1", "pencil 1"], "sidetable 1": ["pencil 2", "watch 1"],
                "drawer 1": [], "drawer 2": ["creditcard 1"], "bed 1": ["pillow 1"], "shelf 1": []},
        win=("go to desk 1", "take pencil 1 from desk 1", "go to drawer 1", "open drawer 1",
             "move pencil 1 to drawer 1", "go to sidetable 1", "take pencil 2 from sidetable 1",
             "go to drawer 1", "move pencil 2 to drawer 1"),
        wrong=("go to desk 1", "take pencil 1 from desk 1", "go to drawer 1", "open drawer 1",
               "move pencil 1 to drawer 1", "go to desk 1", "take pen 1 from desk 1",
               "go to drawer 1", "move pen 1 to drawer 1"),
        wrong_why="puts a pencil and a pen in the drawer, not two pencils",
        human_goal="Put two pencils away in a drawer."),
)


def by_folder(folder: str) -> GameSpec:
    """The spec whose task folder is ``folder`` (as in a game's path); KeyError names the known ones."""
    for spec in SUITE:
        if spec.folder == folder:
            return spec
    raise KeyError(f"no suite game {folder!r}; the suite has {[s.folder for s in SUITE]}")
