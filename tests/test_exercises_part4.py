"""The Part IV exercise checkers accept the solutions and explain plausible wrong answers."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import Tensor

from course_utils import CheckFailed
from course_utils.exercises import part4 as ex

from helpers import checker_output


# -- 15.1: a Tanh with jvp ------------------------------------------------------------------
def _tanh(jvp=None, save_for_forward: bool = True):
    class Tanh(torch.autograd.Function):
        @staticmethod
        def forward(x):
            return torch.tanh(x)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)
            if save_for_forward:
                ctx.save_for_forward(output)

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * (1 - y * y)

    if jvp is not None:
        Tanh.jvp = staticmethod(jvp)
    return Tanh.apply


def _jvp_right(ctx, t):
    (y,) = ctx.saved_tensors
    return t * (1 - y * y)


def test_tanh_jvp(capsys) -> None:
    ex.check_tanh_jvp(_tanh(_jvp_right))
    assert "correct: Tanh" in checker_output(capsys)
    with pytest.raises(CheckFailed, match="no jvp staticmethod"):
        ex.check_tanh_jvp(_tanh())
    with pytest.raises(CheckFailed, match=r"tangent of the output: .* values differ"):
        ex.check_tanh_jvp(_tanh(lambda ctx, t: t))
    with pytest.raises(CheckFailed, match="does jvp multiply by x_tangent"):
        ex.check_tanh_jvp(_tanh(lambda ctx, t: 1 - ctx.saved_tensors[0] ** 2))
    with pytest.raises(CheckFailed, match=r"ctx.save_for_forward"):
        ex.check_tanh_jvp(_tanh(_jvp_right, save_for_forward=False))


class OldStyleTanh(torch.autograd.Function):  # forward(ctx, x): refused by torch.func
    @staticmethod
    def forward(ctx, x):
        y = torch.tanh(x)
        ctx.save_for_backward(y)
        ctx.save_for_forward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (1 - y * y)

    jvp = staticmethod(_jvp_right)


def test_tanh_jvp_needs_the_setup_context_style() -> None:
    with pytest.raises(CheckFailed, match=r"RuntimeError: .*setup_context.* -- use the setup_context style"):
        ex.check_tanh_jvp(OldStyleTanh.apply)


# -- 15.2: an in-place hardtanh ---------------------------------------------------------------
def _hardtanh_inplace(mark: bool = True, inplace: bool = True, mask=lambda x: x.abs() < 1):
    class HardTanhInplace(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            keep = mask(x).to(x.dtype)
            if inplace:
                x.clamp_(-1, 1)
                if mark:
                    ctx.mark_dirty(x)
                out = x
            else:
                out = x.clamp(-1, 1)
            ctx.save_for_backward(keep)
            return out

        @staticmethod
        def backward(ctx, g):
            (keep,) = ctx.saved_tensors
            return g * keep

    return HardTanhInplace.apply


def test_hardtanh_inplace(capsys) -> None:
    ex.check_hardtanh_inplace(_hardtanh_inplace())
    assert "correct: HardTanhInplace" in checker_output(capsys)
    with pytest.raises(CheckFailed, match=r"not the input tensor itself: .*ctx.mark_dirty"):
        ex.check_hardtanh_inplace(_hardtanh_inplace(mark=False))
    with pytest.raises(CheckFailed, match="not the input tensor itself"):
        ex.check_hardtanh_inplace(_hardtanh_inplace(inplace=False))
    with pytest.raises(CheckFailed, match=r"grad of x: 3 of 7 values differ; .*\(input -?\d"):
        ex.check_hardtanh_inplace(_hardtanh_inplace(mask=lambda x: torch.ones_like(x, dtype=torch.bool)))


def test_hardtanh_inplace_must_modify_its_input() -> None:
    with pytest.raises(CheckFailed, match="version counter did not change"):
        ex.check_hardtanh_inplace(lambda x: x)  # the same tensor, untouched


def test_hardtanh_inplace_must_refuse_a_leaf() -> None:
    right = _hardtanh_inplace()

    def sneaky(x: Tensor) -> Tensor:
        if x.is_leaf:  # modifies a leaf behind autograd's back instead of failing
            with torch.no_grad():
                return x.clamp_(-1, 1)
        return right(x)

    with pytest.raises(CheckFailed, match="leaf that requires grad was modified"):
        ex.check_hardtanh_inplace(sneaky)


# -- 16.1: a Sigmoid whose backward is a Function --------------------------------------------
def _sigmoid(d_dy: bool = True, as_function: bool = True):
    class SigmoidBackward(torch.autograd.Function):
        @staticmethod
        def forward(ctx, g, y):
            ctx.save_for_backward(g, y)
            return g * y * (1 - y)

        @staticmethod
        def backward(ctx, gg):
            g, y = ctx.saved_tensors
            return gg * y * (1 - y), (gg * g * (1 - 2 * y) if d_dy else None)

    class Sigmoid(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = torch.sigmoid(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return SigmoidBackward.apply(g, y) if as_function else g * y * (1 - y)

    return Sigmoid.apply


def test_sigmoid_backward_function(capsys) -> None:
    ex.check_sigmoid_backward_function(_sigmoid())
    assert "correct: Sigmoid" in checker_output(capsys)
    with pytest.raises(CheckFailed, match="backward is not its own Function: the gradient's grad_fn is MulBackward0"):
        ex.check_sigmoid_backward_function(_sigmoid(as_function=False))
    with pytest.raises(CheckFailed, match=r"second derivative: .* values differ"):
        ex.check_sigmoid_backward_function(_sigmoid(d_dy=False))


# -- 16.2: a NumPy tanh with a hand-written vmap ---------------------------------------------
def _numpy_tanh(vmap=None, generate: bool = False, torch_forward: bool = False,
                derivative=lambda y: 1 - y * y):
    class NumpyTanh(torch.autograd.Function):
        generate_vmap_rule = generate

        @staticmethod
        def forward(x):
            if torch_forward:
                return torch.tanh(x)
            return torch.from_numpy(np.tanh(x.detach().cpu().numpy())).to(x.device)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * derivative(y)

    if vmap is not None:
        NumpyTanh.vmap = staticmethod(lambda info, in_dims, x: vmap(NumpyTanh, in_dims, x))
    return NumpyTanh.apply


def test_numpy_tanh_vmap(capsys) -> None:
    ex.check_numpy_tanh_vmap(_numpy_tanh(lambda cls, in_dims, x: (cls.apply(x), in_dims[0])))
    assert "correct: NumpyTanh" in checker_output(capsys)
    with pytest.raises(CheckFailed, match="write a vmap staticmethod"):
        ex.check_numpy_tanh_vmap(_numpy_tanh(generate=True))
    with pytest.raises(CheckFailed, match=r"in_dims=1\).*where is it"):
        ex.check_numpy_tanh_vmap(_numpy_tanh(lambda cls, in_dims, x: (cls.apply(x), 0)))
    with pytest.raises(CheckFailed, match=r"pass NumpyTanh.apply"):
        ex.check_numpy_tanh_vmap(torch.tanh)
    with pytest.raises(CheckFailed, match=r"forward computes with torch \(torch.tanh\)"):
        ex.check_numpy_tanh_vmap(_numpy_tanh(lambda cls, in_dims, x: (cls.apply(x), in_dims[0]),
                                             torch_forward=True))


def test_numpy_tanh_vmap_needs_a_vmap_rule_of_some_kind() -> None:
    # neither generate_vmap_rule nor a vmap staticmethod: refused before torch.vmap is tried
    with pytest.raises(CheckFailed, match="write a vmap staticmethod"):
        ex.check_numpy_tanh_vmap(_numpy_tanh())


@pytest.mark.parametrize("not_apply", [lambda x: np.tanh(x), "the class"], ids=["lambda", "class"])
def test_numpy_tanh_vmap_wants_the_apply_of_a_function(not_apply) -> None:
    fn = _numpy_tanh().__self__ if not_apply == "the class" else not_apply
    with pytest.raises(CheckFailed, match=r"^pass NumpyTanh.apply .*, got (function|FunctionMeta)$"):
        ex.check_numpy_tanh_vmap(fn)


def test_numpy_tanh_vmap_names_the_input_of_a_wrong_gradient() -> None:
    wrong = _numpy_tanh(lambda cls, in_dims, x: (cls.apply(x), in_dims[0]), derivative=lambda y: 1 - y)
    with pytest.raises(CheckFailed, match=r"^grad of x: \d+ of 7 values differ"):
        ex.check_numpy_tanh_vmap(wrong)


# -- 17.1: a NumPy sigmoid as a custom op ----------------------------------------------------
def _sigmoid_op(name: str, fake: str = "right", autograd: bool = True, body: str = "numpy"):
    @torch.library.custom_op(f"test_part4::{name}", mutates_args=())
    def op(x: Tensor) -> Tensor:
        if body == "torch":
            return torch.sigmoid(x)
        values = x.detach().cpu().numpy()
        result = torch.from_numpy(1 / (1 + np.exp(-values)))
        return result if body == "stays_on_cpu" else result.to(x.device)

    if fake == "right":
        op.register_fake(lambda x: torch.empty_like(x))
    elif fake == "float32":
        op.register_fake(lambda x: torch.empty_like(x, dtype=torch.float32))

    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y * (1 - y)

    if autograd:
        op.register_autograd(backward, setup_context=setup_context)
    return op


def test_numpy_sigmoid_op(capsys) -> None:
    ex.check_numpy_sigmoid_op(_sigmoid_op("right"))
    assert "correct: the sigmoid op" in checker_output(capsys)
    with pytest.raises(CheckFailed, match=r"opcheck: test_faketensor failed: .*no fake impl"):
        ex.check_numpy_sigmoid_op(_sigmoid_op("no_fake", fake="none"))
    with pytest.raises(CheckFailed, match=r"opcheck: test_faketensor failed: .*Dtypes"):
        ex.check_numpy_sigmoid_op(_sigmoid_op("wrong_fake", fake="float32"))
    with pytest.raises(CheckFailed, match="no autograd formula was registered"):
        ex.check_numpy_sigmoid_op(_sigmoid_op("no_autograd", autograd=False))
    with pytest.raises(CheckFailed, match=r"must be made with @torch.library.custom_op"):
        ex.check_numpy_sigmoid_op(torch.sigmoid)
    with pytest.raises(CheckFailed, match=r"computes with torch \(torch.sigmoid\): compute with NumPy"):
        ex.check_numpy_sigmoid_op(_sigmoid_op("torch_body", body="torch"))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="on the CPU every output is on the input's device")
def test_numpy_sigmoid_op_must_return_to_the_device() -> None:
    with pytest.raises(CheckFailed, match="move the result back to the input's device"):
        ex.check_numpy_sigmoid_op(_sigmoid_op("stays_on_cpu", body="stays_on_cpu"))
