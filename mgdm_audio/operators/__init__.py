"""Forward operators A: y = A(x) (see :class:`Operator` and :class:`LinearOperator`)."""
from . import image
from .base import LinearOperator, Operator
from .linear import Linear
from .mixing import Mixing

__all__ = ["Operator", "LinearOperator", "Linear", "Mixing", "image"]
