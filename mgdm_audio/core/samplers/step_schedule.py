"""Per-step settings written as readable expressions, e.g. ``"20 if k >= K - 30 else 5"``.

``k`` is the outer step (0 at the noisiest step, counting down the grid) and ``K`` the number of
grid points, as in docs/method.md#published-settings. Expressions are parsed once into a restricted syntax tree:
numbers, k and K, arithmetic, comparisons, and/or/not, and ``a if cond else b``; nothing else.
"""

from __future__ import annotations

import ast
import operator

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_COMPARE = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}


class StepSchedule:
    """A number per outer step: a constant, or an expression in k and K."""

    def __init__(self, spec: int | float | str, name: str = "setting"):
        self.spec = spec
        if isinstance(spec, bool) or not isinstance(spec, (int, float, str)):
            raise ValueError(f"{name} must be a number or an expression in k and K, got {spec!r}")
        self._tree = None
        if isinstance(spec, str):
            try:
                self._tree = ast.parse(spec, mode="eval").body
                self._evaluate(self._tree, 0, 1)
            except (SyntaxError, ValueError, TypeError, ZeroDivisionError) as error:
                raise ValueError(f"{name}: cannot use expression {spec!r}: {error}") from None

    def __call__(self, k: int, K: int) -> float:
        if self._tree is None:
            return self.spec
        return self._evaluate(self._tree, k, K)

    def __repr__(self) -> str:
        return repr(self.spec)

    def _evaluate(self, node: ast.AST, k: int, K: int):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Name) and node.id in ("k", "K"):
            return k if node.id == "k" else K
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](self._evaluate(node.left, k, K), self._evaluate(node.right, k, K))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](self._evaluate(node.operand, k, K))
        if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
            left = self._evaluate(node.left, k, K)
            for op, comparator in zip(node.ops, node.comparators):
                right = self._evaluate(comparator, k, K)
                if not _COMPARE[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.BoolOp):
            values = (self._evaluate(value, k, K) for value in node.values)
            return all(values) if isinstance(node.op, ast.And) else any(values)
        if isinstance(node, ast.IfExp):
            branch = node.body if self._evaluate(node.test, k, K) else node.orelse
            return self._evaluate(branch, k, K)
        raise ValueError(
            f"unsupported syntax {ast.unparse(node)!r} (allowed: numbers, k, K, arithmetic, "
            "comparisons, and/or/not, 'a if cond else b')"
        )
