"""Transforms: jvp, vjp, grad, jacobians, Hessians, custom rules."""
