"""Forward operators A: y = A(x) (see :class:`Operator` and :class:`LinearOperator`)."""
from .base import LinearOperator, Operator
from .linear import Linear

__all__ = ["Operator", "LinearOperator", "Linear"]
