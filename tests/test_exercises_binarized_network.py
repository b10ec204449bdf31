import pytest
import torch

from course_utils import CheckFailed
from course_utils.binarize import BinaryLinear
from course_utils.exercises.binarized_network import check_binary_matmul, check_model_bytes

from helpers import checker_output


def binary_matmul(a_bits, b_bits):
    agree = (a_bits[:, None, :] == b_bits[None, :, :]).sum(-1)
    return 2 * agree - a_bits.shape[-1]


def model_bytes(model):
    binary = {id(m.weight) for m in model.modules() if isinstance(m, BinaryLinear)}
    return sum(p.numel() * (1 if id(p) in binary else 32) for p in model.parameters()) / 8


def test_solutions_pass(capsys) -> None:
    check_binary_matmul(binary_matmul)
    check_model_bytes(model_bytes)
    assert checker_output(capsys).count("correct:") == 2


def test_wrong_answers_are_explained() -> None:
    # Counting agreements but forgetting that each disagreement subtracts one.
    with pytest.raises(CheckFailed, match=r"with d = 5: \d+ of 12 entries differ; entry \[\d, \d\]: yours \d+, expected -?\d+ \(\d of 5 positions agree\)"):
        check_binary_matmul(lambda a, b: (a[:, None, :] == b[None, :, :]).sum(-1))
    with pytest.raises(CheckFailed, match=r"has shape \(3, 4\), yours has \(4, 3\)"):
        check_binary_matmul(lambda a, b: binary_matmul(b, a))
    # Counting every parameter as 1 bit, or every parameter as 32 bits.
    with pytest.raises(CheckFailed, match=r"for BinaryLinear\(64, 256\).*: yours 2432.0, expected 4416 bytes \(of which 2368 for the 1-bit weights;"):
        check_model_bytes(lambda m: sum(p.numel() for p in m.parameters()) / 8)
    with pytest.raises(CheckFailed, match=r"for BinaryLinear\(64, 256\).*yours 77824"):
        check_model_bytes(lambda m: sum(p.numel() * 4 for p in m.parameters()))


def test_each_stated_constraint_is_enforced() -> None:
    # "without converting to +-1 floats": right values, through a float matrix product
    with pytest.raises(CheckFailed, match=r"without converting to \+-1 floats: .*created a floating-point tensor"):
        check_binary_matmul(lambda a, b: (torch.where(a, 1.0, -1.0) @ torch.where(b, 1.0, -1.0).T).long())
    # "the integer tensor": right values, returned as floats at the very end
    with pytest.raises(CheckFailed, match="return an integer tensor"):
        check_binary_matmul(lambda a, b: binary_matmul(a, b).float())
    # "every other parameter (batch norm, biases ...) at 32 bits": BinaryLinear's bias counted as 1 bit
    def bias_as_binary(model):
        binary = {id(p) for m in model.modules() if isinstance(m, BinaryLinear) for p in m.parameters()}
        return sum(p.numel() * (1 if id(p) in binary else 32) for p in model.parameters()) / 8

    with pytest.raises(CheckFailed, match=r"for BinaryLinear\(3, 2, bias=True\): yours 1.0, expected 8.75 bytes \(of which 0.75 for"):
        check_model_bytes(bias_as_binary)
    # "Ignore buffers": batch norm's running statistics counted at 32 bits
    with pytest.raises(CheckFailed, match=r"for BinaryLinear\(64, 256\).*expected 4416 bytes"):
        check_model_bytes(lambda m: model_bytes(m) + sum(b.numel() * 4 for b in m.buffers()))
