"""storybot: four answers in, a narrated, illustrated children's picture book out."""

__version__ = "0.1.0"
