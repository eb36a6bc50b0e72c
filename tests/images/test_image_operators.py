"""Every image task of the registry: adjoints, SVDs, shapes, seeding, and each operator against ground truth."""

import io

import numpy as np
import pytest
import scipy.ndimage
import torch
import torch.nn.functional as F
from PIL import Image
from skimage import data

from mgdm_audio.image.operators import JPEG, SIGMA_Y, TASKS, make_task, masks
from mgdm_audio.image.operators.gaussian_blur import gaussian_kernel
from mgdm_audio.image.operators.jpeg import quality_tables
from mgdm_audio.image.operators.motion_blur import motion_kernel
from mgdm_audio.image.operators.padding import ReflectPad2d
from mgdm_audio.operators import LinearOperator

SHAPE = (3, 32, 32)
LINEAR_TASKS = [name for name in TASKS if make_task(name, SHAPE).linear]
NONLINEAR_TASKS = [name for name in TASKS if name not in LINEAR_TASKS]
SEEDED_TASKS = ["random_box", "random70", "motion_blur"]


def images(shape, generator, batch=3, dtype=torch.float64):
    return torch.rand(batch, *shape, generator=generator, dtype=dtype) * 2 - 1


def photo(size=64, grey=False):
    """A natural test image [1, C, size, size] in [−1, 1] (scikit-image's astronaut, cropped)."""
    crop = data.astronaut()[120 : 120 + size, 180 : 180 + size]
    if grey:
        crop = crop.mean(2, keepdims=True).round().astype(np.uint8)
    return torch.tensor(crop, dtype=torch.float64).permute(2, 0, 1)[None] / 127.5 - 1


def test_registry_lists_every_task_with_its_noise_level():
    assert set(TASKS) == {
        "sr4",
        "sr16",
        "sr4_bicubic",
        "box",
        "random_box",
        "half",
        "random70",
        "gaussian_blur",
        "motion_blur",
        "jpeg",
        "phase_retrieval",
        "hdr",
        "denoise",
    }
    assert SIGMA_Y == {name: 0.05 for name in TASKS}
    assert set(NONLINEAR_TASKS) == {"jpeg", "phase_retrieval", "hdr"}
    with pytest.raises(ValueError, match="unknown image task 'sr8'; known: sr4, sr16"):
        make_task("sr8", SHAPE)


