"""Training multi-source waveform priors on Kaldi data directories (``mgdm train-prior``)."""

from .architecture import unet_config
from .data import StemChunks
from .settings import TrainSettings
from .trainer import TrainingResult, train_prior

__all__ = ["StemChunks", "TrainSettings", "TrainingResult", "train_prior", "unet_config"]
