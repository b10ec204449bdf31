"""What the checkers of Part IV and notebooks 08, 11, 12, 13 and 14 tell a learner, and what they feed.

Each test names the plausible checker bug it catches (docs/mutation.md): a failure report that
loses what it should say (which comparison, which input, which type), a comparison that no
longer fails, a tolerance dropped, an extra printed line, points drawn from the global random
state (another run, other points) or made off the course device (``meta`` stands in for a GPU:
a tensor made anywhere else shows).
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import numpy as np
import pytest
import torch
from torch import Tensor

from course_utils import CheckFailed
from course_utils.assignment import format_rows
from course_utils.binarize import sign_ste
from course_utils.channels import EPS, BinaryErasureChannel, gumbel_softmax_errors
from course_utils.exercises import binary_linear as ex_bl
from course_utils.exercises import channels as ex_ch
from course_utils.exercises import fast_channel as ex_fc
from course_utils.exercises import part4 as ex4
from course_utils.exercises import sionna_bmc as ex_sb

META = torch.device("meta")
F64 = torch.float64
_OP_NUMBERS = itertools.count()  # a fresh name for every custom op this module registers


class _Recorded(Exception):
    """Raised by a recording answer once it has seen what it was fed."""


def _same_inputs_under_two_global_seeds(run: Callable[[list[Tensor]], None]) -> None:
    """``run(seen)`` runs a checker with an answer that appends what it is fed to ``seen``."""
    runs: list[list[Tensor]] = []
    with torch.random.fork_rng():
        for seed in (1, 2):
            torch.manual_seed(seed)
            seen: list[Tensor] = []
            run(seen)
            runs.append(seen)
    assert len(runs[0]) == len(runs[1]) > 0
    for a, b in zip(*runs):
        assert torch.equal(a, b), "the checker's points depend on the global random state"


def _only_line(capsys: pytest.CaptureFixture[str]) -> str:
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


# ================================================================= Part IV (notebooks 15-17)


def _tanh_class(jvp: Callable[..., Tensor] | None = None, seen: list[Tensor] | None = None) -> type:
    class Tanh(torch.autograd.Function):
        @staticmethod
        def forward(x: Tensor) -> Tensor:
            return torch.tanh(x)

        @staticmethod
        def setup_context(ctx, inputs, output) -> None:  # noqa: ANN001
            ctx.save_for_backward(output)
            ctx.save_for_forward(output)

        @staticmethod
        def backward(ctx, g: Tensor) -> Tensor:  # noqa: ANN001
            (y,) = ctx.saved_tensors
            return g * (1 - y * y)

        @staticmethod
        def jvp(ctx, t: Tensor) -> Tensor:  # noqa: ANN001
            if seen is not None:
                seen.append(t.detach().clone())
            if jvp is not None:
                return jvp(ctx, t)
            (y,) = ctx.saved_tensors
            return t * (1 - y * y)

    return Tanh


def test_tanh_jvp_reports_a_wrong_primal_output() -> None:
    """A jvp computing 1 - y*y in place on the saved output corrupts the primal: "jvp output" must fail."""
    def in_place(ctx, t: Tensor) -> Tensor:  # noqa: ANN001
        (y,) = ctx.saved_tensors
        y.mul_(y).neg_().add_(1)
        return t * y

    with pytest.raises(CheckFailed) as info:
        ex4.check_tanh_jvp(_tanh_class(in_place).apply)
    assert str(info.value) == ("jvp output: 7 of 7 values differ; max abs difference 1.24 at index [2]: "
                               "yours 0.855639, expected -0.379949 (rtol=1e-05, atol=1e-08)")


def test_tanh_jvp_messages() -> None:
    """The exact reports: no jvp, a tangent wrong for ones (input shown, no 'random' hint), one wrong for random."""
    class NoJvp(torch.autograd.Function):
        @staticmethod
        def forward(x: Tensor) -> Tensor:
            return torch.tanh(x)

        @staticmethod
        def setup_context(ctx, inputs, output) -> None:  # noqa: ANN001
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, g: Tensor) -> Tensor:  # noqa: ANN001
            return g * (1 - ctx.saved_tensors[0] ** 2)

    with pytest.raises(CheckFailed) as info:
        ex4.check_tanh_jvp(NoJvp.apply)
    assert str(info.value) == ("forward mode: the Function has no jvp staticmethod "
                               "(jvp(ctx, x_tangent) returning the output's tangent)")
    with pytest.raises(CheckFailed) as info:
        ex4.check_tanh_jvp(_tanh_class(lambda ctx, t: t).apply)
    assert str(info.value) == ("tangent of the output: 6 of 7 values differ; max abs difference 0.99 at index [0] "
                               "(input -3): yours 1, expected 0.00986604 (rtol=1e-05, atol=1e-08)")
    with pytest.raises(CheckFailed) as info:
        ex4.check_tanh_jvp(_tanh_class(lambda ctx, t: 1 - ctx.saved_tensors[0] ** 2).apply)
    assert str(info.value).endswith(
        "(input 0.3): yours 0.915137, expected -1.80406 (rtol=1e-05, atol=1e-08) -- correct for a tangent "
        "of ones but not for a random one: does jvp multiply by x_tangent?")


def test_tanh_jvp_tangents_do_not_depend_on_the_global_seed(capsys) -> None:
    """The random tangent drawn from the global generator: another run, another tangent."""
    _same_inputs_under_two_global_seeds(lambda seen: ex4.check_tanh_jvp(_tanh_class(seen=seen).apply))
    assert capsys.readouterr().out.count("correct: Tanh") == 2


def test_part4_points_are_float64_on_the_course_device(monkeypatch) -> None:
    """Points made on the default device (or in float32): a learner's GPU answer would fail to run."""
    monkeypatch.setattr(ex4, "device", lambda: META)
    for t in (ex4._points(), ex4._randn(3, 5, seed=161)):
        assert (t.device, t.dtype) == (META, F64)