@pytest.mark.parametrize("shape", [SHAPE, (2, 16, 48)])
@pytest.mark.parametrize("name", LINEAR_TASKS)
def test_adjoint_identity(name, shape, generator):
    operator = make_task(name, shape, seed=3)
    x = images(shape, generator)
    y = torch.randn(operator(x).shape, generator=generator, dtype=torch.float64)
    lhs = (operator(x) * y).flatten(1).sum(1)
    rhs = (x * operator.adjoint(y)).flatten(1).sum(1)
    assert torch.allclose(lhs, rhs, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", LINEAR_TASKS)
def test_svd_identities(name, generator):
    shape = (2, 16, 16)
    operator = make_task(name, shape, seed=1)
    try:
        U, S, V = operator.svd()
    except NotImplementedError:
        assert name in ("gaussian_blur", "motion_blur")  # reflect padding: no closed-form SVD
        return
    x = images(shape, generator)
    assert torch.allclose((x.flatten(1) @ V) * S @ U.T, operator(x).flatten(1), atol=1e-12)
    eye = torch.eye(len(S), dtype=torch.float64)
    assert torch.allclose(U.T @ U, eye, atol=1e-12) and torch.allclose(V.T @ V, eye, atol=1e-12)
    assert (S >= 0).all() and (S[:-1] >= S[1:]).all()


def test_dense_svd_refuses_large_images():
    with pytest.raises(ValueError, match="small images only"):
        make_task("denoise", (3, 256, 256)).svd()


@pytest.mark.parametrize(
    "name, out_shape",
    [
        ("sr4", (3, 8, 8)),
        ("sr16", (3, 2, 2)),
        ("sr4_bicubic", (3, 8, 8)),
        ("box", SHAPE),
        ("random_box", SHAPE),
        ("half", SHAPE),
        ("random70", SHAPE),
        ("gaussian_blur", SHAPE),
        ("motion_blur", SHAPE),
        ("jpeg", SHAPE),
        ("phase_retrieval", (3, 48, 48)),
        ("hdr", SHAPE),
        ("denoise", SHAPE),
    ],
)
def test_output_shapes_dtypes_and_input_checks(name, out_shape, generator):
    operator = make_task(name, SHAPE)
    x = images(SHAPE, generator, batch=2, dtype=torch.float32)
    y = operator(x)
    assert y.shape == (2, *out_shape) and y.dtype == torch.float32
    with pytest.raises(ValueError, match=r"expects images \[B, 3, 32, 32\]"):
        operator(torch.zeros(2, 3, 32, 16))


@pytest.mark.parametrize(
    "name, shape",
    [
        ("sr4", (3, 30, 32)),
        ("sr16", (3, 32, 40)),
        ("sr4_bicubic", (1, 10, 12)),
        ("jpeg", (3, 32, 36)),
        ("jpeg", (4, 32, 32)),
    ],
)
def test_unsupported_shapes_raise(name, shape):
    with pytest.raises(ValueError, match="divisible|channels"):
        make_task(name, shape)


@pytest.mark.parametrize("name", TASKS)
def test_seeding(name, generator):
    x = images(SHAPE, generator)
    same = torch.equal(make_task(name, SHAPE, seed=5)(x), make_task(name, SHAPE, seed=5)(x))
    other = torch.equal(make_task(name, SHAPE, seed=5)(x), make_task(name, SHAPE, seed=6)(x))
    assert same and other == (name not in SEEDED_TASKS)


def test_mask_geometry_at_256():
    missing_rows, missing_cols = torch.nonzero(~masks.center_box(256, 256), as_tuple=True)
    assert (
        (int(missing_rows.min()), int(missing_rows.max()))
        == (50, 199)
        == (int(missing_cols.min()), int(missing_cols.max()))
    )
    assert int((~masks.center_box(256, 256)).sum()) == 150 * 150
    half = masks.right_half(256, 256)
    assert half[:, :128].all() and not half[:, 128:].any()
    hole = torch.nonzero(~masks.random_box(256, 256, seed=4))
    assert len(hole) == 128 * 128 and tuple(hole.max(0).values - hole.min(0).values) == (127, 127)
    assert int((~masks.random_pixels(256, 256, 0.7, seed=4)).sum()) == round(0.7 * 256 * 256)


def test_the_random_box_reaches_every_position_inside_the_image_and_no_other():
    """At 16 × 16 the hole is 8 × 8 (128 / 256 scaled); its top-left corner takes every value 0 … 8 on both axes,
    edges included, over seeds, and the hole never leaves the image."""
    corners = set()
    for seed in range(400):
        hole = torch.nonzero(~masks.random_box(16, 16, seed=seed))
        assert len(hole) == 64 and tuple(hole.max(0).values - hole.min(0).values) == (7, 7)
        corners.add(tuple(hole.min(0).values.tolist()))
    assert {top for top, _ in corners} == set(range(9)) == {left for _, left in corners}


def test_masks_scale_and_are_shared_by_channels(generator):
    assert torch.equal(torch.nonzero(~masks.center_box(32, 32)).unique(), torch.arange(6, 25))
    operator = make_task("random70", SHAPE, seed=2)
    y = operator(torch.ones(1, *SHAPE, dtype=torch.float64))[0]
    assert torch.equal(y[0], y[1]) and torch.equal(y[0], y[2])
    assert float(y[0].mean()) == pytest.approx(round(0.3 * 32 * 32) / (32 * 32))


@pytest.mark.parametrize("name, factor", [("sr4", 4), ("sr16", 16)])
def test_block_average_is_average_pooling(name, factor, generator):
    x = images((3, 32, 48), generator)
    operator = make_task(name, (3, 32, 48))
    assert torch.allclose(operator(x), F.avg_pool2d(x, factor), atol=1e-14)
    _, S, _ = make_task(name, (1, 16, 16)).svd()
    assert torch.allclose(S, torch.full_like(S, 1 / factor))


def test_bicubic_keeps_constants_and_matches_pillow_inside_the_border(generator):
    operator = make_task("sr4_bicubic", (1, 64, 48))
    constant = torch.full((1, 1, 64, 48), 0.37, dtype=torch.float64)
    assert torch.allclose(operator(constant), torch.full((1, 1, 16, 12), 0.37, dtype=torch.float64), atol=1e-14)
    # Pillow's antialiased bicubic (a = −0.5, same pixel centres) equals MATLAB's away from the
    # borders, where Pillow truncates the kernel and MATLAB mirrors the image.
    x = torch.rand(64, 48, generator=generator, dtype=torch.float64)
    pillow = np.asarray(Image.fromarray(x.numpy().astype(np.float32), mode="F").resize((12, 16), Image.BICUBIC))
    ours = operator(x[None, None])[0, 0].numpy()
    assert np.abs(ours - pillow)[2:-2, 2:-2].max() < 1e-6


def test_reflect_padding_matches_torch(generator):
    x = torch.randn(2, 3, 10, 12, generator=generator, dtype=torch.float64)
    assert torch.equal(ReflectPad2d(10, 12, 4, 5)(x), F.pad(x, (5, 5, 4, 4), mode="reflect"))


@pytest.mark.parametrize("name", ["gaussian_blur", "motion_blur"])
def test_blur_is_convolution_with_mirrored_borders(name, generator):
    shape = (2, 64, 40)
    operator = make_task(name, shape, seed=7)
    kernel = operator.kernel.numpy()
    x = images(shape, generator, batch=1)
    expected = np.stack([scipy.ndimage.convolve(channel, kernel, mode="mirror") for channel in x[0].numpy()])
    assert np.allclose(operator(x)[0].numpy(), expected, atol=1e-12)
    constant = torch.full((1, *shape), -0.3, dtype=torch.float64)
    assert torch.allclose(operator(constant), constant, atol=1e-12)


def test_blur_kernels_at_256():
    gaussian = make_task("gaussian_blur", (3, 256, 256)).kernel
    assert gaussian.shape == (61, 61) and torch.allclose(gaussian, gaussian_kernel(61, 3.0))
    profile = gaussian[30] / gaussian[30, 30]
    assert float(profile[33]) == pytest.approx(np.exp(-0.5 * 9 / 9.0))  # 3 pixels = one σ
    assert make_task("motion_blur", (3, 256, 256), seed=1).kernel.shape == (61, 61)


def test_motion_kernels_are_seeded_centred_blurs():
    kernel = motion_kernel(61, 0.5, seed=3)
    assert torch.equal(kernel, motion_kernel(61, 0.5, seed=3)) and not torch.equal(kernel, motion_kernel(61, 0.5, 4))
    assert (kernel >= 0).all() and float(kernel.sum()) == pytest.approx(1.0)
    coordinates = torch.arange(61, dtype=torch.float64)
    centroid = torch.stack([(kernel.sum(1) * coordinates).sum(), (kernel.sum(0) * coordinates).sum()])
    assert torch.allclose(centroid, torch.full((2,), 30.0, dtype=torch.float64), atol=1.0)
    assert int((kernel > 1e-3).sum()) > 20  # a streak, not a point
    delta = motion_kernel(61, 0.0, seed=3)
    assert float(delta[30, 30]) == pytest.approx(1.0)


def test_jpeg_quality_tables_follow_libjpeg():
    tables = quality_tables(50)
    assert tables[0, 0, :4].tolist() == [16, 11, 10, 16] and tables[1, 7, 7] == 99
    assert (quality_tables(100) == 1).all() and quality_tables(2).max() == 255
    assert quality_tables(2)[0, 0, 0] == 255  # 16 · 2500 % → clamped to baseline's 255


def test_jpeg_at_quality_100_is_near_identity():
    x = photo()
    for operator in (JPEG((3, 64, 64), quality=100), JPEG((3, 64, 64), quality=100, rounding="cubic")):
        mse = float((operator(x) - x).pow(2).mean()) / 4  # on the [0, 1] scale
        assert 10 * np.log10(1 / mse) > 45


@pytest.mark.parametrize("quality", [2, 50])
def test_jpeg_exact_path_matches_pillow(quality):
    """Pillow's libjpeg (integer DCTs, 4:4:4) against our float codec: equal but for rare rounding ties."""
    for grey in (True, False):
        x = photo(grey=grey)
        pixels = ((x[0].permute(1, 2, 0) + 1) * 127.5).round().numpy().astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels.squeeze(2) if grey else pixels).save(buffer, "JPEG", quality=quality, subsampling=0)
        decoded = np.asarray(Image.open(buffer)).astype(np.float64).reshape(pixels.shape)
        ours = ((JPEG(x.shape[1:], quality=quality).exact(x)[0].permute(1, 2, 0) + 1) * 127.5).numpy()
        assert np.abs(ours - decoded).mean() < 0.3
        assert np.abs(ours - pixels).mean() > 1.0  # the codec really is lossy here


