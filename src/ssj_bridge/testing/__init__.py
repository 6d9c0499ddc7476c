"""The adapter conformance suite (`conformance`), the harness it runs adapters with
(`harness`) and the simulator controls it steers simulators with (`controls`, `faults`).

Adapter packages import them through `ssj_bridge.api.testing` and `ssj_bridge.api.simulation`;
they need pytest, and jsonschema for the contract checks.
"""
