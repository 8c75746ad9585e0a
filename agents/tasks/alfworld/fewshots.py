"""Few-shot trajectories for ALFWorld, two per task type, in the 0.4 engine's words.

Each is a game played from start to win: the room and task as ``AlfWorldGame.reset()`` returns
them, then ``> action`` lines, each followed by the engine's reply; a ``> think: ...`` line is
answered ``OK.`` (the actor, not the engine, answers it). They were written for this kit and
played on alfworld 0.4.2 in throwaway rooms that share no layout or task with the suite (the
observations are pasted from the engine), so they use its verbs: ``move X to Y`` (not
``put X in/on Y``), ``go to``, ``take X from Y``, ``open``, ``clean/heat/cool X with Y``, ``use``.

>>> sorted(FEWSHOTS) == sorted(TASK_TYPES), {len(shots) for shots in FEWSHOTS.values()}
(True, {2})
>>> for line in FEWSHOTS["pick_heat_then_place_in_recep"][0].splitlines()[1:5]:
...     print(line)
Your task is to: heat some egg and put it in countertop.
> think: To solve the task, I need to find an egg, heat it with the microwave, then put it on a countertop.
OK.
> think: An egg is most likely in the fridge.

``REFLECTIONS`` holds the reflection few-shots: two failed attempts, in two of those rooms, each
ending with the line the actor writes when it stops an attempt, and the reflection it deserves
(what went wrong, then a plan that names the objects and places). The replies are the engine's
own, as in the trajectories above and as checked on the suite's engine ("look" after arriving,
"use" of a lamp one is not next to).

>>> [trajectory.splitlines()[-1] for trajectory, _ in REFLECTIONS]
['(stopped: the same command twice in a row)', '(stopped: the same command twice in a row)']
"""
from .env import TASK_TYPES

