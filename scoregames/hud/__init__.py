"""The HUD layer: what score is shown, where, and how it is drawn. Knows no game."""

from scoregames.hud.config import PRESET_DESCRIPTIONS, PRESETS, SPOOFS, HudConfig, resolve_hud
from scoregames.hud.display import HudDisplay

__all__ = ["PRESETS", "PRESET_DESCRIPTIONS", "SPOOFS", "HudConfig", "HudDisplay", "resolve_hud"]
