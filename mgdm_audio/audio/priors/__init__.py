"""Music priors: multi-source waveform priors (:mod:`.music`), MSDM / ISDM checkpoint conversion (:mod:`.msdm`,
:mod:`.isdm`)."""
