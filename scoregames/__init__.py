"""scoregames: Atari-style games whose on-screen score is an independent, controllable variable.

Importing the package registers ``ScoreGames/<Game>-vN`` for every game and version.
"""

from scoregames.env import ScoreGamesEnv
from scoregames.games import GAMES
from scoregames.hud import PRESETS, HudConfig
from scoregames.registration import ENV_IDS, env_id

__version__ = "0.1.0"

__all__ = ["ENV_IDS", "GAMES", "PRESETS", "HudConfig", "ScoreGamesEnv", "__version__", "env_id"]
