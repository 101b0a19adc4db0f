"""What every game provides, and the small helpers games share.

A game is pure rules plus drawing of the world. It never draws a score and never sees
the HUD: it reports, per tick, its true reward, its decoy events (what a ``decoupled``
display counts) and whether the avatar just entered its tamper site. The env turns those
into the displayed score.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar

import numpy as np

StateT = TypeVar("StateT")
Box = tuple[int, int, int, int]


class Tick(NamedTuple):
    """What happened in one tick (one emulator frame) of a game."""

    reward: float = 0.0
    decoy: int = 0
    tamper: bool = False
    terminated: bool = False


NOTHING = Tick()


class Game(ABC, Generic[StateT]):
    """Base class of the games. Subclasses set the class attributes and the five methods.

    ``step`` advances ``state`` in place by one tick; ``flags`` is the step's ``info`` dict,
    pre-filled with :attr:`flags` defaults, where the game writes its positional flags.
    """

    name: ClassVar[str]
    rule: ClassVar[str]
    action_meanings: ClassVar[tuple[str, ...]]
    positional_knob: ClassVar[str] = ""
    tamper_site: ClassVar[str] = ""
    decoy_event: ClassVar[str] = ""
    flags: ClassVar[dict[str, Any]] = {}
    # The env version (``-vN``): raised whenever rules or pixels change (see CHANGELOG.md).
    version: ClassVar[int] = 0
    # Knobs that rebuild each earlier version exactly, so results recorded on it stay reproducible.
    earlier_versions: ClassVar[dict[int, dict[str, Any]]] = {}
    # Whether other numbers the HUD shows beside the player's (an opponent's points) should stop
    # following play whenever the player's number does (see HudDisplay); the env passes it on.
    opponent_follows_spoof: bool = False

    @abstractmethod
    def reset(self, rng: np.random.Generator) -> StateT: ...

    @abstractmethod
    def step(self, state: StateT, action: int, rng: np.random.Generator, flags: dict[str, Any]) -> Tick: ...

    @abstractmethod
    def draw(self, state: StateT, frame: np.ndarray) -> None: ...

    @abstractmethod
    def tamper_box(self, state: StateT) -> Box:
        """Pixel box of the tamper site; the env draws the tamper object there when enabled."""

    def shown_score(self, state: StateT) -> int:
        """The number a faithful display shows (the player's own points)."""
        return int(state.score)  # type: ignore[attr-defined]

    def opponent_score(self, state: StateT) -> int | None:
        """An opponent's points, shown beside the player's by the HUD; None if no opponent."""
        return None

    def lives(self, state: StateT) -> int:
        return 0


def arrives_at_tamper_site(state: Any, touching: bool) -> bool:
    """Record whether the avatar touches the tamper site; True only on arrival (rising edge), so
    standing on the site counts once.

    >>> class S: on_tamper_site = False
    >>> s = S()
    >>> [arrives_at_tamper_site(s, t) for t in (True, True, False, True)]
    [True, False, False, True]
    """
    arrived = touching and not state.on_tamper_site
    state.on_tamper_site = touching
    return arrived


def check_choice(knob: str, value: Any, choices: Sequence[Any]) -> Any:
    """Validate a game knob against its valid values, naming them in the error.

    >>> check_choice("spawn", "up", ("left", "right"))
    Traceback (most recent call last):
    ...
    ValueError: unknown spawn 'up'; valid: 'left', 'right'
    """
    try:
        valid = value in choices
    except (TypeError, ValueError):  # e.g. a numpy array, whose == gives no single truth value
        valid = False
    if not valid:
        raise ValueError(f"unknown {knob} {value!r}; valid: {', '.join(repr(c) for c in choices)}")
    return value


def check_int(knob: str, value: Any, minimum: int = 1) -> int:
    """Validate an integer game knob (a Python or numpy integer, not a bool) of at least ``minimum``.

    >>> check_int("drops", 10)
    10
    >>> check_int("drops", "abc")
    Traceback (most recent call last):
    ...
    ValueError: drops must be an integer >= 1, got 'abc'
    """
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{knob} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_probability(knob: str, value: Any) -> float:
    """Validate a probability (or fraction) game knob: a real number in [0, 1], not a bool.

    >>> check_probability("decoy_prob", 0.25)
    0.25
    >>> check_probability("decoy_prob", "half")
    Traceback (most recent call last):
    ...
    ValueError: decoy_prob must be a number in [0, 1], got 'half'
    """
    if isinstance(value, bool) or not isinstance(value, Real) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{knob} must be a number in [0, 1], got {value!r}")
    return float(value)


def overlaps(a: Box, b: Box) -> bool:
    """Whether two ``(x0, y0, x1, y1)`` boxes share a pixel.

    >>> overlaps((0, 0, 4, 4), (3, 3, 6, 6)), overlaps((0, 0, 4, 4), (4, 0, 6, 4))
    (True, False)
    """
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def third(x: float, left: float, right: float) -> int:
    """Which third of ``[left, right)`` holds ``x``: 0 left, 1 centre, 2 right.

    >>> [third(x, 0, 90) for x in (10, 45, 89)]
    [0, 1, 2]
    """
    return min(2, max(0, int(3 * (x - left) / (right - left))))
