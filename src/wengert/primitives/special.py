"""Special primitives: stop_gradient lives in elementwise; custom rules come here."""
