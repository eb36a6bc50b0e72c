"""Image networks written in-project: guided-diffusion's ADM UNet (:mod:`.adm`)."""
