"""Image priors: guided-diffusion's ADM (:mod:`.adm`, :mod:`.adm_checkpoint`) and the diffusers layout, pixel and
latent (:mod:`.diffusers_layout`, :mod:`.diffusers_pixel`, :mod:`.diffusers_latent`)."""
