"""Worked few-shot examples, written for this project. They go into the ``{examples}`` field of the
templates in :mod:`agents.tasks.hotpotqa.prompts`.

Each constant is one plain string of at least three examples, separated by a blank line. The
questions need two facts (a bridge), a comparison, or a yes/no check. They use only well-known facts,
and none of their entities appear in the HotPotQA evaluation sample (``tests/test_fewshots.py``
checks this). The formats are:

- ``REACT_EXAMPLES``: ``Question:`` then numbered ``Thought k:`` / ``Action k:`` / ``Observation k:``
  lines. The actions are ``Search[entity]``, ``Lookup[keyword]`` and finally ``Finish[answer]``. A
  failed search is shown as ``Could not find [X]. Similar: [...]``, and a lookup hit as
  ``(Result 1 / 2) sentence``.
- ``COT_CONTEXT_EXAMPLES``: ``Context:``, a blank line, ``Question:``, then one
  ``Thought: Let's think step by step. ...`` line and ``Action: Finish[answer]``.
- ``COT_EXAMPLES``: the same without the context.
- ``*_REFLECT_EXAMPLES``: ``Previous trial:``, then a failed attempt in the matching format (a
  wrong Finish followed by ``Answer is INCORRECT``, or a ReAct run that ran out of steps), then a
  one- or two-sentence ``Reflection:``.

The examples are kept short because the embedded model (Gemma 3 270M on CPU) is slow on long
prompts.

>>> REACT_EXAMPLES.count("Question:") >= 3
True
>>> print(COT_EXAMPLES.split("\\n\\n")[0])
Question: In which city was the composer of The Four Seasons born?
Thought: Let's think step by step. The Four Seasons was composed by Antonio Vivaldi, and Vivaldi was born in Venice.
Action: Finish[Venice]
>>> from agents.tasks.hotpotqa.prompts import COT_TEMPLATE
>>> prompt = COT_TEMPLATE.format(examples=COT_EXAMPLES, memory="", question="Who?", scratchpad="")
>>> "Action: Finish[Venice]" in prompt and prompt.count("Question:") == 5
True
"""

REACT_EXAMPLES = """Question: In which city was the director of the 1975 film Jaws born?
Thought 1: I need the director of Jaws, then where that person was born.
Action 1: Search[Jaws (film)]
Observation 1: Jaws is a 1975 American thriller film directed by Steven Spielberg and based on the 1974 novel by Peter Benchley. It stars Roy Scheider, Robert Shaw and Richard Dreyfuss.
Thought 2: Jaws was directed by Steven Spielberg. Now I need his birthplace.
Action 2: Search[Steven Spielberg]
Observation 2: Steven Allan Spielberg is an American film director, producer and screenwriter. He is one of the most commercially successful directors in history.
Thought 3: The paragraph does not say where he was born, so I will look up "born".
Action 3: Lookup[born]
Observation 3: (Result 1 / 2) Spielberg was born in Cincinnati, Ohio, to an Orthodox Jewish family.
Thought 4: Spielberg was born in Cincinnati.
Action 4: Finish[Cincinnati]

Question: What was the real name of the author of the novel Nineteen Eighty-Four?
Thought 1: I need the author of Nineteen Eighty-Four, then that author's real name.
Action 1: Search[Nineteen Eighty-Four (novel)]
Observation 1: Could not find [Nineteen Eighty-Four (novel)]. Similar: ['Nineteen Eighty-Four', 'Nineteen Eighty-Four (film)', '1984 (1956 film)']
Thought 2: The novel's page is titled Nineteen Eighty-Four.
Action 2: Search[Nineteen Eighty-Four]
Observation 2: Nineteen Eighty-Four is a dystopian novel by the English writer George Orwell. It was published in 1949 as his ninth and final book completed in his lifetime.
Thought 3: The author is George Orwell, which may be a pen name. I need his real name.
Action 3: Search[George Orwell]
Observation 3: Eric Arthur Blair (25 June 1903 – 21 January 1950), better known by his pen name George Orwell, was an English novelist, essayist, journalist and critic.
Thought 4: George Orwell's real name was Eric Arthur Blair.
Action 4: Finish[Eric Arthur Blair]

Question: Who was born first, Isaac Newton or Galileo Galilei?
Thought 1: I need both birth dates, starting with Isaac Newton.
Action 1: Search[Isaac Newton]
Observation 1: Sir Isaac Newton (25 December 1642 – 20 March 1726/27) was an English mathematician, physicist and astronomer. He formulated the laws of motion and universal gravitation.
Thought 2: Newton was born in 1642. Now Galileo Galilei.
Action 2: Search[Galileo Galilei]
Observation 2: Galileo Galilei (15 February 1564 – 8 January 1642) was an Italian astronomer, physicist and engineer. He has been called the father of modern science.
Thought 3: Galileo was born in 1564, before Newton in 1642.
Action 3: Finish[Galileo Galilei]

Question: Did Marie Curie and Albert Einstein both win the Nobel Prize in Physics?
Thought 1: I need to check each of them, starting with Marie Curie.
Action 1: Search[Marie Curie]
Observation 1: Marie Curie (7 November 1867 – 4 July 1934) was a Polish and naturalised-French physicist and chemist who conducted pioneering research on radioactivity. She was the first woman to win a Nobel Prize.
Thought 2: The paragraph does not say which prize she won. I will look up "Physics".
Action 2: Lookup[Physics]
Observation 2: (Result 1 / 2) In 1903 she shared the Nobel Prize in Physics with Pierre Curie and Henri Becquerel.
Thought 3: Curie won the Physics prize. Now Albert Einstein.
Action 3: Search[Albert Einstein]
Observation 3: Albert Einstein (14 March 1879 – 18 April 1955) was a German-born theoretical physicist, best known for developing the theory of relativity. He received the 1921 Nobel Prize in Physics.
Thought 4: Both of them won the Nobel Prize in Physics.
Action 4: Finish[yes]"""

