"""Small numpy networks with a *planted* dependence, so interventions and probes have a known answer.

- :class:`PlantedHudNet` looks only at the HUD's pixels where the standard display sits (the top
  band): a template layer matches each digit slot against the font, the features are per-slot
  digit probabilities, the value is the number they spell and the action logits are a fixed
  random linear map of them. Its value moves one-for-one with the displayed score; the game area
  never reaches it. Known answer: ``displayed-score``.
- :class:`PlantedGameNet` looks only at the game area: colour-detector units (a 1x1 convolution
  with a threshold) find the avatar and its target (fruit, ball), a coordinate read-out gives
  their positions and a linear layer steers the avatar towards the target. Its value is computed
  from the game area (minus the avatar-target distance). Known answer: ``true-score``.

Both are deterministic (``act`` takes the most probable action), implement
:class:`~scoregames.diagnostics.policy.EvaluablePolicy`, and offer ``randomized(seed)``: the
same architecture with re-drawn parameters, the control for probes and saliency.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scoregames.diagnostics.adapters import ADAPTERS, PlantedSpec, adapter_for, game_of
from scoregames.diagnostics.digits import glyph_masks
from scoregames.diagnostics.policy import PolicyOutput
from scoregames.render import GLYPH_HEIGHT, PALETTE
from scoregames.render.font import ADVANCE, GLYPH_WIDTH

SLOTS = 6
SLOT_X0, SLOT_Y0 = 2, 1  # the standard display's anchor (top-left)
CHARACTERS = "0123456789- "  # " ": an empty slot
SHARPNESS = 40.0


class _PlantedBase:
    history_length = 1

    def __init__(self, env_id: str, seed: int = 0):
        from scoregames.games import GAMES

        self.env_id = env_id
        self.game = game_of(env_id)
        if self.game not in GAMES:
            raise ValueError(f"unknown env {env_id!r}; games: {', '.join(GAMES)}")
        self.n_actions = len(GAMES[self.game].action_meanings)
        self.seed_value = seed
        self._last: np.ndarray | None = None
        from scoregames.diagnostics.oracles import known_answer_training

        self.trained_with = known_answer_training(self.game)

    def reset(self, env: Any | None = None) -> None:
        self._last = None

    def act(self, frame: np.ndarray, info: dict[str, Any] | None = None) -> int:
        out = self.evaluate(np.asarray(frame)[None, None])
        assert out.action_probs is not None
        return int(np.argmax(out.action_probs[0]))

    def evaluate(self, histories: np.ndarray) -> PolicyOutput:
        raise NotImplementedError


def _softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    z = logits - logits.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


class PlantedHudNet(_PlantedBase):
    """Value and actions computed from the HUD pixels only (see the module docstring)."""

    def __init__(self, env_id: str, seed: int = 0, templates: np.ndarray | None = None):
        super().__init__(env_id, seed)
        rng = np.random.default_rng(seed)
        masks = glyph_masks()
        if templates is None:
            templates = np.stack(
                [masks[c] if c in masks else np.zeros((GLYPH_HEIGHT, GLYPH_WIDTH), bool) for c in CHARACTERS]
            )
        self.templates = templates.astype(np.float32)  # (C, h, w)
        self.readout = rng.normal(size=(self.n_actions, SLOTS * len(CHARACTERS))).astype(np.float32)

    def randomized(self, seed: int = 1) -> PlantedHudNet:
        rng = np.random.default_rng(seed + 7919)
        templates = rng.random((len(CHARACTERS), GLYPH_HEIGHT, GLYPH_WIDTH)) < 0.5
        return PlantedHudNet(self.env_id, seed + 7919, templates=templates)

    def evaluate(self, histories: np.ndarray) -> PolicyOutput:
        frames = np.asarray(histories)[:, -1]
        # Layer 1 (1x1 conv + threshold): is a pixel bright ink?
        ink = (frames.min(axis=-1) > 200).astype(np.float32)
        # Layer 2 (template conv at the slot stride): agreement of each slot with each glyph.
        slots = np.stack(
            [
                ink[:, SLOT_Y0 : SLOT_Y0 + GLYPH_HEIGHT, x : x + GLYPH_WIDTH]
                for x in SLOT_X0 + ADVANCE * np.arange(SLOTS)
            ],
            axis=1,
        )  # (B, S, h, w)
        agreement = 1.0 - np.abs(slots[:, :, None] - self.templates[None, None]).mean(axis=(-2, -1))
        probs = _softmax(SHARPNESS * agreement)  # (B, S, C)
        slot_features = probs.reshape(len(frames), -1)
        value = np.array([_spell(row) for row in probs.argmax(-1)], np.float64)
        logits = 3.0 * slot_features @ self.readout.T
        # The penultimate layer: the slot read-outs and the unit that spells the number.
        features = np.column_stack([slot_features, value])
        return PolicyOutput(action_probs=_softmax(logits), value=value, features=features.astype(np.float64))


def _spell(indices: np.ndarray) -> float:
    """The number the slot read-outs spell, up to the first empty slot (0 if none)."""
    text = ""
    for index in indices:
        char = CHARACTERS[int(index)]
        if char == " ":
            break
        text += char
    try:
        return float(int(text))
    except ValueError:
        return 0.0


class PlantedGameNet(_PlantedBase):
    """Value and actions computed from the game area only (see the module docstring)."""

    def __init__(self, env_id: str, seed: int = 0, colors: tuple[np.ndarray, np.ndarray] | None = None):
        super().__init__(env_id, seed)
        spec = adapter_for(self.game, "planted game-area network").planted
        if spec is None:
            known = ", ".join(sorted(game for game, adapter in ADAPTERS.items() if adapter.planted is not None))
            raise ValueError(
                f"no planted-network spec for {self.game} in scoregames/diagnostics/adapters.py; games with one: {known}"
            )
        self.spec: PlantedSpec = spec
        if colors is None:
            colors = (PALETTE[spec.avatar_color], PALETTE[spec.target_color])
        self.colors = (_code(colors[0]), _code(colors[1]))
        self.palette = np.array([_code(c) for c in PALETTE.values()])

    def randomized(self, seed: int = 1) -> PlantedGameNet:
        rng = np.random.default_rng(seed + 104729)
        colors = (rng.integers(0, 256, 3), rng.integers(0, 256, 3))
        return PlantedGameNet(self.env_id, seed + 104729, colors=colors)

    def _locate(self, codes: np.ndarray, color: int, rows: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Colour-detector unit (1x1 conv, threshold) then a coordinate read-out along the axis."""
        hits = (codes[:, rows[0] : rows[1]] == color).astype(np.float64)  # (B, h, W)
        mass = hits.sum(axis=(1, 2))
        if self.spec.axis == 0:
            coords = np.arange(hits.shape[2], dtype=np.float64)
            position = (hits.sum(axis=1) * coords).sum(1) / np.maximum(mass, 1)
        else:
            coords = np.arange(rows[0], rows[0] + hits.shape[1], dtype=np.float64)
            position = (hits.sum(axis=2) * coords).sum(1) / np.maximum(mass, 1)
        return position, (mass > 0).astype(np.float64)

    def evaluate(self, histories: np.ndarray) -> PolicyOutput:
        frames = np.asarray(histories)[:, -1]
        codes = _codes(frames)
        spec = self.spec
        avatar, avatar_seen = self._locate(codes, self.colors[0], spec.avatar_rows)
        target, target_seen = self._locate(codes, self.colors[1], spec.target_rows)
        diff = (target - avatar) * avatar_seen * target_seen
        # Colour census of the game area (rows below the HUD band): e.g. bricks left in Breakout.
        area = codes[:, 12::2, ::2]
        census = (area[..., None] == self.palette).mean(axis=(1, 2))
        features = np.column_stack([avatar / 128, target / 128, target_seen, diff / 128, census])
        logits = np.full((len(frames), self.n_actions), -10.0)
        logits[:, spec.plus_action] = 0.5 * (diff - 5)
        logits[:, spec.minus_action] = 0.5 * (-diff - 5)
        logits[:, spec.idle_action] = 0.0
        return PolicyOutput(action_probs=_softmax(logits), value=-np.abs(diff) / 64, features=features)


def _code(color: Any) -> int:
    """One int per RGB colour, so a colour detector is one comparison per pixel."""
    r, g, b = (int(v) for v in color)
    return (r << 16) | (g << 8) | b


def _codes(frames: np.ndarray) -> np.ndarray:
    frames = frames.astype(np.int32)
    return (frames[..., 0] << 16) | (frames[..., 1] << 8) | frames[..., 2]


__all__ = ["PlantedGameNet", "PlantedHudNet"]
