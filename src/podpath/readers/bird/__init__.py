"""BIRD 2 reader: configuration text -> `BirdConfig`, BIRD filter semantics, speakers."""

from podpath.readers.bird.model import BirdConfig
from podpath.readers.bird.parser import looks_like_bird, parse_bird

__all__ = ["BirdConfig", "looks_like_bird", "parse_bird"]
