"""Human play: a pygame-ce window showing the agent's exact frame, scaled with sharp pixels.

pygame is imported lazily, so the rest of the package runs without it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

PLAY_EXTRA_HINT = "human play needs pygame-ce: pip install 'scoregames[play]'"


def import_pygame() -> Any:
    """Import pygame-ce, or fail with a message naming the extra to install."""
    try:
        import pygame
    except ImportError as error:
        raise ImportError(PLAY_EXTRA_HINT) from error
    return pygame


class GameWindow:
    """A window that shows frames scaled up by ``zoom`` (nearest-neighbour)."""

    def __init__(self, title: str = "scoregames", zoom: int = 4, fps: int = 15, panel_width: int = 0):
        self.pygame = import_pygame()
        self.zoom = zoom
        self.fps = fps
        self.panel_width = panel_width
        self.title = title
        self.screen: Any = None
        self.clock = self.pygame.time.Clock()
        self.closed = False

    def _open(self, frame: np.ndarray) -> None:
        pygame = self.pygame
        pygame.display.init()
        height, width = frame.shape[:2]
        self.screen = pygame.display.set_mode((width * self.zoom + self.panel_width, height * self.zoom))
        pygame.display.set_caption(self.title)

    def show(self, frame: np.ndarray) -> None:
        """Draw one frame and keep the window responsive; closing the window marks it closed."""
        pygame = self.pygame
        if self.screen is None:
            self._open(frame)
        for event in pygame.event.get(pygame.QUIT):
            if event.type == pygame.QUIT:
                self.closed = True
        surface = pygame.surfarray.make_surface(np.ascontiguousarray(frame.transpose(1, 0, 2)))
        height, width = frame.shape[:2]
        self.screen.blit(pygame.transform.scale(surface, (width * self.zoom, height * self.zoom)), (0, 0))
        pygame.display.flip()
        self.clock.tick(self.fps)

    def close(self) -> None:
        if self.screen is not None:
            self.pygame.display.quit()
            self.screen = None