def _hardtanh_class(backward: Callable[[Tensor, Tensor], Tensor] | None = None) -> type:
    class HardTanhInplace(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x: Tensor) -> Tensor:  # noqa: ANN001
            ctx.save_for_backward((x.abs() < 1).to(x.dtype))
            x.clamp_(-1, 1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g: Tensor) -> Tensor:  # noqa: ANN001
            (keep,) = ctx.saved_tensors
            return g * keep if backward is None else backward(g, keep)

    return HardTanhInplace


def test_hardtanh_inplace_messages() -> None:
    """The exact reports of: a copy returned, an untouched input, a crashing backward, a wrong gradient."""
    with pytest.raises(CheckFailed) as info:
        ex4.check_hardtanh_inplace(lambda x: x.clamp(-1, 1))
    assert str(info.value) == ("the output is not the input tensor itself: an in-place Function modifies x, "
                               "calls ctx.mark_dirty(x) and returns x")
    with pytest.raises(CheckFailed) as info:
        ex4.check_hardtanh_inplace(lambda x: x)
    assert str(info.value) == "x's version counter did not change: x was not modified in place"

    def crash(g: Tensor, keep: Tensor) -> Tensor:
        raise ValueError("shapes do not match")

    with pytest.raises(CheckFailed) as info:
        ex4.check_hardtanh_inplace(_hardtanh_class(crash).apply)
    assert str(info.value) == "backward raised ValueError: shapes do not match"
    with pytest.raises(CheckFailed) as info:
        ex4.check_hardtanh_inplace(_hardtanh_class(lambda g, keep: g).apply)
    assert re.fullmatch(r"grad of x: 3 of 7 values differ; max abs difference \S+ at index \[\d\] \(input -?\d\S*\): "
                        r"yours \S+, expected 0 \(rtol=1e-05, atol=1e-08\)", str(info.value)), str(info.value)


def test_hardtanh_inplace_leaf_messages() -> None:
    """On a leaf: another RuntimeError is reported with its text; no error at all says what to do."""
    right = _hardtanh_class().apply

    def other_error(x: Tensor) -> Tensor:
        if x.is_leaf:
            raise RuntimeError("expected a contiguous tensor\nmore details")
        return right(x)

    with pytest.raises(CheckFailed) as info:
        ex4.check_hardtanh_inplace(other_error)
    assert str(info.value) == ("on a leaf that requires grad: expected autograd's leaf error, got "
                               "RuntimeError: expected a contiguous tensor")

    def sneaky(x: Tensor) -> Tensor:
        if x.is_leaf:
            with torch.no_grad():
                return x.clamp_(-1, 1)
        return right(x)

    with pytest.raises(CheckFailed) as info:
        ex4.check_hardtanh_inplace(sneaky)
    assert str(info.value) == ("a leaf that requires grad was modified in place without an error: "
                               "did forward call ctx.mark_dirty(x)?")


def test_hardtanh_inplace_upstream_does_not_depend_on_the_global_seed(capsys) -> None:
    """The random upstream gradient drawn from the global generator."""
    def run(seen: list[Tensor]) -> None:
        def record(g: Tensor, keep: Tensor) -> Tensor:
            seen.append(g.detach().clone())
            return g * keep

        ex4.check_hardtanh_inplace(_hardtanh_class(record).apply)

    _same_inputs_under_two_global_seeds(run)
    assert capsys.readouterr().out.count("correct: HardTanhInplace") == 2


class _SigmoidBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, g: Tensor, y: Tensor) -> Tensor:  # noqa: ANN001
        ctx.save_for_backward(g, y)
        return g * y * (1 - y)

    @staticmethod
    def backward(ctx, gg: Tensor) -> tuple[Tensor, Tensor]:  # noqa: ANN001
        g, y = ctx.saved_tensors
        return gg * y * (1 - y), gg * g * (1 - 2 * y)


class _Sigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:  # noqa: ANN001
        y = torch.sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g: Tensor) -> Tensor:  # noqa: ANN001
        (y,) = ctx.saved_tensors
        return _SigmoidBackward.apply(g, y)


def test_sigmoid_backward_function_prints_only_its_verdict(capsys) -> None:
    """A comparison made verbose: the learner would see a report line for a passing check."""
    ex4.check_sigmoid_backward_function(_Sigmoid.apply)
    assert _only_line(capsys) == ("correct: Sigmoid matches torch.sigmoid to the second derivative; "
                                  "backward is a Function")


