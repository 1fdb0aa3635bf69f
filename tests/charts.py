"""Reading a chart the page sent: its spec as plotly.js receives it, typed arrays read back as lists."""
from __future__ import annotations

import base64
import json

import numpy as np

DTYPES = {"f4": "<f4", "f8": "<f8", "i1": "<i1", "u1": "<u1", "i2": "<i2", "u2": "<u2", "i4": "<i4", "u4": "<u4"}


def untyped(value):
    """A spec with every typed array spec ({"dtype", "bdata", "shape"}) as the nested list it encodes."""
    if isinstance(value, dict):
        if set(value) >= {"dtype", "bdata"}:
            flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=DTYPES[value["dtype"]])
            shape = [int(n) for n in str(value.get("shape", len(flat))).split(",")]
            return flat.reshape(shape).tolist()
        return {k: untyped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [untyped(v) for v in value]
    return value


def chart_spec(chart) -> dict:
    """The figure of an st.plotly_chart element of an AppTest run, numbers as lists."""
    return untyped(json.loads(chart.proto.spec))
