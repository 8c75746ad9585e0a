"""How one attempt is made, whatever the task: ReAct (numbered Thought/Action/Observation steps over
the task's tools), chain of thought (one thought, then an answer). A task's own actors live in its
package (ALFWorld's text-game loop, HumanEval's code writer)."""
