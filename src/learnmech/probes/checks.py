"""What every probe checks at its entry: the probe error, the probe warning, and the checks.

* :class:`ProbeError` — a refused input (an :class:`~learnmech.core.errors.InputError`, hence
  also a ``ValueError``); the message names the argument, what is accepted, and what to do.
* :class:`ProbeWarning` — a result that is computed but would mislead if read as is (e.g. the
  relative similarity of fitted examples); the message says how many and what to do.
* :func:`check_model_input` — run once at each public probe's entry, before any work:

  - the probes differentiate per example (``torch.func``) or need a fixed function of the
    parameters, so a module whose output depends on the *batch* is refused: any BatchNorm
    (``_BatchNorm``) in train mode, or without running statistics
    (``track_running_stats=False`` uses batch statistics even in eval mode), and any dropout
    with p > 0 in train mode (a random mask per call). A BatchNorm forward in train mode would
    also overwrite the module's running statistics;
  - a floating-point input must have the dtype (and device) of the model's parameters: a
    float32 model with float64 input is refused instead of failing deep inside torch.func.
"""

from __future__ import annotations

from learnmech.core.errors import InputError

__all__ = ["ProbeError", "ProbeWarning", "check_choice", "check_class_labels", "check_input",
           "check_model_input"]


class ProbeError(InputError):
    """A probe refused its input; ``str(error)`` names the argument and what to do."""


class ProbeWarning(UserWarning):
    """A probe's result holds values that would mislead if read as is (the message says which
    and what to do)."""


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    """Refuse ``value`` unless it is one of ``choices``."""
    if value not in choices:
        raise ProbeError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")


def check_model_input(model, X, *, probe: str) -> None:
    """Refuse a batch-dependent model and an input of the wrong dtype or device.

    Parameters
    ----------
    model : nn.Module
    X : Tensor of shape (n, ...)
        The input batch (integer inputs, e.g. token ids, are not dtype-checked).
    probe : str
        The public function's name, used in the message.
    """
    _refuse_batch_dependence(model, probe)
    check_input(model, X, probe=probe)


def check_class_labels(y, classes: int, *, probe: str) -> None:
    """Refuse labels that are not integers in [0, classes) (for the true-class logit)."""
    import torch

    if not torch.is_tensor(y) or y.is_floating_point() or y.is_complex() or y.ndim != 1:
        raise ProbeError(f"y: {probe} with target='logit' needs integer class labels of shape "
                         f"(n,) in [0, {classes}); got {_describe(y)}")
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= classes):
        raise ProbeError(f"y: class labels must lie in [0, {classes}) (the model has {classes} "
                         f"output columns); got values in [{int(y.min())}, {int(y.max())}]")


def check_input(model, X, *, probe: str) -> None:
    """Refuse an input that is not a Tensor, or a floating-point one whose dtype or device
    differs from the model's parameters (the input half of :func:`check_model_input`)."""
    import torch

    if not torch.is_tensor(X):
        raise ProbeError(f"X: {probe} takes a torch.Tensor of shape (n, ...); got {_describe(X)}")
    params = [p for p in model.parameters() if p.is_floating_point()]
    if not params or not X.is_floating_point():
        return
    dtypes = {p.dtype for p in params}
    if X.dtype not in dtypes:
        want = _names(dtypes)
        raise ProbeError(
            f"X: dtype {X.dtype} does not match the model's parameters ({want}); convert one to "
            f"the other before probing, e.g. X.to({want.split(' ')[0]}) or model.to({X.dtype})")
    devices = {p.device for p in params}
    if X.device not in devices:
        raise ProbeError(f"X: on device {X.device}, the model's parameters on {_names(devices)}; "
                         f"move one to the other before probing (X.to(device) or model.to(...))")


# --------------------------------------------------------------------------- internals


def _refuse_batch_dependence(model, probe: str) -> None:
    from torch.nn.modules.batchnorm import _BatchNorm
    from torch.nn.modules.dropout import _DropoutNd

    for name, module in model.named_modules():
        label = f"{type(module).__name__} {name!r}" if name else type(module).__name__
        if isinstance(module, _BatchNorm) and module.training:
            raise ProbeError(
                f"model: {probe} needs a model that treats examples independently, but "
                f"{label} is in train mode (batch statistics couple the examples, and a forward "
                "pass would overwrite its running statistics); call model.eval() first")
        if isinstance(module, _BatchNorm) and module.running_mean is None:
            raise ProbeError(
                f"model: {probe} needs a model that treats examples independently, but "
                f"{label} has track_running_stats=False (it uses batch statistics even in eval "
                "mode); probe a model whose BatchNorm layers track running statistics")
        if isinstance(module, _DropoutNd) and module.training and module.p > 0:
            raise ProbeError(
                f"model: {probe} needs a deterministic model, but {label} (p = {module.p:g}) is "
                "in train mode (a new random mask on every call); call model.eval() first")


def _names(items) -> str:
    return " / ".join(sorted(str(i) for i in items))


def _describe(value) -> str:
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None:
        return f"{type(value).__name__} of shape {tuple(shape)} and dtype {dtype}"
    return type(value).__name__