def test_sigmoid_backward_function_messages() -> None:
    """A backward computed without a graph (grad_fn None), and a wrong derivative w.r.t. grad_output."""
    class NoGraph(_Sigmoid):
        @staticmethod
        def backward(ctx, g: Tensor) -> Tensor:  # noqa: ANN001
            (y,) = ctx.saved_tensors
            with torch.no_grad():
                return g * y * (1 - y)

    with pytest.raises(CheckFailed) as info:
        ex4.check_sigmoid_backward_function(NoGraph.apply)
    assert str(info.value) == ("backward is not its own Function: the gradient's grad_fn is None; make backward "
                               "return SigmoidBackward.apply(grad_output, y)")

    class WrongInGradOutput(_SigmoidBackward):
        @staticmethod
        def backward(ctx, gg: Tensor) -> tuple[Tensor, Tensor]:  # noqa: ANN001
            g, y = ctx.saved_tensors
            return gg * y, gg * g * (1 - 2 * y)  # d/d grad_output is y * (1 - y)

    class Sigmoid(_Sigmoid):
        @staticmethod
        def backward(ctx, g: Tensor) -> Tensor:  # noqa: ANN001
            return WrongInGradOutput.apply(g, ctx.saved_tensors[0])

    with pytest.raises(CheckFailed) as info:
        ex4.check_sigmoid_backward_function(Sigmoid.apply)
    assert str(info.value) == ("gradgradcheck failed (GradcheckError: Jacobian mismatch for output 0 with respect "
                               "to input 1,): is SigmoidBackward's derivative with respect to grad_output right?")


def _numpy_tanh_class(vmap: bool = True, forward: Callable[[Tensor], Tensor] | None = None,
                      backward: Callable[[Tensor, Tensor], Tensor] | None = None,
                      seen: list[Tensor] | None = None) -> type:
    class NumpyTanh(torch.autograd.Function):
        @staticmethod
        def forward(x: Tensor) -> Tensor:
            if forward is not None:
                return forward(x)
            return torch.from_numpy(np.tanh(x.detach().cpu().numpy())).to(x.device)

        @staticmethod
        def setup_context(ctx, inputs, output) -> None:  # noqa: ANN001
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, g: Tensor) -> Tensor:  # noqa: ANN001
            (y,) = ctx.saved_tensors
            return g * (1 - y * y) if backward is None else backward(g, y)

    if vmap:
        def rule(info, in_dims, x):  # noqa: ANN001, ANN202
            if seen is not None:
                seen.append(x.detach().clone())
            return NumpyTanh.apply(x), in_dims[0]

        NumpyTanh.vmap = staticmethod(rule)
    return NumpyTanh


def test_numpy_tanh_vmap_prints_only_its_verdict(capsys) -> None:
    ex4.check_numpy_tanh_vmap(_numpy_tanh_class().apply)
    assert _only_line(capsys) == "correct: NumpyTanh works under torch.vmap (in_dims 0 and 1) and vmap(grad)"


def test_numpy_tanh_vmap_refuses_a_missing_vmap_rule() -> None:
    """Neither generate_vmap_rule nor a vmap staticmethod: asked to write one (not a torch.vmap crash)."""
    with pytest.raises(CheckFailed) as info:
        ex4.check_numpy_tanh_vmap(_numpy_tanh_class(vmap=False).apply)
    assert str(info.value) == ("write a vmap staticmethod (and leave generate_vmap_rule False): "
                               "vmap(info, in_dims, x) returning (output, out_dim)")


def test_numpy_tanh_vmap_messages() -> None:
    """Torch in forward (every op named), a plain function, a wrong gradient, a crashing rule or backward."""
    with pytest.raises(CheckFailed) as info:
        ex4.check_numpy_tanh_vmap(_numpy_tanh_class(forward=lambda x: torch.tanh(x) * 1).apply)
    assert str(info.value) == ("forward computes with torch (torch.Tensor.mul, torch.tanh): keep "
                               "the NumPy forward of NumpyTanhBase and add only the vmap rule")
    with pytest.raises(CheckFailed) as info:
        ex4.check_numpy_tanh_vmap(lambda x: x)
    assert str(info.value) == "pass NumpyTanh.apply (the apply of a torch.autograd.Function subclass), got function"
    with pytest.raises(CheckFailed) as info:
        ex4.check_numpy_tanh_vmap(_numpy_tanh_class(backward=lambda g, y: g * (1 - y)).apply)
    assert str(info.value) == ("grad of x: 6 of 7 values differ; max abs difference 1.99 at index [0] (input -3): "
                               "yours 1.99505, expected 0.00986604 (rtol=1e-05, atol=1e-08)")

    def numpy_backward(g: Tensor, y: Tensor) -> Tensor:
        yn = y.detach().cpu().numpy()
        return g * torch.from_numpy(1 - yn * yn).to(g.device)

    with pytest.raises(CheckFailed) as info:
        ex4.check_numpy_tanh_vmap(_numpy_tanh_class(backward=numpy_backward).apply)
    assert str(info.value).startswith("vmap(grad) raised RuntimeError: ")

    class CrashingRule(_numpy_tanh_class(vmap=False)):
        @staticmethod
        def vmap(info, in_dims, x):  # noqa: ANN001, ANN205
            raise ValueError("in_dims is a tuple")

    with pytest.raises(CheckFailed) as info:
        ex4.check_numpy_tanh_vmap(CrashingRule.apply)
    assert str(info.value) == "torch.vmap with in_dims=0 raised ValueError: in_dims is a tuple"

    class FixedOutDim(_numpy_tanh_class(vmap=False)):
        @staticmethod
        def vmap(info, in_dims, x):  # noqa: ANN001, ANN205
            return FixedOutDim.apply(x), 0

    with pytest.raises(CheckFailed) as info:
        ex4.check_numpy_tanh_vmap(FixedOutDim.apply)
    assert str(info.value).startswith("vmap output (in_dims=1): shape (3, 5) but expected (5, 3)")
    assert str(info.value).endswith(" -- the batch dimension of the output is the second value "
                                    "vmap returns: where is it?")


def test_numpy_tanh_vmap_batch_does_not_depend_on_the_global_seed(capsys) -> None:
    _same_inputs_under_two_global_seeds(lambda seen: ex4.check_numpy_tanh_vmap(_numpy_tanh_class(seen=seen).apply))
    capsys.readouterr()


