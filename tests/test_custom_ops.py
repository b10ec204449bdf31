"""course_utils.custom_ops: the NumPy ops pass opcheck, equal sign_parabola and compile whole."""
from __future__ import annotations

import doctest

import pytest
import torch

from course_utils import custom_ops
from course_utils.binarize import sign_parabola
from course_utils.custom_ops import parabola_sign, parabola_sign_backward, sign_


def _x(dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.tensor([-2.0, -1.0, -0.6, -0.0, 0.0, 0.25, 0.99, 1.0, 3.0], dtype=dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_equals_sign_parabola_in_value_and_gradient(dtype: torch.dtype) -> None:
    a, b = _x(dtype).requires_grad_(True), _x(dtype).requires_grad_(True)
    ours, theirs = parabola_sign(a), sign_parabola(b)
    assert ours.dtype == dtype
    assert torch.equal(ours, theirs)
    w = torch.linspace(-1, 2, 9, dtype=dtype)
    (ours * w).sum().backward()
    (theirs * w).sum().backward()
    torch.testing.assert_close(a.grad, b.grad)


def test_nan_is_kept() -> None:
    assert torch.isnan(parabola_sign(torch.tensor([float("nan")]))).all()


def test_opcheck_every_op() -> None:
    x = torch.randn(3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    ok = dict.fromkeys(("test_schema", "test_autograd_registration", "test_faketensor",
                        "test_aot_dispatch_dynamic"), "SUCCESS")
    assert torch.library.opcheck(parabola_sign, (x.clone().requires_grad_(True),)) == ok
    assert torch.library.opcheck(parabola_sign_backward, (x.clone(), x.clone())) == ok
    assert torch.library.opcheck(sign_, (x.clone(),)) == ok


def test_sign_inplace_mutates_its_input() -> None:
    x = _x()
    version = x._version
    assert sign_(x) is None
    assert x._version > version and torch.equal(x, sign_parabola(_x()))


def test_compiles_without_graph_break() -> None:
    import torch._dynamo

    def f(t: torch.Tensor) -> torch.Tensor:
        return (parabola_sign(2 * t) * t).sum()

    torch._dynamo.reset()
    assert torch._dynamo.explain(f)(_x()).graph_break_count == 0
    a, b = _x().requires_grad_(True), _x().requires_grad_(True)
    torch.compile(f, backend="aot_eager", fullgraph=True)(a).backward()
    f(b).backward()
    torch.testing.assert_close(a.grad, b.grad)


def test_doctests() -> None:
    assert doctest.testmod(custom_ops).failed == 0
