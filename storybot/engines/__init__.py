"""Engines: the heavy lifting (images, speech, transcription) behind small classes."""