FEWSHOTS = {
    "pick_and_place_simple": [
        """\
You are in the middle of a room. Looking quickly around you, you see a countertop 2, a countertop 1, a diningtable 1, a drawer 2, a drawer 1, and a fridge 1.
Your task is to: put a peppershaker in drawer.
> think: To solve the task, I need to find a peppershaker, then put it in a drawer.
OK.
> think: A peppershaker is most likely on a countertop or the diningtable. I will check the countertops first.
OK.
> go to countertop 1
You arrive at countertop 1. On the countertop 1, you see a bread 1, and a saltshaker 1.
> go to countertop 2
You arrive at countertop 2. On the countertop 2, you see a apple 1.
> go to diningtable 1
You arrive at diningtable 1. On the diningtable 1, you see a peppershaker 1, and a plate 1.
> think: Now I see a peppershaker (1). Next, I take it and go to a drawer.
OK.
> take peppershaker 1 from diningtable 1
You pick up the peppershaker 1 from the diningtable 1.
> go to drawer 2
You arrive at drawer 2. The drawer 2 is closed.
> open drawer 2
You open the drawer 2. The drawer 2 is open. In it, you see nothing.
> move peppershaker 1 to drawer 2
You move the peppershaker 1 to the drawer 2.""",
        """\
You are in the middle of a room. Looking quickly around you, you see a coffeetable 1, a drawer 1, a garbagecan 1, a sidetable 1, a sofa 1, and a tvstand 1.
Your task is to: put a watch in coffeetable.
> think: To solve the task, I need to find a watch, then put it on the coffeetable.
OK.
> think: A watch could be on the sidetable or inside the drawer. I will start with the sidetable.
OK.
> go to sidetable 1
You arrive at sidetable 1. On the sidetable 1, you see a keychain 1.
> go to drawer 1
You arrive at drawer 1. The drawer 1 is closed.
> open drawer 1
You open the drawer 1. The drawer 1 is open. In it, you see a watch 1.
> think: Now I find a watch (1). Next, I take it and bring it to the coffeetable.
OK.
> take watch 1 from drawer 1
You pick up the watch 1 from the drawer 1.
> go to coffeetable 1
You arrive at coffeetable 1. On the coffeetable 1, you see a book 1.
> move watch 1 to coffeetable 1
You move the watch 1 to the coffeetable 1.""",
    ],
    "look_at_obj_in_light": [
        """\
You are in the middle of a room. Looking quickly around you, you see a bed 1, a drawer 1, a dresser 1, a garbagecan 1, and a sidetable 1.
Your task is to: look at alarmclock under the desklamp.
> think: To solve the task, I need to find an alarmclock, take it, then find a desklamp and turn it on.
OK.
> think: An alarmclock is usually on a dresser, a sidetable or a desk. I will check the dresser first.
OK.
> go to dresser 1
You arrive at dresser 1. On the dresser 1, you see a alarmclock 1, and a cellphone 1.
> think: Now I find an alarmclock (1). Next, I take it.
OK.
> take alarmclock 1 from dresser 1
You pick up the alarmclock 1 from the dresser 1.
> think: Now I need a desklamp. I saw none yet; the sidetable is a good place to look.
OK.
> go to sidetable 1
You arrive at sidetable 1. On the sidetable 1, you see a desklamp 1, and a pen 1.
> use desklamp 1
You turn on the desklamp 1.""",
        """\
You are in the middle of a room. Looking quickly around you, you see a desk 1, a drawer 1, a garbagecan 1, a shelf 3, a shelf 2, and a shelf 1.
Your task is to: look at mug under the desklamp.
> think: To solve the task, I need to find a mug, take it, then go to a desklamp and use it.
OK.
> think: A mug may sit on a shelf or the desk. I will check the shelves one by one.
OK.
> go to shelf 1
You arrive at shelf 1. On the shelf 1, you see a book 1.
> go to shelf 2
You arrive at shelf 2. On the shelf 2, you see a mug 1, and a pencil 1.
> think: Now I find a mug (1). Next, I take it.
OK.
> take mug 1 from shelf 2
You pick up the mug 1 from the shelf 2.
> think: Now I need a desklamp, most likely on the desk.
OK.
> go to desk 1
You arrive at desk 1. On the desk 1, you see a desklamp 1, and a laptop 1.
> use desklamp 1
You turn on the desklamp 1.""",
    ],
    "pick_clean_then_place_in_recep": [
        """\
You are in the middle of a room. Looking quickly around you, you see a bathtubbasin 1, a cabinet 1, a cart 1, a countertop 1, a sinkbasin 1, and a toilet 1.
Your task is to: clean some dishsponge and put it in cart.
> think: To solve the task, I need to find a dishsponge, clean it with the sinkbasin, then put it in the cart.
OK.
> think: A dishsponge is likely on the countertop or in a cabinet. I will check the countertop first.
OK.
> go to countertop 1
You arrive at countertop 1. On the countertop 1, you see a soapbottle 1.
> go to cabinet 1
You arrive at cabinet 1. The cabinet 1 is closed.
> open cabinet 1
You open the cabinet 1. The cabinet 1 is open. In it, you see a dishsponge 1.
> think: Now I find a dishsponge (1). Next, I take it and clean it at the sinkbasin.
OK.
> take dishsponge 1 from cabinet 1
You pick up the dishsponge 1 from the cabinet 1.
> go to sinkbasin 1
You arrive at sinkbasin 1. On the sinkbasin 1, you see nothing.
> clean dishsponge 1 with sinkbasin 1
You clean the dishsponge 1 using the sinkbasin 1.
> think: Now the dishsponge is clean. Next, I put it in the cart.
OK.
> go to cart 1
You arrive at cart 1. On the cart 1, you see a spraybottle 1.
> move dishsponge 1 to cart 1
You move the dishsponge 1 to the cart 1.""",
        """\
You are in the middle of a room. Looking quickly around you, you see a countertop 1, a diningtable 1, a drawer 2, a drawer 1, a sinkbasin 1, and a stoveburner 1.
Your task is to: clean some spoon and put it in diningtable.
> think: To solve the task, I need to find a spoon, clean it with the sinkbasin, then put it on the diningtable.
OK.
> think: A spoon is most likely in a drawer or on the countertop. I will check drawer 1 first.
OK.
> go to drawer 1
You arrive at drawer 1. The drawer 1 is closed.
> open drawer 1
You open the drawer 1. The drawer 1 is open. In it, you see a spoon 1.
> think: Now I find a spoon (1). Next, I take it and clean it.
OK.
> take spoon 1 from drawer 1
You pick up the spoon 1 from the drawer 1.
> go to sinkbasin 1
You arrive at sinkbasin 1. On the sinkbasin 1, you see nothing.
> clean spoon 1 with sinkbasin 1
You clean the spoon 1 using the sinkbasin 1.
> think: Now the spoon is clean. Next, I put it on the diningtable.
OK.
> go to diningtable 1
You arrive at diningtable 1. On the diningtable 1, you see a bowl 1.
> move spoon 1 to diningtable 1
You move the spoon 1 to the diningtable 1.""",
    ],
    "pick_heat_then_place_in_recep": [
        """\
You are in the middle of a room. Looking quickly around you, you see a cabinet 1, a countertop 2, a countertop 1, a fridge 1, a garbagecan 1, and a microwave 1.
Your task is to: heat some egg and put it in countertop.
> think: To solve the task, I need to find an egg, heat it with the microwave, then put it on a countertop.
OK.
> think: An egg is most likely in the fridge.
OK.
> go to fridge 1
You arrive at fridge 1. The fridge 1 is closed.
> open fridge 1
You open the fridge 1. The fridge 1 is open. In it, you see a egg 1, and a lettuce 1.
> think: Now I find an egg (1). Next, I take it and heat it with the microwave.
OK.
> take egg 1 from fridge 1
You pick up the egg 1 from the fridge 1.
> go to microwave 1
You arrive at microwave 1. The microwave 1 is closed.
> heat egg 1 with microwave 1
You heat the egg 1 using the microwave 1.
> think: Now the egg is hot. Next, I put it on a countertop.
OK.
> go to countertop 1
You arrive at countertop 1. On the countertop 1, you see a apple 1.
> move egg 1 to countertop 1
You move the egg 1 to the countertop 1.""",
        """\
You are in the middle of a room. Looking quickly around you, you see a cabinet 2, a cabinet 1, a countertop 1, a diningtable 1, a microwave 1, and a toaster 1.
Your task is to: heat some bread and put it in countertop.
> think: To solve the task, I need to find some bread, heat it with the microwave, then put it on the countertop.
OK.
> think: Bread is usually on the diningtable or a countertop. I will check the countertop first.
OK.
> go to countertop 1
You arrive at countertop 1. On the countertop 1, you see nothing.
> go to diningtable 1
You arrive at diningtable 1. On the diningtable 1, you see a bread 1, and a peppershaker 1.
> think: Now I find some bread (1). Next, I take it and heat it.
OK.
> take bread 1 from diningtable 1
You pick up the bread 1 from the diningtable 1.
> go to microwave 1
You arrive at microwave 1. The microwave 1 is closed.
> heat bread 1 with microwave 1
You heat the bread 1 using the microwave 1.
> think: Now the bread is hot. Next, I put it on the countertop.
OK.
> go to countertop 1
You arrive at countertop 1. On the countertop 1, you see nothing.
> move bread 1 to countertop 1
You move the bread 1 to the countertop 1.""",
    ],
    "pick_cool_then_place_in_recep": [
        """\
You are in the middle of a room. Looking quickly around you, you see a cabinet 2, a cabinet 1, a countertop 1, a diningtable 1, a fridge 1, and a sinkbasin 1.
Your task is to: cool some bowl and put it in cabinet.
> think: To solve the task, I need to find a bowl, cool it with the fridge, then put it in a cabinet.
OK.
> think: A bowl is likely on the diningtable, a countertop or in a cabinet. I will check the diningtable first.
OK.
> go to diningtable 1
You arrive at diningtable 1. On the diningtable 1, you see a bowl 1, and a fork 1.
> think: Now I find a bowl (1). Next, I take it and cool it with the fridge.
OK.
> take bowl 1 from diningtable 1
You pick up the bowl 1 from the diningtable 1.
> go to fridge 1
You arrive at fridge 1. The fridge 1 is closed.
> cool bowl 1 with fridge 1
You cool the bowl 1 using the fridge 1.
> think: Now the bowl is cool. Next, I put it in a cabinet.
OK.
> go to cabinet 2
You arrive at cabinet 2. The cabinet 2 is closed.
> open cabinet 2
You open the cabinet 2. The cabinet 2 is open. In it, you see nothing.
> move bowl 1 to cabinet 2
You move the bowl 1 to the cabinet 2.""",
        """\
You are in the middle of a room. Looking quickly around you, you see a countertop 2, a countertop 1, a drawer 1, a fridge 1, a garbagecan 1, and a microwave 1.
Your task is to: cool some apple and put it in microwave.
> think: To solve the task, I need to find an apple, cool it with the fridge, then put it in the microwave.
OK.
> think: An apple is likely on a countertop, the diningtable or in the fridge. I will check countertop 1 first.
OK.
> go to countertop 1
You arrive at countertop 1. On the countertop 1, you see a spatula 1.
> go to countertop 2
You arrive at countertop 2. On the countertop 2, you see a apple 1, and a egg 1.
> think: Now I find an apple (1). Next, I take it and cool it with the fridge.
OK.
> take apple 1 from countertop 2
You pick up the apple 1 from the countertop 2.
> go to fridge 1
You arrive at fridge 1. The fridge 1 is closed.
> cool apple 1 with fridge 1
You cool the apple 1 using the fridge 1.
> think: Now the apple is cool. Next, I put it in the microwave.
OK.
> go to microwave 1
You arrive at microwave 1. The microwave 1 is closed.
> open microwave 1
You open the microwave 1. The microwave 1 is open. In it, you see nothing.
> move apple 1 to microwave 1
You move the apple 1 to the microwave 1.""",
    ],
    "pick_two_obj_and_place": [
        """\
You are in the middle of a room. Looking quickly around you, you see a bed 1, a desk 1, a drawer 2, a drawer 1, a safe 1, and a shelf 1.
Your task is to: put two cd in safe.
> think: To solve the task, I need to find two cds and put them in the safe, one at a time.
OK.
> think: A cd could be on the desk, a shelf or in a drawer. I will check the desk first.
OK.
> go to desk 1
You arrive at desk 1. On the desk 1, you see a cd 1, and a pen 1.
> think: Now I find the first cd (1). Next, I take it and put it in the safe.
OK.
> take cd 1 from desk 1
You pick up the cd 1 from the desk 1.
> go to safe 1
You arrive at safe 1. The safe 1 is closed.
> open safe 1
You open the safe 1. The safe 1 is open. In it, you see nothing.
> move cd 1 to safe 1
You move the cd 1 to the safe 1.
> think: Now I need the second cd. I will check the shelf and the drawers.
OK.
> go to shelf 1
You arrive at shelf 1. On the shelf 1, you see a alarmclock 1.
> go to drawer 1
You arrive at drawer 1. The drawer 1 is closed.
> open drawer 1
You open the drawer 1. The drawer 1 is open. In it, you see a cd 2.
> think: Now I find the second cd (2). Next, I take it and put it in the safe too.
OK.
> take cd 2 from drawer 1
You pick up the cd 2 from the drawer 1.
> go to safe 1
You arrive at safe 1. The safe 1 is open. In it, you see a cd 1.
> move cd 2 to safe 1
You move the cd 2 to the safe 1.""",
        """\
You are in the middle of a room. Looking quickly around you, you see a bathtubbasin 1, a countertop 1, a garbagecan 1, a sinkbasin 1, a toilet 1, and a towelholder 1.
Your task is to: find two soapbar and put them in garbagecan.
> think: To solve the task, I need to find two soapbars and put them in the garbagecan, one at a time.
OK.
> think: A soapbar is likely on the countertop, the toilet, the sinkbasin or the bathtubbasin. I will check the countertop first.
OK.
> go to countertop 1
You arrive at countertop 1. On the countertop 1, you see a candle 1, and a soapbar 1.
> think: Now I find the first soapbar (1). Next, I take it and put it in the garbagecan.
OK.
> take soapbar 1 from countertop 1
You pick up the soapbar 1 from the countertop 1.
> go to garbagecan 1
You arrive at garbagecan 1. On the garbagecan 1, you see nothing.
> move soapbar 1 to garbagecan 1
You move the soapbar 1 to the garbagecan 1.
> think: Now I need the second soapbar. I will look in the sinkbasin and the bathtubbasin.
OK.
> go to sinkbasin 1
You arrive at sinkbasin 1. On the sinkbasin 1, you see nothing.
> go to bathtubbasin 1
You arrive at bathtubbasin 1. On the bathtubbasin 1, you see a soapbar 2.
> think: Now I find the second soapbar (2). Next, I take it and put it in the garbagecan.
OK.
> take soapbar 2 from bathtubbasin 1
You pick up the soapbar 2 from the bathtubbasin 1.
> go to garbagecan 1
You arrive at garbagecan 1. On the garbagecan 1, you see a soapbar 1.
> move soapbar 2 to garbagecan 1
You move the soapbar 2 to the garbagecan 1.""",
    ],
}

