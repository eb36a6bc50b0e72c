"""Corpora: generators and Kaldi-style data directories of audio for separation recipes."""
