"""OFREP, the OpenFeature Remote Evaluation Protocol: the hot path (answers), the wire format (protocol), the bare-ASGI front door (asgi) and the change stream (sse)."""
