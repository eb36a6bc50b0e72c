"""The image tests' shared fixture: a tiny random pixel prior in the diffusers layout."""

import pytest
import torch


@pytest.fixture(scope="module")
def prior_dir(tmp_path_factory):
    """A random 1 x 16 x 16 pixel prior in the diffusers pipeline layout. Sample prediction keeps a random
    network's clean estimates near [−1, 1] (an ε-prediction one's are far outside, so saved images saturate)."""
    from diffusers import DDPMPipeline, DDPMScheduler, UNet2DModel

    torch.manual_seed(0)
    unet = UNet2DModel(
        sample_size=16,
        in_channels=1,
        out_channels=1,
        block_out_channels=(8, 16),
        layers_per_block=1,
        norm_num_groups=4,
        down_block_types=("DownBlock2D",) * 2,
        up_block_types=("UpBlock2D",) * 2,
    )
    folder = tmp_path_factory.mktemp("prior") / "tiny_faces"
    DDPMPipeline(unet=unet, scheduler=DDPMScheduler(clip_sample=False, prediction_type="sample")).save_pretrained(
        folder
    )
    return folder
