"""Forward operators A: y = A(x) (see :class:`Operator` and :class:`LinearOperator`): the core's, and the plug-ins'
(``Mixing``, the ``image`` operators) on first use."""

from .._lazy import lazy_attributes
from ..core.operators import Linear, LinearOperator, Operator

__getattr__, __dir__ = lazy_attributes(
    __name__,
    globals(),
    {
        "Mixing": "mgdm_audio.audio.mixing:Mixing",
        "image": "mgdm_audio.image.operators",
    },
)

__all__ = ["Operator", "LinearOperator", "Linear", "Mixing", "image"]
