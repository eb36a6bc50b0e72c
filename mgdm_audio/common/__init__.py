"""What every part shares that is not sampling: atomic writes, streamed checksums, device choice."""
