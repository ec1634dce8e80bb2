"""Which operators TensorFlow Lite Micro can run."""

from __future__ import annotations

from ai_edge_litert import schema_py_generated as schema

from harken.profile.counting import Operator
from harken.profile.support import TFLM_BUILTIN_OPS, unsupported_operators


def op(index: int, name: str) -> Operator:
    return Operator(index=index, op=name, inputs=(), outputs=(), activation=None, macs=0, ops=0)


def test_every_listed_op_is_a_builtin_operator_of_the_schema():
    builtins = {name.lower() for name in vars(schema.BuiltinOperator) if not name.startswith("_")}
    assert TFLM_BUILTIN_OPS <= builtins and len(TFLM_BUILTIN_OPS) == 100


def test_ops_outside_the_resolver_and_custom_ops_are_unsupported():
    operators = [op(0, "conv_2d"), op(1, "unique"), op(2, "MyCustomOp"), op(3, "softmax")]
    assert [o.index for o in unsupported_operators(operators)] == [1, 2]
