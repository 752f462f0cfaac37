"""GPU-bound work as ``spaces.GPU`` tasks (Hugging Face ZeroGPU), a plain call everywhere else.

On ZeroGPU (``SPACES_ZERO_GPU`` set by the platform) a CUDA device exists only inside functions decorated
with ``spaces.GPU``, and those run in a forked GPU worker: their arguments and results are pickled, and
what they change in objects is lost. So every GPU-bound step is a *task*: a module-level function that
takes plain values (arrays, strings, numbers, a manager key) and returns plain values (arrays, CPU
tensors). The model manager is looked up by key (``manager_key``): the worker is forked from the server
process, so the managers (and the models they hold) are there already. Models are loaded to "cuda" at
start on ZeroGPU (``app.py``; ZeroGPU moves them to the GPU inside each task).

Elsewhere (CPU, a dedicated GPU, tests) ``spaces`` is not imported and a task is the function itself.
``TASKS`` lists every task, so a test can check that each GPU-bound step is one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

TASKS: dict[str, Callable[..., Any]] = {}  # name -> the (possibly spaces.GPU-wrapped) task
_managers: dict[int, Any] = {}
_lock = threading.Lock()


def on_zero_gpu() -> bool:
    return os.environ.get("SPACES_ZERO_GPU", "").strip().lower() in ("1", "true", "yes")


def manager_key(manager: Any) -> int:
    """A picklable key for ``manager`` that GPU tasks turn back into it (``manager_for``)."""
    key = id(manager)
    with _lock:
        _managers[key] = manager
    return key


def manager_for(key: int) -> Any:
    return _managers[key]


def gpu_task(name: str, duration: int = 60) -> Callable[[F], F]:
    """Register ``fn`` as GPU task ``name``; on ZeroGPU wrap it with ``spaces.GPU(duration=...)``."""

    def deco(fn: F) -> F:
        task: Any = fn
        if on_zero_gpu():
            try:
                import spaces  # only on ZeroGPU: it imports gradio

                task = spaces.GPU(fn, duration=duration)
            except ImportError:  # pragma: no cover - a ZeroGPU Space always has it
                task = fn
        TASKS[name] = task
        return task

    return deco
