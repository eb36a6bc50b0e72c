"""varied4: a four-stem corpus (bass, drums, guitar, piano) of many sounds and real compositions.

Modules: ``sounds`` (sound sets, drum kits, which split uses which), ``drumkit`` (recorded Hydrogen
kits played from MIDI notes), ``compositions`` (music21 works arranged for the four stems),
``effects`` (per-stem processing), ``build`` (one track: arrangement, sounds, detuning, effects).
Seeding, resume, mixing and data directories are synth4's.
"""
