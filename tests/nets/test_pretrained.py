"""save_pretrained / from_pretrained: round trips, atomic files, one-line errors naming the file."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from mgdm_audio.audio.nets import UNet1d, from_pretrained, register_net, save_pretrained
from mgdm_audio.core.pretrained import CONFIG_FILE, WEIGHTS_FILE, registered_nets

TINY = dict(
    in_channels=2,
    channels=8,
    patch_factor=2,
    patch_blocks=1,
    resnet_groups=2,
    kernel_multiplier_downsample=2,
    multipliers=[1, 2, 2],
    factors=[2, 2],
    num_blocks=[1, 1],
    attentions=[False, True],
    attention_heads=2,
    attention_features=4,
    attention_multiplier=2,
)


@pytest.fixture(autouse=True, scope="module")
def _single_thread():
    """Tiny tensors: extra threads only add synchronisation, which stalls on a busy 2-core machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@register_net
class TinyMLP(nn.Module):
    """A non-audio net: the registry is generic."""

    def __init__(self, width: int):
        super().__init__()
        self.width = width
        self.layer = nn.Linear(width, width)

    @property
    def config(self) -> dict:
        return {"width": self.width}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer(x)


def _saved_unet(directory):
    torch.manual_seed(0)
    net = UNet1d(**TINY).eval()
    save_pretrained(net, directory)
    return net


def test_unet_round_trip_is_exact(tmp_path):
    net = _saved_unet(tmp_path / "unet")
    loaded = from_pretrained(tmp_path / "unet")
    assert isinstance(loaded, UNet1d) and not loaded.training
    assert loaded.config == net.config
    x, time = torch.randn(2, 2, 16), torch.tensor([0.1, -0.4])
    with torch.no_grad():
        assert torch.equal(loaded(x, time), net(x, time))
    document = json.loads((tmp_path / "unet" / CONFIG_FILE).read_text())
    assert document["class_name"] == "UNet1d" and document["config"] == net.config


def test_generic_registered_class_round_trip(tmp_path):
    net = TinyMLP(3)
    loaded = from_pretrained(save_pretrained(net, tmp_path / "mlp"))
    assert isinstance(loaded, TinyMLP)
    assert torch.equal(loaded.layer.weight, net.layer.weight)
    assert registered_nets()["TinyMLP"] is TinyMLP


def test_save_overwrites_and_leaves_no_temporary_files(tmp_path):
    _saved_unet(tmp_path)
    save_pretrained(TinyMLP(2), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [CONFIG_FILE, WEIGHTS_FILE]
    assert isinstance(from_pretrained(tmp_path), TinyMLP)


def test_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=rf"{CONFIG_FILE}: network config not found"):
        from_pretrained(tmp_path)
    _saved_unet(tmp_path)
    (tmp_path / WEIGHTS_FILE).unlink()
    with pytest.raises(FileNotFoundError, match=rf"{WEIGHTS_FILE}: network weights not found"):
        from_pretrained(tmp_path)


def test_mismatched_weights_are_named(tmp_path):
    _saved_unet(tmp_path)
    document = json.loads((tmp_path / CONFIG_FILE).read_text())
    document["config"]["channels"] = 16  # shapes change
    (tmp_path / CONFIG_FILE).write_text(json.dumps(document))
    with pytest.raises(ValueError, match=rf"{WEIGHTS_FILE}: weights do not fit UNet1d") as error:
        from_pretrained(tmp_path)
    assert "\n" not in str(error.value)
    document["config"] = dict(TINY, attentions=[False, False])  # keys change
    (tmp_path / CONFIG_FILE).write_text(json.dumps(document))
    with pytest.raises(ValueError, match=r"weights do not fit UNet1d.*unexpected"):
        from_pretrained(tmp_path)


def test_bad_configs_are_named(tmp_path):
    _saved_unet(tmp_path)
    path = tmp_path / CONFIG_FILE
    document = json.loads(path.read_text())
    cases = [
        ("{not json", "not valid JSON"),
        (json.dumps(dict(document, format="other")), "not an mgdm_audio network config"),
        (json.dumps(dict(document, version=99)), "version 99 unsupported"),
        (json.dumps(dict(document, class_name="Nope")), "unknown network class 'Nope'"),
        (json.dumps(dict(document, config=dict(document["config"], bogus=1))), "cannot build UNet1d"),
    ]
    for text, message in cases:
        path.write_text(text)
        with pytest.raises(ValueError, match=message) as error:
            from_pretrained(tmp_path)
        assert str(path) in str(error.value)


def test_unregistered_or_configless_classes_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not registered"):
        save_pretrained(nn.Linear(2, 2), tmp_path)

    @register_net
    class NoConfig(nn.Module):
        pass

    with pytest.raises(ValueError, match="no `config`"):
        save_pretrained(NoConfig(), tmp_path)
    with pytest.raises(ValueError, match="already registered"):
        register_net(type("TinyMLP", (nn.Module,), {}))