COT_CONTEXT_EXAMPLES = """Context: Harry Potter and the Philosopher's Stone is a 1997 fantasy novel written by the British author J. K. Rowling. It is the first novel in the Harry Potter series. Joanne Rowling, known by her pen name J. K. Rowling, is a British author. She was born in Yate, Gloucestershire, England, on 31 July 1965.

Question: In which town was the author of Harry Potter and the Philosopher's Stone born?
Thought: Let's think step by step. The novel was written by J. K. Rowling, and Rowling was born in Yate, Gloucestershire.
Action: Finish[Yate]

Context: Microsoft is an American technology company founded by Bill Gates and Paul Allen on April 4, 1975. Apple Inc. is an American technology company founded by Steve Jobs, Steve Wozniak and Ronald Wayne on April 1, 1976.

Question: Which company was founded first, Microsoft or Apple?
Thought: Let's think step by step. Microsoft was founded in 1975 and Apple in 1976, so Microsoft was founded first.
Action: Finish[Microsoft]

Context: Mount Kilimanjaro is a dormant volcano in Tanzania. It is the highest mountain in Africa. Mount Everest is Earth's highest mountain above sea level, located in the Himalayas on the border between Nepal and China.

Question: Are Mount Kilimanjaro and Mount Everest both in Asia?
Thought: Let's think step by step. Mount Everest is in the Himalayas in Asia, but Mount Kilimanjaro is in Tanzania, in Africa, so they are not both in Asia.
Action: Finish[no]"""

COT_EXAMPLES = """Question: In which city was the composer of The Four Seasons born?
Thought: Let's think step by step. The Four Seasons was composed by Antonio Vivaldi, and Vivaldi was born in Venice.
Action: Finish[Venice]

Question: Who was born first, Johann Sebastian Bach or Ludwig van Beethoven?
Thought: Let's think step by step. Bach was born in 1685 and Beethoven in 1770, so Bach was born first.
Action: Finish[Johann Sebastian Bach]

Question: Are the Louvre and the Prado museums both in Paris?
Thought: Let's think step by step. The Louvre is in Paris, but the Prado is in Madrid, so they are not both in Paris.
Action: Finish[no]

Question: Which river flows through the capital of Egypt?
Thought: Let's think step by step. The capital of Egypt is Cairo, and the Nile flows through Cairo.
Action: Finish[the Nile]"""

REACT_REFLECT_EXAMPLES = """Previous trial:
Question: Which company was founded first, Nintendo or Sony?
Thought 1: I need both founding dates. I will search Sony.
Action 1: Search[Sony]
Observation 1: Sony Group Corporation is a Japanese multinational conglomerate. It was founded in 1946 by Masaru Ibuka and Akio Morita.
Thought 2: Sony is from 1946, which is old for an electronics company, so it must be older than Nintendo.
Action 2: Finish[Sony]
Observation 2: Answer is INCORRECT
Reflection: I guessed Nintendo's age after checking only Sony. Next time I should search both companies and compare their founding years before answering.

Previous trial:
Question: What nationality was the architect of the Sydney Opera House?
Thought 1: I need to find the architect of the Sydney Opera House.
Action 1: Search[Sydney Opera House architect]
Observation 1: Could not find [Sydney Opera House architect]. Similar: ['Sydney Opera House', 'Jørn Utzon', 'Sydney Harbour Bridge']
Thought 2: I will try a shorter query.
Action 2: Search[Opera House architect]
Observation 2: Could not find [Opera House architect]. Similar: ['Opera house', 'Sydney Opera House', 'Architect']
Thought 3: I will try again.
Action 3: Search[architect of the Sydney Opera House]
Observation 3: Could not find [architect of the Sydney Opera House]. Similar: ['Sydney Opera House', 'Jørn Utzon', 'Sydney']
Reflection: I kept searching made-up phrases and ignored the suggested titles, so I ran out of steps. Next time I should search an exact suggested title such as Sydney Opera House, find the architect there, then search that person.

Previous trial:
Question: What is the capital of the country where Angel Falls is located?
Thought 1: I need the country of Angel Falls, then its capital.
Action 1: Search[Angel Falls]
Observation 1: Angel Falls is a waterfall in Venezuela. It is the world's tallest uninterrupted waterfall, with a height of 979 metres.
Thought 2: Angel Falls is in Venezuela.
Action 2: Finish[Venezuela]
Observation 2: Answer is INCORRECT
Reflection: I answered the first hop, the country, but the question asks for its capital. Next time I should check that my answer is what the question asks, and search Venezuela for its capital before finishing."""

