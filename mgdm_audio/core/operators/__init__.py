"""The forward-operator contract y = A(x) (:class:`Operator`, :class:`LinearOperator`) and a dense linear one."""

from .base import LinearOperator, Operator
from .linear import Linear

__all__ = ["Operator", "LinearOperator", "Linear"]
