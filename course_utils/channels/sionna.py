"""The harness that feeds Sionna 1.2.2 given uniforms, to compare it with the port on identical noise (notebook 13)."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

__all__ = ["feed_sionna_uniforms"]


@contextlib.contextmanager
def feed_sionna_uniforms(*noises: torch.Tensor) -> Iterator[None]:
    """Make Sionna's random generator return given uniforms, to compare Sionna with this port.

    Inside the ``with`` block, ``sionna.phy.config.tf_rng.uniform`` returns the
    slices of the given noise tensors, in the order Sionna's channels ask for them:
    for a noise tensor of shape ``(k, *shape, 2)`` (see ``noise_shape``), first
    ``noise[0, ..., 0]``, then ``noise[0, ..., 1]``, then ``noise[1, ..., 0]``, ...
    Several tensors are served one after the other (one per channel call). On exit
    the original generator is restored and it is checked that every slice was used.
    Imports TensorFlow and Sionna (via :func:`course_utils.import_tensorflow`).

    Parameters
    ----------
    *noises : torch.Tensor
        Noise tensors as given to the port's ``noise=`` argument.

    Examples
    --------
    >>> import torch
    >>> from course_utils import import_tensorflow
    >>> from course_utils.channels import BinarySymmetricChannel
    >>> tf = import_tensorflow()  # doctest: +SKIP
    >>> from sionna.phy.channel import BinarySymmetricChannel as SionnaBSC  # doctest: +SKIP
    >>> x = torch.tensor([0.0, 1.0] * 4)
    >>> noise = torch.rand(BinarySymmetricChannel().noise_shape(x.shape), generator=torch.Generator().manual_seed(0))
    >>> with feed_sionna_uniforms(noise):  # doctest: +SKIP
    ...     y_tf = SionnaBSC()(tf.constant(x.numpy()), 0.3)
    >>> y_tf.numpy().tolist() == BinarySymmetricChannel()(x, 0.3, noise=noise).tolist()  # doctest: +SKIP
    True
    """
    from ..env import import_tensorflow

    tf = import_tensorflow()
    from sionna.phy import config

    queue = []
    for noise in noises:
        n = noise.detach().cpu()
        for k in range(n.shape[0]):
            queue.extend([n[k, ..., 0].numpy(), n[k, ..., 1].numpy()])

    class _Feeder:
        def uniform(self, shape, minval=0.0, maxval=1.0, dtype=tf.float32, **kwargs):  # noqa: ANN001, ANN202
            if not queue:
                raise RuntimeError("Sionna asked for more uniforms than were given")
            if float(minval) != 0.0 or float(maxval) != 1.0 or kwargs:
                raise RuntimeError("only plain uniforms in [0, 1) can be fed")
            u = queue.pop(0)
            if tuple(int(s) for s in shape) != tuple(u.shape):
                raise RuntimeError(f"Sionna asked for shape {tuple(int(s) for s in shape)}, "
                                   f"the next given uniforms have shape {tuple(u.shape)}")
            return tf.constant(u, dtype=dtype)

    saved = config._tf_rng  # noqa: SLF001 -- the attribute behind the tf_rng property
    config._tf_rng = _Feeder()  # noqa: SLF001
    try:
        yield
    finally:
        config._tf_rng = saved  # noqa: SLF001
    if queue:
        raise RuntimeError(f"{len(queue)} given uniform tensors were not used by Sionna")