def _sigmoid_op(name: str, body: Callable[[Tensor], Tensor] | None = None,
                backward: Callable[[Tensor, Tensor], Tensor] | None = None) -> Callable[[Tensor], Tensor]:
    def numpy_sigmoid(x: Tensor) -> Tensor:
        return torch.from_numpy(1 / (1 + np.exp(-x.detach().cpu().numpy()))).to(x.device)

    op = torch.library.custom_op(f"test_mutation_checkers_b::{name}_{next(_OP_NUMBERS)}", body or numpy_sigmoid,
                                mutates_args=())
    op.register_fake(lambda x: torch.empty_like(x))

    def setup_context(ctx, inputs, output) -> None:  # noqa: ANN001
        ctx.save_for_backward(output)

    def op_backward(ctx, g: Tensor) -> Tensor:  # noqa: ANN001
        (y,) = ctx.saved_tensors
        return g * y * (1 - y) if backward is None else backward(g, y)

    op.register_autograd(op_backward, setup_context=setup_context)
    return op


def test_numpy_sigmoid_op_prints_only_its_verdict_and_compiles_whole(capsys, monkeypatch) -> None:
    """No report line for passing comparisons; compiled with fullgraph=True on aot_eager (no C++ compiler)."""
    compiles: list[dict[str, object]] = []
    real_compile = torch.compile

    def spy(fn, **kwargs):  # noqa: ANN001, ANN003, ANN202
        compiles.append(kwargs)
        return real_compile(fn, **kwargs)

    monkeypatch.setattr(torch, "compile", spy)
    ex4.check_numpy_sigmoid_op(_sigmoid_op("right"))
    assert _only_line(capsys) == "correct: the sigmoid op matches torch.sigmoid, passes opcheck and compiles whole"
    assert compiles == [{"backend": "aot_eager", "fullgraph": True}]


def test_numpy_sigmoid_op_messages() -> None:
    """Not a custom op (its type named), torch in the body (every op named), a wrong gradient, a NumPy
    backward (that AOT cannot trace), a list output."""
    with pytest.raises(CheckFailed) as info:
        ex4.check_numpy_sigmoid_op(torch.sigmoid)
    assert str(info.value) == "op must be made with @torch.library.custom_op, got builtin_function_or_method"

    def torch_body(x: Tensor) -> Tensor:  # a stable sigmoid, but in torch
        return torch.sigmoid(torch.clamp(x, min=-30.0, max=30.0))

    with pytest.raises(CheckFailed) as info:
        ex4.check_numpy_sigmoid_op(_sigmoid_op("torch_body", torch_body))
    assert str(info.value) == ("the op computes with torch (torch.clamp, torch.sigmoid): "
                               "compute with NumPy on x.detach().cpu().numpy() and convert back")
    with pytest.raises(CheckFailed) as info:
        ex4.check_numpy_sigmoid_op(_sigmoid_op("wrong_grad", backward=lambda g, y: g * y))
    assert str(info.value) == ("grad of x: 7 of 7 values differ; max abs difference 0.854 at index [6] (input 2.5): "
                               "yours 0.924142, expected 0.0701037 (rtol=1e-05, atol=1e-08)")

    def numpy_backward(g: Tensor, y: Tensor) -> Tensor:  # fine eagerly, but AOT traces backward too
        yn = y.detach().cpu().numpy()
        return g * torch.from_numpy(yn * (1 - yn)).to(g.device)

    with pytest.raises(CheckFailed) as info:  # opcheck runs backward only for an input requiring grad
        ex4.check_numpy_sigmoid_op(_sigmoid_op("numpy_backward", backward=numpy_backward))
    assert str(info.value) == "opcheck: test_aot_dispatch_dynamic failed: .numpy() is not supported for tensor subclasses."

    def as_list(x: Tensor) -> list[Tensor]:
        return [torch.from_numpy(1 / (1 + np.exp(-x.detach().cpu().numpy()))).to(x.device)]

    op = torch.library.custom_op(f"test_mutation_checkers_b::as_list_{next(_OP_NUMBERS)}", as_list, mutates_args=())
    with pytest.raises(CheckFailed) as info:
        ex4.check_numpy_sigmoid_op(op)
    assert str(info.value) == "the output is on list but the input on cpu: move the result back to the input's device"


# ============================================================ notebook 08: binary linear


class _ParabolaSign(torch.autograd.Function):
    """The solution of 08.1, with torch operations only; ``grad_error(x)`` is added to its gradient."""

    grad_error: Callable[[Tensor], Tensor] = staticmethod(torch.zeros_like)
    seen: list[Tensor] | None = None

    @classmethod
    def forward(cls, ctx, x: Tensor) -> Tensor:  # noqa: ANN001
        if cls.seen is not None and x.device.type != "meta":
            cls.seen.append(x.detach().clone())
        ctx.save_for_backward(x)
        return torch.where(x < 0, -torch.ones_like(x), torch.ones_like(x))

    @classmethod
    def backward(cls, ctx, g: Tensor) -> Tensor:  # noqa: ANN001
        (x,) = ctx.saved_tensors
        slope = torch.where(x < 0, 2 + 2 * x, 2 - 2 * x)
        return g * (torch.where(x.abs() < 1, slope, torch.zeros_like(x)) + cls.grad_error(x))