COT_CONTEXT_REFLECT_EXAMPLES = """Previous trial:
Context: Don Quixote is a Spanish novel by Miguel de Cervantes, published in two parts in 1605 and 1615. Miguel de Cervantes was a Spanish writer, born in Alcalá de Henares in 1547.

Question: In which town was the author of Don Quixote born?
Thought: Let's think step by step. Don Quixote is a Spanish novel and the capital of Spain is Madrid, so its author was born in Madrid.
Action: Finish[Madrid]
Observation: Answer is INCORRECT
Reflection: I guessed from the country instead of reading the context, which gives the author's birthplace. Next time I should find the person the question is about and take the answer from the sentence about that person.

Previous trial:
Context: The Eiffel Tower is a wrought-iron lattice tower in Paris, France. It was built from 1887 to 1889 for the 1889 World's Fair. The Statue of Liberty is a colossal copper statue on Liberty Island in New York Harbor. It was dedicated on October 28, 1886.

Question: Which was completed first, the Eiffel Tower or the Statue of Liberty?
Thought: Let's think step by step. The Eiffel Tower is the older and more famous landmark, so it was completed first.
Action: Finish[the Eiffel Tower]
Observation: Answer is INCORRECT
Reflection: I relied on fame instead of the dates in the context. Next time I should compare the years given directly: 1886 for the statue is earlier than 1889 for the tower.

Previous trial:
Context: Lake Victoria is one of the African Great Lakes, shared by Uganda, Kenya and Tanzania. Lake Baikal is a rift lake in Siberia, Russia, and is the deepest lake in the world.

Question: Are Lake Victoria and Lake Baikal both in Africa?
Thought: Let's think step by step. Lake Victoria is in Africa, but Lake Baikal is in Siberia, Russia.
Action: Finish[Lake Baikal]
Observation: Answer is INCORRECT
Reflection: My reasoning was right, but I answered a yes/no question with a name. Next time I should answer such a question with only yes or no."""

COT_REFLECT_EXAMPLES = """Previous trial:
Question: What language is mainly spoken in the country whose capital is Brasília?
Thought: Let's think step by step. Brasília is in South America, where most countries speak Spanish.
Action: Finish[Spanish]
Observation: Answer is INCORRECT
Reflection: I guessed from the continent instead of naming the country. Next time I should first identify the country (Brasília is the capital of Brazil) and then give that country's language.

Previous trial:
Question: Which planet is larger, Mars or Venus?
Thought: Let's think step by step. Mars is the planet most like Earth, so it is the larger one.
Action: Finish[Mars]
Observation: Answer is INCORRECT
Reflection: I relied on a vague impression instead of comparing sizes. Next time I should recall each planet's size first: Venus is nearly as large as Earth, while Mars is about half Earth's diameter.

Previous trial:
Question: Were the Mona Lisa and The Starry Night both painted by Italian artists?
Thought: Let's think step by step. The Mona Lisa was painted by Leonardo da Vinci, who was Italian, so yes.
Action: Finish[yes]
Observation: Answer is INCORRECT
Reflection: I checked only the first painting. Next time I should check every entity in a "both" question: The Starry Night is by Vincent van Gogh, who was Dutch."""

# For honest feedback (self-check or a judge, prompts.CHECK_TEMPLATE): attempts whose trajectory
# does or does not support the final answer, judged without any gold answer.
CHECK_EXAMPLES = """Question: Which river flows through the capital of Hungary?
Thought 1: I need the capital of Hungary, then its river.
Action 1: Search[Budapest]
Observation 1: Budapest is the capital and most populous city of Hungary. It lies on both banks of the Danube.
Action 2: Finish[Danube]
Final answer: Danube
Supported: yes. The page says Budapest, Hungary's capital, lies on the Danube.

Question: In what year did the composer of the Moonlight Sonata die?
Thought: Let's think step by step. The Moonlight Sonata was written by Mozart, who died in 1791.
Action: Finish[1791]
Final answer: 1791
Supported: no. Nothing in the attempt checks who wrote the sonata, and the year rests on that guess.

Question: Are the Eiffel Tower and the Statue of Liberty in the same country?
Thought 1: I need the location of each.
Action 1: Search[Eiffel Tower]
Observation 1: The Eiffel Tower is a wrought-iron lattice tower in Paris, France.
Action 2: Finish[no]
Final answer: no
Supported: no. The attempt never looked up where the Statue of Liberty is."""
