"""The hook contract as documentation: each spec typed, its parameters, return and firstresult stated,
and its example an implementation with exactly the spec's arguments (as Datasette's tests/test_docs.py)."""
import ast
import inspect
import textwrap

import pytest

from core import hookspecs

SPECS = [f for _, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, "gentou_spec")]


def _example(doc: str) -> ast.FunctionDef:
    code = textwrap.dedent(doc.split("Example::", 1)[1])
    return next(node for node in ast.walk(ast.parse(code)) if isinstance(node, ast.FunctionDef))


def test_there_are_specs():
    assert len(SPECS) >= 13


@pytest.mark.parametrize("spec", SPECS, ids=lambda f: f.__name__)
def test_each_spec_is_typed_and_states_its_parameters_return_and_firstresult(spec):
    signature = inspect.signature(spec)
    doc = inspect.getdoc(spec)
    assert signature.return_annotation is not inspect.Signature.empty, f"{spec.__name__}: no return type"
    for name, parameter in signature.parameters.items():
        assert parameter.annotation is not inspect.Parameter.empty, f"{spec.__name__}({name}): no type"
        assert f":param {name}:" in doc, f"{spec.__name__}: parameter {name} not described"
    assert ":returns:" in doc
    firstresult = spec.gentou_spec["firstresult"]
    assert f":firstresult: {'yes' if firstresult else 'no'}." in doc, f"{spec.__name__}: firstresult not stated"


@pytest.mark.parametrize("spec", SPECS, ids=lambda f: f.__name__)
def test_each_example_implements_the_spec_with_exactly_its_arguments(spec):
    example = _example(inspect.getdoc(spec))
    assert example.name == spec.__name__
    assert [a.arg for a in example.args.args] == list(inspect.signature(spec).parameters)
    assert any(isinstance(d, ast.Name) and d.id == "hookimpl" for d in example.decorator_list)
