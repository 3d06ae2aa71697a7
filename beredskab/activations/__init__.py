"""Activations: the lifecycle, role call-outs, pages and the replies that answer them."""
