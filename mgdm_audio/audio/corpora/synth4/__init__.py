"""synth4: an offline, Slakh2100-like four-stem corpus (bass, drums, guitar, piano).

Modules, from music to files: ``harmony`` (keys, chords), ``song`` (tempo, sections, chord
timeline), ``drums`` / ``bass`` / ``piano`` / ``guitar`` (part writers), ``arrangement``
(a whole song: instruments and who plays when), ``midi`` (Standard MIDI File writer),
``render`` (FluidSynth), ``mixing`` (levels, mixture, no clipping), ``wav`` (reproducible
WAV files), ``build`` (splits, seeding, resume, data directories).
"""
