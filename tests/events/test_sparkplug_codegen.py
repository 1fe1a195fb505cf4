"""The committed Python module of ``sparkplug_b.proto`` is what the pinned compiler makes of it.

The generated ``sparkplug_b_pb2.py`` / ``.pyi`` are committed so that installing gigaline
needs no protobuf compiler; this test regenerates them with ``grpcio-tools`` (pinned in the
``dev`` extra: its protoc version is written into the module) and compares byte for byte.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import gigaline.events.sparkplug as sparkplug

HERE = Path(sparkplug.__file__).parent


def test_generated_module_matches_the_proto(tmp_path: Path) -> None:
    protoc = pytest.importorskip("grpc_tools.protoc")
    shutil.copy(HERE / "sparkplug_b.proto", tmp_path)
    rc = protoc.main(
        [
            "protoc",
            f"-I{tmp_path}",
            f"--python_out={tmp_path}",
            f"--pyi_out={tmp_path}",
            str(tmp_path / "sparkplug_b.proto"),
        ]
    )
    assert rc == 0
    for name in ("sparkplug_b_pb2.py", "sparkplug_b_pb2.pyi"):
        assert (tmp_path / name).read_bytes() == (HERE / name).read_bytes(), (
            f"{name} is stale: regenerate it (see the header of sparkplug_b.proto)"
        )


def test_schema_field_numbers_are_the_specifications() -> None:
    """Spot checks against Sparkplug 3.0.0 section 6.4.1 (the numbers decide the wire)."""
    from gigaline.events.sparkplug import sparkplug_b_pb2 as pb

    payload = {f.name: f.number for f in pb.Payload.DESCRIPTOR.fields}
    assert payload == {"timestamp": 1, "metrics": 2, "seq": 3, "uuid": 4, "body": 5}
    metric = {f.name: f.number for f in pb.Payload.Metric.DESCRIPTOR.fields}
    assert metric == {
        "name": 1, "alias": 2, "timestamp": 3, "datatype": 4, "is_historical": 5,
        "is_transient": 6, "is_null": 7, "metadata": 8, "properties": 9, "int_value": 10,
        "long_value": 11, "float_value": 12, "double_value": 13, "boolean_value": 14,
        "string_value": 15, "bytes_value": 16, "dataset_value": 17, "template_value": 18,
        "extension_value": 19,
    }  # fmt: skip
    assert pb.Payload.DESCRIPTOR.full_name == "org.eclipse.tahu.protobuf.Payload"
    assert pb.DataType.Value("DateTimeArray") == 34