def _parabola_with(error: Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    class Parabola(_ParabolaSign):
        grad_error = staticmethod(error)

    return Parabola.apply


def _off_inside_between_quarters(size: float) -> Callable[[Tensor], Tensor]:
    """An error of ``size`` inside (-1, 1), except at multiples of 1/4 (where the boundary points are)."""
    return lambda x: size * ((x.abs() < 1) & (x * 4 != torch.round(x * 4))).to(x.dtype)


def test_parabola_sign_prints_only_its_verdict(capsys) -> None:
    ex_bl.check_parabola_sign(_ParabolaSign.apply)
    assert _only_line(capsys) == ("correct: sign forward and parabola backward match at 12 boundary and 15 random "
                                  "points, with torch operations only")


def test_parabola_sign_boundary_tolerance_is_absolute_1e_12(capsys) -> None:
    """rtol=0, atol=1e-12 at the 12 boundary points: a gradient off by 2e-12 fails there, 2e-13 passes (times the random upstream gradient)."""
    with pytest.raises(CheckFailed) as info:
        ex_bl.check_parabola_sign(_parabola_with(lambda x: torch.full_like(x, 2e-12)))
    assert re.fullmatch(r"grad of x: 12 of 12 values differ; max abs difference 2e-12 at index \[\d+\] "
                        r"\(input \S+\): yours \S+, expected \S+ \(rtol=0, atol=1e-12\)", str(info.value)), \
        str(info.value)
    ex_bl.check_parabola_sign(_parabola_with(lambda x: torch.full_like(x, 2e-13)))
    capsys.readouterr()  # the checker's report lines


def test_parabola_sign_random_points_catch_what_the_boundary_misses(capsys) -> None:
    """A gradient off by 2e-12 between the quarter points of (-1, 1): the 15 float64 random points in
    [-2, 2) (3 x 5, named x, rtol=0, atol=1e-12) must see it; 2e-13 passes."""
    with pytest.raises(CheckFailed) as info:
        ex_bl.check_parabola_sign(_parabola_with(_off_inside_between_quarters(2e-12)))
    message = str(info.value)
    assert re.fullmatch(r"grad of x: (\d+) of 15 values differ; max abs difference 2e-12 at index \[\d, \d\] "
                        r"\(input \S+\): yours \S+, expected \S+ \(rtol=0, atol=1e-12\)", message), message
    assert int(message.split()[3]) >= 5  # about half of [-2, 2) is inside (-1, 1)
    ex_bl.check_parabola_sign(_parabola_with(_off_inside_between_quarters(2e-13)))
    capsys.readouterr()  # the checker's report lines


def test_parabola_sign_points_do_not_depend_on_the_global_seed(capsys, monkeypatch) -> None:
    def run(seen: list[Tensor]) -> None:
        monkeypatch.setattr(_ParabolaSign, "seen", seen)
        ex_bl.check_parabola_sign(_ParabolaSign.apply)

    _same_inputs_under_two_global_seeds(run)
    capsys.readouterr()


def test_parabola_sign_checks_float64_points_on_the_course_device(capsys, monkeypatch) -> None:
    """Both sets of points (12 boundary, 3 x 5 random) are float64 on the course device."""
    seen: list[tuple[torch.device, torch.dtype, tuple[int, ...]]] = []

    def record(candidate, reference, inputs, **kwargs) -> None:  # noqa: ANN001, ANN003
        seen.extend((t.device, t.dtype, tuple(t.shape)) for t in inputs)

    monkeypatch.setattr(ex_bl, "device", lambda: META)
    monkeypatch.setattr(ex_bl, "check_function", record)
    ex_bl.check_parabola_sign(_ParabolaSign.apply)
    capsys.readouterr()
    assert seen == [(META, F64, (12,)), (META, F64, (3, 5))]


def test_parabola_sign_device_messages() -> None:
    """The exact reports for NumPy inside, and for an output that leaves the input's device."""
    class NumpySign(_ParabolaSign):
        @classmethod
        def forward(cls, ctx, x: Tensor) -> Tensor:  # noqa: ANN001
            ctx.save_for_backward(x)
            return torch.from_numpy(np.where(x.detach().cpu().numpy() < 0, -1.0, 1.0)).to(x.device)

    with pytest.raises(CheckFailed) as info:
        ex_bl.check_parabola_sign(NumpySign.apply)
    assert str(info.value) == ("use only torch operations, so that it runs on any device: on a tensor without data "
                               "(device 'meta') it raised NotImplementedError: Cannot copy out of meta tensor; "
                               "no data!")
    with pytest.raises(CheckFailed) as info:
        ex_bl._check_device_agnostic(lambda x: torch.zeros(x.shape, dtype=x.dtype, requires_grad=True))
    assert str(info.value) == "use only torch operations: the output or the gradient left the input's device"


def test_device_check_refuses_an_output_not_computed_from_x() -> None:
    """A fresh output on the right device gives x no gradient: a CheckFailed, not an AttributeError."""
    with pytest.raises(CheckFailed, match="the output or the gradient left the input's device"):
        ex_bl._check_device_agnostic(lambda x: torch.zeros_like(x).requires_grad_(True))


def _assignment_solution(x: Tensor, w: Tensor) -> tuple[Tensor, Tensor]:
    x = x.detach().clone().requires_grad_(True)
    w = w.detach().clone().requires_grad_(True)
    torch.nn.functional.linear(_ParabolaSign.apply(x), sign_ste(w)).sum().backward()
    return x.grad, w.grad


def test_assignment_reports_a_crash_with_its_case() -> None:
    def crash(x: Tensor, w: Tensor) -> tuple[Tensor, Tensor]:
        raise IndexError("index 4 is out of bounds")

    with pytest.raises(CheckFailed) as info:
        ex_bl.check_assignment(crash)
    assert str(info.value) == "on the sample input, calling your function raised IndexError: index 4 is out of bounds"


@pytest.mark.parametrize("wrap", [list, lambda r: (*r, None), lambda r: r[0]], ids=["list", "3-tuple", "tensor"])
def test_assignment_wants_a_pair(wrap: Callable[[tuple[Tensor, Tensor]], object]) -> None:
    """A list, a triple or one tensor is refused, naming the type returned."""
    with pytest.raises(CheckFailed) as info:
        ex_bl.check_assignment(lambda x, w: wrap(_assignment_solution(x, w)))
    got = type(wrap((torch.zeros(1), torch.zeros(1)))).__name__
    assert str(info.value) == f"return a tuple (grad_x, grad_w), got {got}"


def test_assignment_cases_are_float64_on_the_course_device(monkeypatch) -> None:
    monkeypatch.setattr(ex_bl, "device", lambda: META)
    cases = ex_bl._cases()
    assert [(t.device, t.dtype) for _, x, w in cases for t in (x, w)] == [(META, F64)] * 4
    assert ex_bl._boundary_points().device == META


def test_format_rows_messages() -> None:
    """Not a str (type named), a wrong number of lines, a trailing space on the last line."""
    with pytest.raises(CheckFailed) as info:
        ex_bl.check_format_rows(lambda t: t.tolist())
    assert str(info.value) == "return a str, got list"
    with pytest.raises(CheckFailed) as info:
        ex_bl.check_format_rows(lambda t: format_rows(t) + "0.0000\n")
    assert str(info.value) == ("expected 2 lines, got 3: "
                               "'4.8456 0.0000 0.0000\\n0.0000 -4.0000 12.5000\\n0.0000\\n'")
    with pytest.raises(CheckFailed) as info:
        ex_bl.check_format_rows(lambda t: format_rows(t).rstrip("\n") + " ")
    assert str(info.value) == "line 2: yours '0.0000 -4.0000 12.5000 ', expected '0.0000 -4.0000 12.5000'"


def test_format_rows_gets_its_tensor_on_the_course_device(monkeypatch) -> None:
    seen: list[torch.device] = []

    def fmt(t: Tensor) -> str:
        seen.append(t.device)
        raise _Recorded

    monkeypatch.setattr(ex_bl, "device", lambda: META)
    with pytest.raises(_Recorded):
        ex_bl.check_format_rows(fmt)
    assert seen == [META]


# ============================================================ notebooks 12 and 13: channels


def _bec(x: Tensor, pb: Tensor, noise: Tensor, bipolar: bool) -> Tensor:
    return BinaryErasureChannel(bipolar_input=bipolar, dtype=torch.float64)(x, pb, noise=noise)


def test_bec_points_do_not_depend_on_the_global_seed(capsys) -> None:
    def run(seen: list[Tensor]) -> None:
        def bec(x: Tensor, pb: Tensor, noise: Tensor, bipolar: bool) -> Tensor:
            seen.extend(t.detach().clone() for t in (x, pb, noise))
            return _bec(x, pb, noise, bipolar)

        ex_ch.check_bec(bec)

    _same_inputs_under_two_global_seeds(run)
    capsys.readouterr()


def test_bec_feeds_its_points_on_the_course_device(monkeypatch) -> None:
    seen: list[torch.device] = []

    def bec(x: Tensor, pb: Tensor, noise: Tensor, bipolar: bool) -> Tensor:
        seen.extend(t.device for t in (x, pb, noise))
        raise _Recorded

    monkeypatch.setattr(ex_ch, "device", lambda: META)
    with pytest.raises(CheckFailed, match="_Recorded"):
        ex_ch.check_bec(bec)
    assert seen == [META] * 3


def test_bec_names_the_input_with_a_wrong_gradient() -> None:
    """A gradient of 2 for the kept bits: the report says "grad of x", with the mode."""
    with pytest.raises(CheckFailed) as info:
        ex_ch.check_bec(lambda x, pb, noise, bipolar: _bec(2 * x - x.detach(), pb, noise, bipolar))
    assert re.fullmatch(r"with bipolar=False: grad of x: \d+ of 64 values differ; max abs difference 1 at index "
                        r"\[\d+\] \(input [01]\): yours 2, expected 1 \(rtol=1e-05, atol=1e-08\)", str(info.value)), \
        str(info.value)


def test_flip_rate_points_are_seeded_and_on_the_course_device(capsys, monkeypatch) -> None:
    def run(seen: list[Tensor]) -> None:
        def ci(flips: Tensor, z: float) -> Tensor:
            seen.append(flips.detach().clone())
            rate = flips.mean(0)
            return torch.stack((rate, z * torch.sqrt(rate * (1 - rate) / flips.shape[0])))

        ex_ch.check_flip_rate_ci(ci)

    _same_inputs_under_two_global_seeds(run)
    monkeypatch.setattr(ex_ch, "device", lambda: META)
    flips = ex_ch._ci_points()
    assert (flips.device, flips.dtype, tuple(flips.shape)) == (META, F64, (400, 5))
    capsys.readouterr()  # the checker's report lines


def test_llr_points_are_float64() -> None:
    """float32 points would let an answer that rounds to float32 pass a float64 check."""
    assert [t.dtype for t in ex_ch._llr_points()] == [F64] * 3


def test_learned_pb_message() -> None:
    with pytest.raises(CheckFailed) as info:
        ex_ch.check_learned_pb(torch.tensor([0.05, 0.02]))
    assert str(info.value) == ("pb1 = 0.020, but the target flip rate is 0.25 (tolerance 0.03): "
                               "more steps, a larger learning rate, or a wrong loss?")


# ============================================================ notebook 14: a fast channel


def _logistic_noise(u: Tensor) -> Tensor:
    return torch.log1p(-u) - torch.log(u)


class _LogisticErrors(torch.autograd.Function):
    seen: list[Tensor] | None = None
    grad_factor: float = 1.0

    @classmethod
    def forward(cls, ctx, p: Tensor, u: Tensor) -> Tensor:  # noqa: ANN001
        ctx.save_for_backward(p, u)
        return (u < p).to(p.dtype)

    @classmethod
    def backward(cls, ctx, g: Tensor) -> tuple[Tensor, None]:  # noqa: ANN001
        if cls.seen is not None:
            cls.seen.append(g.detach().clone())
        p, u = ctx.saved_tensors
        s = torch.sigmoid((torch.log(p + EPS) - torch.log(1 - p + EPS) + _logistic_noise(u)) / 0.1)
        return cls.grad_factor * g * s * (1 - s) * (1 / (p + EPS) + 1 / (1 - p + EPS)) / 0.1, None


def test_logistic_points_are_seeded(capsys, monkeypatch) -> None:
    """u, p and the upstream weights w must not come from the global generator."""
    def run(seen: list[Tensor]) -> None:
        def noise(u: Tensor) -> Tensor:
            seen.append(u.detach().clone())
            return _logistic_noise(u)

        def errors(p: Tensor, u: Tensor) -> Tensor:
            seen.extend((p.detach().clone(), u.detach().clone()))
            return _LogisticErrors.apply(p, u)

        monkeypatch.setattr(_LogisticErrors, "seen", seen)
        ex_fc.check_logistic_noise(noise)
        ex_fc.check_logistic_errors(errors)

    _same_inputs_under_two_global_seeds(run)
    capsys.readouterr()


def test_logistic_points_are_on_the_course_device(monkeypatch) -> None:
    monkeypatch.setattr(ex_fc, "device", lambda: META)
    assert [t.device for t in ex_fc._uniforms_and_probs()] == [META, META]
    seen: list[torch.device] = []

    class Recording(_LogisticErrors):
        @classmethod
        def backward(cls, ctx, g: Tensor) -> tuple[Tensor, None]:  # noqa: ANN001
            seen.append(g.device)
            raise _Recorded

    with pytest.raises(_Recorded):
        ex_fc.check_logistic_errors(Recording.apply)
    assert seen == [META]


def test_logistic_noise_messages(capsys) -> None:
    """A wrong shape, the wrong sign, and a wrong scale (with the input shown)."""
    with pytest.raises(CheckFailed) as info:
        ex_fc.check_logistic_noise(lambda u: _logistic_noise(u)[1:])
    assert str(info.value) == "logistic_noise(u) must return a tensor of the shape of u (257,)"
    with pytest.raises(CheckFailed) as info:
        ex_fc.check_logistic_noise(lambda u: _logistic_noise(u).tolist())
    assert str(info.value) == "logistic_noise(u) must return a tensor of the shape of u (257,)"
    with pytest.raises(CheckFailed) as info:
        ex_fc.check_logistic_noise(lambda u: -_logistic_noise(u))
    assert str(info.value).endswith(": check the sign of L (which of u and 1 - u is the error side?)")
    with pytest.raises(CheckFailed) as info:
        ex_fc.check_logistic_noise(lambda u: _logistic_noise(u) * (1 + 1e-4))
    assert re.fullmatch(r"L: \d+ of 256 values differ; max abs difference \S+ at index \[\d+\] \(input \S+\): "
                        r"yours \S+, expected \S+ \(rtol=1e-05, atol=1e-08\)", str(info.value)), str(info.value)
    capsys.readouterr()


def test_logistic_noise_decides_only_inside_the_open_interval(capsys) -> None:
    """L computed in float32 is -inf at u = 1 - 2**-53 (u rounds to 1): the p = 1 edge must not be
    judged by the decision test (where inf - inf is NaN) but by the comparison of L."""
    with pytest.raises(CheckFailed) as info:
        ex_fc.check_logistic_noise(lambda u: _logistic_noise(u.float()).double())
    message = str(info.value)
    assert message.startswith("L: 1 of 256 values differ; max abs difference "), message
    assert message.endswith(" at index [1] (input 1): yours -inf, expected -36.7368 (rtol=1e-05, atol=1e-08)")
    capsys.readouterr()  # the checker's report lines


def test_logistic_errors_messages(capsys) -> None:
    """The reports of: a detached answer, a non-Function answer (its grad_fn named), wrong errors and
    gradients (the p there shown), each under its own name."""
    with pytest.raises(CheckFailed) as info:
        ex_fc.check_logistic_errors(lambda p, u: (u < p).double())
    assert str(info.value) == ("errors(p, u) is not differentiable w.r.t. p: the output does not require grad "
                               "(did you detach, or forget the straight-through backward?)")
    with pytest.raises(CheckFailed) as info:
        ex_fc.check_logistic_errors(lambda p, u: (u < p).double() + p - p.detach())
    assert str(info.value) == ("errors must be a custom torch.autograd.Function's apply: the output's "
                               "grad_fn is SubBackward0")

    class WrongSide(_LogisticErrors):
        @classmethod
        def forward(cls, ctx, p: Tensor, u: Tensor) -> Tensor:  # noqa: ANN001
            ctx.save_for_backward(p, u)
            return (u > 1 - p).to(p.dtype)

    with pytest.raises(CheckFailed) as info:
        ex_fc.check_logistic_errors(WrongSide.apply)
    assert re.fullmatch(r"errors: \d+ of 257 values differ; max abs difference 1 at index \[\d+\] \(input \S+\): "
                        r"yours [01], expected [01] \(rtol=1e-05, atol=1e-08\)", str(info.value)), str(info.value)
    capsys.readouterr()  # the checker's report lines


def test_logistic_errors_weights_the_gradient_and_wants_none_for_u(capsys) -> None:
    """A backward ignoring grad_output is shown against the reference weighted by w (10.1083 * w[45]);
    a zero gradient for u is refused by name."""
    class IgnoresUpstream(_LogisticErrors):
        @classmethod
        def backward(cls, ctx, g: Tensor) -> tuple[Tensor, None]:  # noqa: ANN001
            p, u = ctx.saved_tensors
            s = torch.sigmoid((torch.log(p + EPS) - torch.log(1 - p + EPS) + _logistic_noise(u)) / 0.1)
            return s * (1 - s) * (1 / (p + EPS) + 1 / (1 - p + EPS)) / 0.1, None

    with pytest.raises(CheckFailed) as info:
        ex_fc.check_logistic_errors(IgnoresUpstream.apply)
    assert str(info.value) == ("d errors / d p: 157 of 257 values differ; max abs difference 14.9 at index [45] "
                               "(input 0.552962): yours 10.1083, expected -4.76089 (rtol=1e-06, atol=1e-08)")

    class GradientForU(_LogisticErrors):
        @classmethod
        def backward(cls, ctx, g: Tensor) -> tuple[Tensor, Tensor]:  # noqa: ANN001
            (grad_p, _) = super().backward(ctx, g)
            return grad_p, torch.zeros_like(grad_p)

    with pytest.raises(CheckFailed) as info:
        ex_fc.check_logistic_errors(GradientForU.apply)
    assert str(info.value) == "backward must return None as the gradient for u (the noise is not learned)"
    capsys.readouterr()  # the checker's report lines


@pytest.mark.parametrize(("factor", "fails"), [(1 + 3e-6, True), (1 + 5e-7, False)])
def test_logistic_errors_gradient_tolerance(monkeypatch, capsys, factor: float, fails: bool) -> None:
    """rtol = 1e-6 on d errors / d p: a gradient off by 3e-6 (relative) fails, naming p; 5e-7 passes."""
    monkeypatch.setattr(_LogisticErrors, "grad_factor", factor)
    if not fails:
        ex_fc.check_logistic_errors(_LogisticErrors.apply)
        assert capsys.readouterr().out.splitlines()[-1].startswith("correct: your errors")
        return
    with pytest.raises(CheckFailed) as info:
        ex_fc.check_logistic_errors(_LogisticErrors.apply)
    assert re.fullmatch(r"d errors / d p: \d+ of 257 values differ; max abs difference \S+ at index \[\d+\] "
                        r"\(input \S+\): yours \S+, expected \S+ \(rtol=1e-06, atol=1e-08\)", str(info.value)), \
        str(info.value)
    capsys.readouterr()  # the checker's report lines


# ============================================================ notebook 11: Sionna's BMC


def _sionna_llrs(y: Tensor, pb0: Tensor, pb1: Tensor, llr_max: float) -> Tensor:
    llr0 = torch.log(pb1 + 1e-9) - torch.log(1 - pb0 - 1e-9)
    llr1 = torch.log(1 - pb1 - 1e-9) - torch.log(pb0 + 1e-9)
    return torch.where(y == 1, llr1, llr0).clamp(-llr_max, llr_max)


def test_sionna_llrs_verdict_and_messages(capsys) -> None:
    ex_sb.check_sionna_llrs(_sionna_llrs)
    assert _only_line(capsys) == ("correct: LLRs match Sionna's formula for y = 0 and 1 at 9 (pb0, pb1) pairs, "
                                  "llr_max = 100 and 5")
    with pytest.raises(CheckFailed) as info:
        ex_sb.check_sionna_llrs(lambda *args: _sionna_llrs(*args).tolist())
    assert str(info.value) == "expected a tensor of LLRs, got list"


def test_sionna_llrs_are_fed_float32_whatever_the_default_dtype() -> None:
    """Sionna computes in float32: the probabilities stay float32 in a notebook that made float64 the default."""
    seen: list[torch.dtype] = []

    def llrs(y: Tensor, pb0: Tensor, pb1: Tensor, llr_max: float) -> Tensor:
        seen.extend((pb0.dtype, pb1.dtype))
        raise _Recorded

    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        with pytest.raises(CheckFailed, match="_Recorded"):
            ex_sb.check_sionna_llrs(llrs)
    finally:
        torch.set_default_dtype(default)
    assert seen == [torch.float32, torch.float32]


def test_sample_errors_points_are_float64_and_seeded(capsys) -> None:
    def run(seen: list[Tensor]) -> None:
        def sample_errors(pb: Tensor, u1: Tensor, u2: Tensor) -> Tensor:
            seen.extend((pb.detach().clone(), u1.clone(), u2.clone()))
            return gumbel_softmax_errors(pb, torch.stack((u1, u2), dim=-1))

        ex_sb.check_sample_errors(sample_errors)

    _same_inputs_under_two_global_seeds(run)
    capsys.readouterr()
    assert [t.dtype for t in ex_sb._sample_errors_points()] == [F64] * 3

