"""The core: tracers, the interpreter stack, the Wengert-list IR, tangent markers, errors."""