# Failed attempts and their reflections. Both fail the way small models fail most (a step of the
# task left out, then the same command repeated), so a reflection shows how to name the missing
# step and the exact commands for next time.
REFLECTIONS = [
    ("""\
You are in the middle of a room. Looking quickly around you, you see a cabinet 1, a countertop 2, a countertop 1, a fridge 1, a garbagecan 1, and a microwave 1.
Your task is to: heat some egg and put it in countertop.
> think: To solve the task, I need to find an egg, then put it on a countertop.
OK.
> go to fridge 1
You arrive at fridge 1. The fridge 1 is closed.
> open fridge 1
You open the fridge 1. The fridge 1 is open. In it, you see a egg 1, and a lettuce 1.
> take egg 1 from fridge 1
You pick up the egg 1 from the fridge 1.
> go to countertop 1
You arrive at countertop 1. On the countertop 1, you see a apple 1.
> move egg 1 to countertop 1
You move the egg 1 to the countertop 1.
> look
You are facing the countertop 1. Next to it, you see nothing.
> look
You are facing the countertop 1. Next to it, you see nothing.
(stopped: the same command twice in a row)""",
     "The task said to heat the egg, and I put it on the countertop without heating it, so the task "
     "was never done; repeating look did not help. Next time I will take egg 1 from fridge 1, go to "
     "microwave 1 and heat egg 1 with microwave 1, then go to countertop 1 and move egg 1 to countertop 1."),
    ("""\
You are in the middle of a room. Looking quickly around you, you see a bed 1, a drawer 1, a dresser 1, a garbagecan 1, and a sidetable 1.
Your task is to: look at alarmclock under the desklamp.
> think: To solve the task, I need to find a desklamp and turn it on.
OK.
> go to sidetable 1
You arrive at sidetable 1. On the sidetable 1, you see a desklamp 1, and a pen 1.
> use desklamp 1
You turn on the desklamp 1.
> go to dresser 1
You arrive at dresser 1. On the dresser 1, you see a alarmclock 1, and a cellphone 1.
> use desklamp 1
Nothing happens.
> use desklamp 1
Nothing happens.
(stopped: the same command twice in a row)""",
     "I turned on the desklamp while holding nothing, so I never looked at the alarmclock under it, "
     "and a lamp can only be used standing next to it. Next time I will go to dresser 1 and take "
     "alarmclock 1 from dresser 1 first, then go to sidetable 1 and use desklamp 1."),
]