def test_jpeg_surrogates_are_differentiable():
    x = photo().requires_grad_(True)
    exact = JPEG((3, 64, 64), quality=10).exact(x)
    through = JPEG((3, 64, 64), quality=10)(x)
    assert torch.allclose(through, exact, atol=1e-12)
    cubic = JPEG((3, 64, 64), quality=10, rounding="cubic")(x)
    assert 0 < float((cubic - exact).detach().abs().mean()) < 0.02
    for y in (through, cubic):
        (gradient,) = torch.autograd.grad(y.sum(), x)
        assert gradient.abs().sum() > 0 and torch.isfinite(gradient).all()


def test_phase_retrieval_is_padded_fourier_magnitude(generator):
    operator = make_task("phase_retrieval", SHAPE)
    x = images(SHAPE, generator)
    y = operator(x)
    expected = np.abs(np.fft.fft2(np.pad(x.numpy(), ((0, 0), (0, 0), (8, 8), (8, 8))))) / 48
    assert np.allclose(y.numpy(), expected, atol=1e-12)
    assert torch.allclose(y.flatten(1).norm(dim=1), x.flatten(1).norm(dim=1))  # Parseval
    assert torch.allclose(operator(-x), y, atol=1e-12)
    assert torch.allclose(operator(x.flip(-1, -2)), y, atol=1e-12)
    assert make_task("phase_retrieval", (1, 256, 256))(torch.zeros(1, 1, 256, 256)).shape == (1, 1, 384, 384)


def test_hdr_clips_twice_the_image(generator):
    x = images(SHAPE, generator)
    assert torch.equal(make_task("hdr", SHAPE)(x), torch.clamp(2 * x, -1, 1))


def test_operators_follow_the_module_to_another_dtype(generator):
    operator = make_task("gaussian_blur", SHAPE).to(torch.float32)
    x = images(SHAPE, generator, dtype=torch.float32)
    assert isinstance(operator, LinearOperator) and operator.adjoint(operator(x)).dtype == torch.float32
