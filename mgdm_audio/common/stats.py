"""Statistics shared by the audio and image score tables."""

#: Normal quantile of a two-sided 95% confidence interval.
Z95 = 1.96
