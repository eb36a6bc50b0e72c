"""Image restoration with image priors: file input/output, batched posterior sampling per task,
evaluation (PSNR / SSIM) and the small image prior the recipes train."""
