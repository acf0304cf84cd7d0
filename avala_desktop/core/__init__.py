"""Qt-free core: wire format, mask codec, geometry, project store, review commands."""
